-- The ads pipeline (docs/ads.md): impressions from the ads API, every response stored in S3
-- before its rows are inserted (ad_backups), impressions that break a rule (ad_rejects), and the
-- archives that move old impressions to S3 (ad_archives).

-- One row per impression. backup_key names the stored response it was loaded from.
CREATE TABLE ads (
  ad_id       uuid        PRIMARY KEY,
  ad_group    text        NOT NULL,
  -- NULL where the API said "__unknown".
  ad_campaign integer,
  -- The API's epoch seconds (a float), to the microsecond.
  shown_at    timestamptz NOT NULL,
  -- {"origin": "manual"|"automatic", "approved": bool} on some impressions, NULL on the others.
  ad_scheme   jsonb,
  backup_key  text        NOT NULL,
  loaded_at   timestamptz NOT NULL DEFAULT now()
);

-- The archive takes old days by shown_at.
CREATE INDEX ads_shown_at ON ads (shown_at);

-- One row per API response stored in the bucket, written once the object is verified and before
-- any of its impressions is inserted.
CREATE TABLE ad_backups (
  backup_key  text        PRIMARY KEY,
  run_id      text        NOT NULL,
  bytes       bigint      NOT NULL CHECK (bytes >= 0),
  sha256      text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  stored_at   timestamptz NOT NULL DEFAULT now(),
  -- Set by the load of its impressions (NULL while it has not been loaded, e.g. a body that is not a JSON array).
  impressions integer,
  rejected    integer,
  loaded_at   timestamptz,
  error       text
);

-- An impression of a stored response that was not loaded, and why. position is its index in the
-- response's array (from 0), so a reload of the same response adds no second row.
CREATE TABLE ad_rejects (
  backup_key  text        NOT NULL REFERENCES ad_backups,
  position    integer     NOT NULL CHECK (position >= 0),
  reason      text        NOT NULL,
  -- The impression as the API sent it (JSON text).
  raw         text        NOT NULL,
  rejected_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (backup_key, position)
);

-- One row per archive object: written in the transaction that deletes exactly its rows from ads.
CREATE TABLE ad_archives (
  archive_key text        PRIMARY KEY,
  shown_date  date        NOT NULL,
  -- 1 for the first archive of a day, 2 for rows of that day that arrived after it, …
  part        integer     NOT NULL CHECK (part >= 1),
  run_id      text        NOT NULL,
  rows        bigint      NOT NULL CHECK (rows > 0),
  bytes       bigint      NOT NULL CHECK (bytes > 0),
  sha256      text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  shown_from  timestamptz NOT NULL,
  shown_to    timestamptz NOT NULL,
  archived_at timestamptz NOT NULL DEFAULT now(),
  -- Set when ads_restore put the rows back into ads.
  restored_at timestamptz,
  UNIQUE (shown_date, part),
  CHECK (shown_from <= shown_to)
);

DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'loans_scheduler') THEN
    GRANT SELECT, INSERT, UPDATE, DELETE ON ads TO loans_scheduler;
    GRANT SELECT, INSERT, UPDATE ON ad_backups, ad_archives TO loans_scheduler;
    GRANT SELECT, INSERT ON ad_rejects TO loans_scheduler;
  END IF;
END
$$;
