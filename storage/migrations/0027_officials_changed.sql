-- Issue 15: every gateway process keeps the active officials' numbers in memory, so a resident's
-- first USSD hop needs no lookup. Any change to the directory, by the CLI, the console or plain
-- SQL, notifies the channel `officials_changed` when it commits; each process then reloads.
CREATE FUNCTION notify_officials_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('officials_changed', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER officials_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON officials
    FOR EACH STATEMENT EXECUTE FUNCTION notify_officials_changed();
