-- events when the plan chose no file: no rows, the columns and types of events_view.sql.
CREATE OR REPLACE VIEW events AS
SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS type, NULL::TIMESTAMPTZ AS created_at, NULL::DATE AS date,
       NULL::INTEGER AS hour, NULL::VARCHAR AS attributes, NULL::VARCHAR AS meta, NULL::BIGINT AS ingest_id,
       NULL::BIGINT AS source_line
WHERE false;
