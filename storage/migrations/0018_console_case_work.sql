-- A question to the reporter may come from a console account (an investigator or admin) as well
-- as from an official by SMS: the thread names whoever wrote it. One of the two, never both.
ALTER TABLE tip_messages
    ADD COLUMN account text CHECK (length(account) <= 120),
    ADD CONSTRAINT tip_messages_one_writer CHECK (official_id IS NULL OR account IS NULL);

-- Assignment (console, investigators and admins): a case is given to a console account, an
-- official or an agency, with a due date; "my cases" and "overdue" filter the tips list on it.
-- Every assignment is also a case_events row (a note that keeps the status) naming who set it.
ALTER TABLE tips
    ADD COLUMN assigned_account    text CHECK (length(assigned_account) <= 120),
    ADD COLUMN assigned_official_id bigint REFERENCES officials (id),
    ADD COLUMN assigned_agency     text CHECK (length(assigned_agency) <= 16),
    ADD COLUMN due_on              date;
CREATE INDEX tips_assigned_account ON tips (assigned_account) WHERE assigned_account IS NOT NULL;
CREATE INDEX tips_due_on ON tips (due_on) WHERE due_on IS NOT NULL;
