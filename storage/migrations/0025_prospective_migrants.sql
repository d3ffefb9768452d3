-- Prospective migrant workers recorded by village officials, with the resident's consent first
-- (issue 16 item 2; UU 27/2022 on personal data protection: purpose, minimal fields, retention).
--
-- migrant_consents: a request waiting for the resident's YA/SETUJU. It holds the resident's
-- keyed hash (to recognise their reply), their sealed number (to send the consent SMS and nothing
-- else) and the proposed fields sealed with the same key (unreadable at rest without the
-- service's secret). It is not a record: it expires and is deleted by housekeeping.
CREATE TABLE migrant_consents (
    id            bigserial PRIMARY KEY,
    resident_key  bytea NOT NULL,
    resident_sealed bytea NOT NULL,
    proposal_sealed bytea NOT NULL,
    official_id   bigint NOT NULL REFERENCES officials (id),
    requested_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX migrant_consents_resident ON migrant_consents (resident_key, expires_at);

-- A record exists only after its resident confirmed from their own number (consented_at).
CREATE TABLE prospective_migrants (
    id             bigserial PRIMARY KEY,
    resident_key   bytea NOT NULL UNIQUE,
    resident_sealed bytea NOT NULL,
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    desa_code      text NOT NULL CHECK (desa_code ~ '^36\.04\.\d{2}\.\d{4}$'),
    kecamatan_code text NOT NULL CHECK (desa_code LIKE kecamatan_code || '.%'),
    destination    text NOT NULL CHECK (length(destination) BETWEEN 1 AND 40),
    job            text NOT NULL CHECK (length(job) BETWEEN 1 AND 40),
    agency         text CHECK (length(agency) <= 60),
    planned_month  date NOT NULL CHECK (extract(day FROM planned_month) = 1),
    departed_on    date,
    returned_on    date,
    recorded_by    bigint REFERENCES officials (id),
    consented_at   timestamptz NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX prospective_migrants_desa ON prospective_migrants (desa_code);
CREATE INDEX prospective_migrants_returned ON prospective_migrants (returned_on)
    WHERE returned_on IS NOT NULL;

-- Every read and change of a record, like tip_reads. No field values: who, what, when. A
-- deletion removes the record's earlier rows and leaves one 'deleted' row with no area, so the
-- audit keeps only that a deletion happened.
CREATE TABLE migrant_audit (
    id             bigserial PRIMARY KEY,
    migrant_id     bigint NOT NULL,  -- no foreign key: the 'deleted' row outlives its record
    kecamatan_code text,
    desa_code      text,
    actor          text NOT NULL,
    action         text NOT NULL CHECK (action IN
                       ('recorded', 'read', 'updated', 'exported', 'deleted', 'expired')),
    at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX migrant_audit_migrant ON migrant_audit (migrant_id);
CREATE INDEX migrant_audit_desa ON migrant_audit (desa_code, at);
