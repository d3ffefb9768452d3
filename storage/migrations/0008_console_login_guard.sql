-- Console login throttling by counter rows, and sessions that end when left idle.

-- One row per throttled key: 'name:<name>' (every source), 'pair:<name>|<ip>' and 'ip:<ip>'.
-- A login attempt counts itself in one statement before its password is checked, so parallel
-- attempts each get their own number and none is checked beyond the limit. The window restarts
-- in place when it has run out.
CREATE TABLE login_attempts (
    key          text PRIMARY KEY,
    attempts     integer NOT NULL CHECK (attempts >= 0),
    window_start timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_window ON login_attempts (window_start);

-- Replaced by login_attempts: rows written after the check let parallel guesses through.
DROP TABLE login_failures;

-- Idle timeout: a session not used for HOTLINE_SESSION_IDLE_MINUTES is over.
ALTER TABLE console_sessions ADD COLUMN last_seen_at timestamptz NOT NULL DEFAULT now();
