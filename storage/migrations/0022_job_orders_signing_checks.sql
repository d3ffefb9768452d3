-- Job orders as data and the check before signing (issue 15 items 4 and 5).
--
-- A job-order import replaces every job order at once, like a registry import (one row per file
-- in job_order_imports, with the data date the file states). A job order names the agency by its
-- normalised licence number, not by a foreign key: the registry and the job orders are imported
-- separately, in either order, and an order of an agency the registry does not know simply
-- never counts as valid.

CREATE TABLE job_order_imports (
    id          bigserial PRIMARY KEY,
    file_name   text NOT NULL CHECK (length(file_name) <= 200),
    data_date   date,  -- the newest data_date of the file's rows
    total       integer NOT NULL CHECK (total >= 0),
    imported_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE job_orders (
    id             bigserial PRIMARY KEY,
    licence_number text NOT NULL CHECK (length(licence_number) BETWEEN 1 AND 200),
    country_code   text NOT NULL CHECK (country_code ~ '^[A-Z]{2}$'),
    job_kind       text NOT NULL CHECK (length(job_kind) BETWEEN 1 AND 40),
    quota          integer CHECK (quota >= 0),
    valid_until    date NOT NULL,
    source         text NOT NULL CHECK (length(source) BETWEEN 1 AND 200),
    data_date      date NOT NULL,
    import_id      bigint REFERENCES job_order_imports (id),
    is_sample      boolean NOT NULL DEFAULT false,
    UNIQUE (licence_number, country_code, job_kind)
);
CREATE INDEX job_orders_country ON job_orders (country_code, valid_until);

ALTER TABLE uploads DROP CONSTRAINT uploads_kind_check;
ALTER TABLE uploads ADD CONSTRAINT uploads_kind_check
    CHECK (kind IN ('registry', 'officials', 'job_orders'));

-- Every check before signing an official asked for (CEKIZIN): who, where, what was asked, what
-- it matched and the answer with its reasons. The area is the official's at the time of the
-- check (their first kecamatan, their desa when the directory names one), so counts per area
-- do not move when the directory changes. A red check the official then filed as a report
-- points at that case.
CREATE TABLE signing_checks (
    id             bigserial PRIMARY KEY,
    official_id    bigint NOT NULL REFERENCES officials (id),
    checked_at     timestamptz NOT NULL DEFAULT now(),
    kecamatan_code text,
    desa_code      text,
    agency_query   text NOT NULL CHECK (length(agency_query) <= 200),
    licence_number text,
    agency_name    text,
    country_code   text,
    job_kind       text,
    result         text NOT NULL CHECK (result IN ('sign', 'stop')),
    reasons        text[] NOT NULL,
    tip_id         bigint REFERENCES tips (id)
);
CREATE INDEX signing_checks_area ON signing_checks (kecamatan_code, checked_at);
CREATE INDEX signing_checks_official ON signing_checks (official_id, checked_at);
