-- Agency checks made by residents over USSD: the name or licence number they typed (normalised)
-- and whether the registry knew it. The typed text names a company or a person who approached
-- the resident, not the resident: no phone number, session or place is kept with it.

CREATE TABLE agency_checks (
    id         bigserial PRIMARY KEY,
    query_key  text NOT NULL CHECK (length(query_key) <= 200),
    query      text NOT NULL CHECK (length(query) <= 200),
    found      boolean NOT NULL,
    checked_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agency_checks_not_found ON agency_checks (query_key) WHERE NOT found;
