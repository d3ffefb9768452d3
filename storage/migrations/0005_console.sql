-- Console accounts, their sessions, failed-login throttling and API tokens.

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9._-]{2,40}$'),
    role          text NOT NULL CHECK (role IN ('operator', 'investigator', 'admin')),
    password_hash text NOT NULL,
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Only a hash of the session token is stored: a database leak opens no session.
CREATE TABLE console_sessions (
    token_hash bytea PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token text NOT NULL,
    lang       text NOT NULL DEFAULT 'id' CHECK (lang IN ('id', 'en')),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

CREATE TABLE login_failures (
    id        bigserial PRIMARY KEY,
    name      text NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_name ON login_failures (name, failed_at);

CREATE TABLE api_tokens (
    token_hash bytea PRIMARY KEY,
    label      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- A pending CSV upload in the console: previewed, then applied or cancelled.
CREATE TABLE uploads (
    id         bigserial PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('registry', 'officials')),
    file_name  text NOT NULL,
    content    text NOT NULL,
    user_id    bigint NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    applied_at timestamptz
);
