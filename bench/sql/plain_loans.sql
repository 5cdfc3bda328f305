-- The table psql's \copy loads in the loader comparison: the columns and primary key of loans and
-- nothing else (no CHECKs, no change-logging triggers, no defaults), so that psql's side is the
-- raw limit of COPY into such a table. loans' statement triggers keep every inserted row in a
-- transition table; loading loans itself would make psql pay for them too and flatter the loader.
-- Made anew before every psql run, so that each one loads an empty table like the loader's side.
DROP TABLE IF EXISTS bench_plain_loans;
CREATE TABLE bench_plain_loans (
  repayment_date  date    PRIMARY KEY,
  number_of_loans integer NOT NULL,
  defaults        integer NOT NULL,
  liquidations    integer NOT NULL
);
