-- Conflict of interest. A reporter can say a tip involves a village official (kepala desa or
-- perangkat desa): such a tip is never alerted to a village official, at filing or escalation
-- (storage.alerts). An investigator can name officials of the directory as involved in a case:
-- they never receive its alerts again, nor escalations, nor resends; the row says who named them
-- and when (the change is audited by the row itself).
ALTER TABLE tips ADD COLUMN involves_village_official boolean NOT NULL DEFAULT false;

CREATE TABLE case_involved_officials (
    case_id     bigint NOT NULL REFERENCES tips (id) ON DELETE CASCADE,
    official_id bigint NOT NULL REFERENCES officials (id),
    set_by      text NOT NULL,
    set_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (case_id, official_id)
);
