-- Officials' messages on a tip's thread name the official who sent them: closing a tip and asking
-- its reporter are acts staff must be able to trace. A question or note that asks the reporter for
-- identity data (ussd_menus/identity_requests.py) is held for staff review instead of shown:
--   none      never needed review: the reporter sees it
--   held      waiting for an investigator or admin: the reporter does not see it
--   released  a reviewer let it through: the reporter sees it
--   rejected  a reviewer stopped it: the reporter never sees it
-- reviewed_by / reviewed_at record who decided and when (the decision is final).

ALTER TABLE tip_messages
    ADD COLUMN official_id bigint REFERENCES officials (id),
    ADD COLUMN review      text NOT NULL DEFAULT 'none'
        CHECK (review IN ('none', 'held', 'released', 'rejected')),
    ADD COLUMN held_for    text NOT NULL DEFAULT '' CHECK (length(held_for) <= 200),
    ADD COLUMN reviewed_by text,
    ADD COLUMN reviewed_at timestamptz,
    ADD CONSTRAINT tip_messages_review_decided
        CHECK ((review IN ('released', 'rejected')) = (reviewed_at IS NOT NULL));
CREATE INDEX tip_messages_held ON tip_messages (tip_id) WHERE review = 'held';
