-- The inputs of a USSD session from a gateway that sends only the latest input: the core keeps
-- the '*'-joined path itself, so several gateway processes can serve one session. `inputs`
-- counts them (an empty path is either the dial or one empty input). Purged after a day.
CREATE TABLE ussd_inputs (
    session_id  text PRIMARY KEY,
    path        text NOT NULL,
    inputs      integer NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ussd_inputs_updated_at ON ussd_inputs (updated_at);

-- Session ends in our own words (completed, incomplete, failed), not the gateway's.
UPDATE ussd_session_events
    SET status = CASE lower(status) WHEN 'success' THEN 'completed' ELSE lower(status) END;
