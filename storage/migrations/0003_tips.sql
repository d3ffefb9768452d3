-- Anonymous tips, their thread with officials, report drafts, inbound SMS and the SMS outbox.
-- No column ever holds a phone number in clear: reporters are an HMAC key (reporter_key), and
-- an outbound recipient is sealed with a key derived from HOTLINE_SECRET.

CREATE TABLE tips (
    id             bigserial PRIMARY KEY,
    receipt        text NOT NULL UNIQUE CHECK (receipt ~ '^[0-9]{9}$'),
    channel        text NOT NULL CHECK (channel IN ('ussd', 'sms')),
    -- The USSD session or inbound SMS that filed it: a retried final hop finds the same tip.
    source_ref     text NOT NULL UNIQUE,
    reporter_key   bytea,
    category       text NOT NULL
        CHECK (category IN ('calo', 'biaya', 'dokumen', 'visa', 'tujuan', 'bahaya', 'lainnya')),
    kecamatan_code text REFERENCES kecamatan (code),
    desa           text CHECK (length(desa) <= 100),
    agency_licence text,
    agency_name    text CHECK (length(agency_name) <= 200),
    agency_key     text,
    description    text CHECK (length(description) <= 1000),
    status         text NOT NULL DEFAULT 'diterima'
        CHECK (status IN ('diterima', 'diteruskan', 'diproses', 'ditutup')),
    lang           text NOT NULL DEFAULT 'id' CHECK (lang IN ('id', 'en')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    purged_at      timestamptz
);
CREATE INDEX tips_reporter_recent ON tips (reporter_key, created_at) WHERE reporter_key IS NOT NULL;
CREATE INDEX tips_agency_recent ON tips (agency_key, created_at) WHERE agency_key IS NOT NULL;
CREATE INDEX tips_created_at ON tips (created_at);

-- The anonymous thread: officials' questions and notes, the reporter's answers.
CREATE TABLE tip_messages (
    id         bigserial PRIMARY KEY,
    tip_id     bigint NOT NULL REFERENCES tips (id) ON DELETE CASCADE,
    author     text NOT NULL CHECK (author IN ('official', 'reporter')),
    kind       text NOT NULL CHECK (kind IN ('question', 'answer', 'note')),
    body       text CHECK (length(body) <= 1000),
    reply_to   bigint REFERENCES tip_messages (id),
    source_ref text UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tip_messages_tip ON tip_messages (tip_id, id);

-- Flags for staff: e.g. one agency named by an unusual number of tips in a day.
CREATE TABLE tip_flags (
    kind       text NOT NULL,
    subject    text NOT NULL,
    day        date NOT NULL,
    tips       integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, subject, day)
);

-- Every read of a tip's content by staff.
CREATE TABLE tip_reads (
    id      bigserial PRIMARY KEY,
    tip_id  bigint NOT NULL REFERENCES tips (id) ON DELETE CASCADE,
    reader  text NOT NULL,
    purpose text NOT NULL DEFAULT '',
    read_at timestamptz NOT NULL DEFAULT now()
);

-- A report in progress, kept under the reporter's key for a few minutes so a dropped session
-- can be resumed. base_state is what the current session resumed from (replays need it fixed).
CREATE TABLE report_drafts (
    reporter_key bytea PRIMARY KEY,
    session_id   text NOT NULL,
    base_state   jsonb,
    state        jsonb NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Inbound SMS already handled, by Africa's Talking's id: its retries change nothing.
-- The text is not kept here (a tip keeps its own description).
CREATE TABLE sms_inbound (
    id          text PRIMARY KEY,
    sender_key  bytea NOT NULL,
    keyword     text NOT NULL,
    tip_id      bigint REFERENCES tips (id) ON DELETE SET NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- Outbound SMS, written in the same transaction as their cause; sent by a later worker.
CREATE TABLE outbox (
    id               bigserial PRIMARY KEY,
    recipient_sealed bytea NOT NULL,
    recipient_kind   text NOT NULL CHECK (recipient_kind IN ('resident', 'official')),
    body             text NOT NULL CHECK (length(body) <= 1600),
    cause            text NOT NULL,
    tip_id           bigint REFERENCES tips (id) ON DELETE SET NULL,
    status           text NOT NULL DEFAULT 'queued',
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_queued ON outbox (id) WHERE status = 'queued';

-- Africa's Talking's end-of-session notifications, for the drop-off figures.
-- Neither the phone number nor the input is kept: the input may hold a tip's text.
CREATE TABLE ussd_session_events (
    session_id   text PRIMARY KEY,
    status       text NOT NULL,
    last_step    text NOT NULL DEFAULT '',
    hops         integer,
    duration_ms  bigint,
    network_code text NOT NULL DEFAULT '',
    error        text NOT NULL DEFAULT '',
    ended_at     timestamptz,
    received_at  timestamptz NOT NULL DEFAULT now()
);
