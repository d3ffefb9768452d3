-- Agency (P3MI) registry, Serang's kecamatan, and registry import history.

CREATE TABLE agencies (
    licence_number        text PRIMARY KEY CHECK (licence_number ~ '^[0-9A-Z]+$'),
    name                  text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    status                text NOT NULL
        CHECK (status IN ('aktif', 'dihentikan_sementara', 'dicabut', 'kedaluwarsa')),
    status_since          date,
    status_until          date,
    valid_until           date,
    head_office_city      text NOT NULL DEFAULT '',
    head_office_province  text NOT NULL DEFAULT '',
    branch_cities         text[] NOT NULL DEFAULT '{}',
    destination_countries text[] NOT NULL DEFAULT '{}',
    job_types             text[] NOT NULL DEFAULT '{}',
    source                text NOT NULL DEFAULT '',
    snapshot_date         date,
    is_sample             boolean NOT NULL DEFAULT false,
    CHECK (status NOT IN ('dihentikan_sementara', 'dicabut') OR status_since IS NOT NULL),
    CHECK (status_until IS NULL OR status_since IS NULL OR status_until >= status_since)
);

CREATE TABLE kecamatan (
    code       text PRIMARY KEY CHECK (code ~ '^36\.04\.[0-9]{2}$'),
    name       text NOT NULL UNIQUE,
    postcode   text NOT NULL DEFAULT '',
    desa_count integer NOT NULL DEFAULT 0 CHECK (desa_count >= 0)
);

CREATE TABLE registry_imports (
    id            bigserial PRIMARY KEY,
    imported_at   timestamptz NOT NULL DEFAULT now(),
    file_name     text NOT NULL,
    snapshot_date date,
    total         integer NOT NULL,
    added         integer NOT NULL,
    changed       integer NOT NULL,
    removed       integer NOT NULL
);

-- Where a free-text USSD input ends inside AT's *-joined path: the one thing replay cannot derive.
CREATE TABLE ussd_free_text (
    session_id   text NOT NULL,
    start_offset integer NOT NULL,
    end_offset   integer NOT NULL CHECK (end_offset >= start_offset),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, start_offset)
);
CREATE INDEX ussd_free_text_created_at ON ussd_free_text (created_at);
