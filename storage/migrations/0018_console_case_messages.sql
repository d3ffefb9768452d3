-- A question to the reporter may come from a console account (an investigator or admin) as well
-- as from an official by SMS: the thread names whoever wrote it. One of the two, never both.
ALTER TABLE tip_messages
    ADD COLUMN account text CHECK (length(account) <= 120),
    ADD CONSTRAINT tip_messages_one_writer CHECK (official_id IS NULL OR account IS NULL);
