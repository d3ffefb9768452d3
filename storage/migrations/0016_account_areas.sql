-- Accounts get an area ('*' = the whole regency, a kecamatan code 36.04.NN or a desa code
-- 36.04.NN.NNNN); API tokens have no account, so they get an area of their own. Existing ones
-- keep seeing everything. Every change to an account is audited in account_changes.

ALTER TABLE users ADD COLUMN area text NOT NULL DEFAULT '*'
    CHECK (area ~ '^(\*|36\.04\.[0-9]{2}(\.[0-9]{4})?)$');

ALTER TABLE api_tokens ADD COLUMN area text NOT NULL DEFAULT '*'
    CHECK (area ~ '^(\*|36\.04\.[0-9]{2}(\.[0-9]{4})?)$');

CREATE TABLE account_changes (
    id         bigserial PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id),
    actor      text NOT NULL CHECK (length(actor) BETWEEN 1 AND 100),
    action     text NOT NULL CHECK (action IN
                   ('add', 'disable', 'enable', 'reset_password', 'set_role', 'set_area')),
    detail     text NOT NULL DEFAULT '' CHECK (length(detail) <= 200),
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_changes_user ON account_changes (user_id, changed_at);
