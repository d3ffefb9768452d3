-- Officials, routing rules (data, not code), alerts and escalation, and the outbox's delivery
-- machinery: attempts with backoff, AT message ids, per-message timeline, delivery reports,
-- opt-outs and the account-level pause.

CREATE TABLE officials (
    id              bigserial PRIMARY KEY,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    role            text NOT NULL DEFAULT '',
    phone           text NOT NULL UNIQUE CHECK (phone ~ '^\+[1-9][0-9]{7,14}$'),
    office          text NOT NULL DEFAULT '',
    kecamatan_codes text[] NOT NULL,  -- Kemendagri codes, or {'*'}: the whole kabupaten
    categories      text[] NOT NULL,  -- category keys, or {'*'}: all
    tier            smallint NOT NULL CHECK (tier BETWEEN 1 AND 3),
    active          boolean NOT NULL DEFAULT true,
    is_sample       boolean NOT NULL DEFAULT false
);

-- Per category ('*' = default): alert every tier at once, and how long before escalating.
CREATE TABLE routing_rules (
    category    text PRIMARY KEY,
    all_tiers   boolean NOT NULL,
    ack_minutes integer NOT NULL CHECK (ack_minutes > 0)
);
INSERT INTO routing_rules (category, all_tiers, ack_minutes) VALUES
    ('*', false, 1440),
    ('bahaya', true, 30);

ALTER TABLE outbox
    ALTER COLUMN recipient_sealed DROP NOT NULL,
    ADD COLUMN official_id     bigint REFERENCES officials (id),
    ADD COLUMN is_sample       boolean NOT NULL DEFAULT false,
    ADD COLUMN attempts        integer NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN claimed_until   timestamptz,
    ADD COLUMN provider_id     text UNIQUE,
    ADD COLUMN last_error      text NOT NULL DEFAULT '',
    ADD COLUMN updated_at      timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT outbox_has_recipient CHECK (recipient_sealed IS NOT NULL OR official_id IS NOT NULL),
    ADD CONSTRAINT outbox_status CHECK
        (status IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'dead'));
DROP INDEX outbox_queued;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'queued';
CREATE INDEX outbox_sending ON outbox (claimed_until) WHERE status = 'sending';

CREATE TABLE alerts (
    id              bigserial PRIMARY KEY,
    tip_id          bigint NOT NULL REFERENCES tips (id) ON DELETE CASCADE,
    official_id     bigint NOT NULL REFERENCES officials (id),
    tier            smallint NOT NULL,
    outbox_id       bigint REFERENCES outbox (id),
    reason          text NOT NULL CHECK (reason IN ('new', 'escalated', 'resend')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    ack_due_at      timestamptz NOT NULL,
    acknowledged_at timestamptz,
    escalated_at    timestamptz
);
CREATE INDEX alerts_open ON alerts (ack_due_at)
    WHERE acknowledged_at IS NULL AND escalated_at IS NULL;
CREATE INDEX alerts_tip ON alerts (tip_id);

-- Each outbound SMS's timeline after it was queued.
CREATE TABLE sms_events (
    id        bigserial PRIMARY KEY,
    outbox_id bigint NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    kind      text NOT NULL,
    detail    text NOT NULL DEFAULT '',
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sms_events_outbox ON sms_events (outbox_id, id);

-- AT's delivery reports by message id; kept even when the id is not known yet (a report can
-- arrive before the sender has recorded the id) and applied when it is.
CREATE TABLE delivery_reports (
    provider_id    text NOT NULL,
    status         text NOT NULL,
    failure_reason text NOT NULL DEFAULT '',
    received_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider_id, status)
);

-- Numbers that sent BERHENTI/STOP/UNREG, as keyed hashes like reporters.
CREATE TABLE opt_outs (
    phone_key  bytea PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Account-level problems (bad API key, no balance) pause all sending until they are fixed.
CREATE TABLE sender_state (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    paused      boolean NOT NULL DEFAULT false,
    reason      text NOT NULL DEFAULT '',
    changed_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO sender_state DEFAULT VALUES;
