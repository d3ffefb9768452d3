-- Abuse budgets (issue 11): counters per time window, the receipt-lookup guard, and alerts held
-- by the flood detector until a person releases them.

-- One row per (what is counted, whose, which window): SMS replies per sender per hour, HELP
-- replies per sender per day, tips per minute, outbound SMS per hour. A sender is their HMAC
-- reporter key (never a number); global counters use the empty subject. Incremented with
-- INSERT ... ON CONFLICT DO UPDATE ... RETURNING, so two requests at once cannot both pass.
-- Old windows are deleted by `hotline purge`.
CREATE TABLE usage_counters (
    scope        text NOT NULL,
    subject      bytea NOT NULL DEFAULT '',
    window_start timestamptz NOT NULL,
    used         integer NOT NULL CHECK (used >= 0),
    PRIMARY KEY (scope, subject, window_start)
);
CREATE INDEX usage_counters_window ON usage_counters (window_start);

-- Failed receipt lookups (USSD "check my report", SMS STATUS/JAWAB) across every caller: past
-- the hourly budget every lookup answers "try later" until blocked_until, which doubles with
-- each exhaustion in a row (strikes).
CREATE TABLE receipt_guard (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    window_start  timestamptz NOT NULL DEFAULT now(),
    misses        integer NOT NULL DEFAULT 0,
    strikes       integer NOT NULL DEFAULT 0,
    blocked_until timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO receipt_guard DEFAULT VALUES;

-- 'held': an official alert written during a tip flood, waiting for a person to release it
-- (`hotline alerts release`); the worker never claims it and it never escalates.
ALTER TABLE outbox
    DROP CONSTRAINT outbox_status,
    ADD CONSTRAINT outbox_status CHECK
        (status IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'dead', 'held'));
CREATE INDEX outbox_held ON outbox (id) WHERE status = 'held';
