-- A resident's sealed number is kept only while a message to them may still be sent, and a
-- resident's message (a receipt naming the tip, a reply) is not linked to a tip: a copy of the
-- database must not lead from a tip to the number that filed it.
UPDATE outbox SET tip_id = NULL WHERE recipient_kind = 'resident' AND tip_id IS NOT NULL;
UPDATE outbox SET recipient_sealed = ''
    WHERE recipient_kind = 'resident' AND recipient_sealed <> '' AND status IN ('delivered', 'failed');
ALTER TABLE outbox
    ADD CONSTRAINT outbox_resident_not_linked CHECK (recipient_kind <> 'resident' OR tip_id IS NULL);
-- Housekeeping looks for the numbers still held.
CREATE INDEX outbox_sealed_held ON outbox (updated_at)
    WHERE recipient_kind = 'resident' AND recipient_sealed <> '';
