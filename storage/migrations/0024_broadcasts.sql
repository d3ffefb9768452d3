-- Opt-in broadcasts (sosialisasi, issue 16 item 1): subscribers, broadcasts, and the outbox rows
-- a broadcast queued. Subscribers are kept for this purpose only and apart from tips: a keyed
-- hash (phone_key, like reporter keys) to find a number again, its sealed form to send to, the
-- area and language; no query joins them with tips (tests/test_broadcasts.py greps storage/).

CREATE TABLE subscribers (
    id               bigserial PRIMARY KEY,
    phone_key        bytea NOT NULL UNIQUE,
    recipient_sealed bytea NOT NULL,
    area             text NOT NULL CHECK (area ~ '^(\*|36\.04\.[0-9]{2}(\.[0-9]{4})?)$'),
    lang             text NOT NULL DEFAULT 'id' CHECK (lang IN ('id', 'en')),
    -- 'pending' until the number itself confirms (SMS YA, or on its own USSD session).
    confirmed_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscribers_area ON subscribers (area) WHERE confirmed_at IS NOT NULL;

CREATE TABLE broadcasts (
    id          bigserial PRIMARY KEY,
    area        text NOT NULL CHECK (area ~ '^(\*|36\.04\.[0-9]{2}(\.[0-9]{4})?)$'),
    body_id     text NOT NULL CHECK (length(body_id) BETWEEN 1 AND 480),
    body_en     text NOT NULL CHECK (length(body_en) BETWEEN 1 AND 480),
    author      text NOT NULL CHECK (length(author) BETWEEN 1 AND 100),
    -- A form submitted twice creates one broadcast: the author's token for the form.
    form_token  text NOT NULL UNIQUE,
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'queued')),
    approved_by text CHECK (approved_by <> author),
    approved_at timestamptz,
    recipients  integer,
    starts_at   timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'queued') = (approved_by IS NOT NULL))
);

-- A broadcast's messages: which broadcast, and which subscriber (to drop the rest of it when
-- they unsubscribe). 'cancelled': a queued message whose subscriber unsubscribed.
ALTER TABLE outbox
    ADD COLUMN broadcast_id  bigint REFERENCES broadcasts (id),
    ADD COLUMN subscriber_id bigint REFERENCES subscribers (id) ON DELETE SET NULL,
    DROP CONSTRAINT outbox_status,
    ADD CONSTRAINT outbox_status CHECK
        (status IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'dead', 'held', 'cancelled'));
CREATE INDEX outbox_broadcast ON outbox (broadcast_id, status) WHERE broadcast_id IS NOT NULL;
CREATE INDEX outbox_subscriber ON outbox (subscriber_id) WHERE subscriber_id IS NOT NULL;
