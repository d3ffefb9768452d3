"""
Console accounts, sessions, login-attempt counters and API tokens.

Passwords arrive already hashed (argon2, in the gateway); session and API tokens are stored only
as SHA-256 hashes, so reading the database gives no way in. A login attempt is counted before its
password is checked, in one statement, so parallel guesses cannot slip past a limit; sessions end
after their hard cap or when left idle, whichever comes first.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from storage.db import Queryable
from storage.errors import StorageError

ROLES = ("operator", "investigator", "admin")


class UserExists(StorageError):
    """A user with that name exists already."""


@dataclass(frozen=True, slots=True)
class User:
    """A console account."""

    id: int
    name: str
    role: str
    password_hash: str
    active: bool
    area: str = "*"


@dataclass(frozen=True, slots=True)
class Session:
    """A logged-in session."""

    user: User
    csrf_token: str
    lang: str


def token_hash(token: str) -> bytes:
    """How tokens are stored."""
    return hashlib.sha256(token.encode()).digest()


async def add_user(
    conn: Queryable, name: str, role: str, password_hash: str, area: str = "*"
) -> int:
    """Create an account (the area was checked by storage.areas)."""
    user_id = await conn.fetchval(
        "INSERT INTO users (name, role, password_hash, area) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (name) DO NOTHING RETURNING id",
        name,
        role,
        password_hash,
        area,
    )
    if user_id is None:
        raise UserExists(f"user {name!r} exists already")
    return int(user_id)


async def user_by_name(conn: Queryable, name: str) -> User | None:
    """An active account by name."""
    row = await conn.fetchrow(
        "SELECT id, name, role, password_hash, active, area FROM users WHERE name = $1 AND active",
        name,
    )
    return User(**dict(row)) if row else None


async def list_users(conn: Queryable) -> list[User]:
    """Every account."""
    rows = await conn.fetch(
        "SELECT id, name, role, password_hash, active, area FROM users ORDER BY name"
    )
    return [User(**dict(r)) for r in rows]


async def set_password_hash(conn: Queryable, user_id: int, password_hash: str) -> None:
    """Store a rehashed password (argon2 parameters moved on)."""
    await conn.execute("UPDATE users SET password_hash = $2 WHERE id = $1", user_id, password_hash)


async def create_session(
    conn: Queryable, token: str, user_id: int, csrf_token: str, lang: str, hours: int
) -> None:
    """Open a session."""
    await conn.execute(
        "INSERT INTO console_sessions (token_hash, user_id, csrf_token, lang, expires_at)"
        " VALUES ($1, $2, $3, $4, now() + make_interval(hours => $5))",
        token_hash(token),
        user_id,
        csrf_token,
        lang,
        hours,
    )


async def session_for(conn: Queryable, token: str, idle_minutes: int) -> Session | None:
    """The live session behind a cookie; using it keeps it from going idle."""
    row = await conn.fetchrow(
        "WITH s AS (UPDATE console_sessions SET last_seen_at = now()"
        "  WHERE token_hash = $1 AND expires_at > now()"
        "  AND last_seen_at > now() - make_interval(mins => $2)"
        "  RETURNING user_id, csrf_token, lang)"
        " SELECT u.id, u.name, u.role, u.password_hash, u.active, u.area, s.csrf_token, s.lang"
        " FROM s JOIN users u ON u.id = s.user_id WHERE u.active",
        token_hash(token),
        idle_minutes,
    )
    if row is None:
        return None
    user = User(
        row["id"], row["name"], row["role"], row["password_hash"], row["active"], row["area"]
    )
    return Session(user, row["csrf_token"], row["lang"])


async def set_session_lang(conn: Queryable, token: str, lang: str) -> None:
    """Switch a session's interface language."""
    await conn.execute(
        "UPDATE console_sessions SET lang = $2 WHERE token_hash = $1", token_hash(token), lang
    )


async def end_session(conn: Queryable, token: str) -> None:
    """Log out."""
    await conn.execute("DELETE FROM console_sessions WHERE token_hash = $1", token_hash(token))


async def purge_sessions(conn: Queryable, idle_minutes: int) -> int:
    """Drop sessions past their cap or idle too long; how many."""
    done: str = await conn.execute(
        "DELETE FROM console_sessions WHERE expires_at <= now()"
        " OR last_seen_at <= now() - make_interval(mins => $1)",
        idle_minutes,
    )
    return int(done.split()[-1])


@dataclass(frozen=True, slots=True)
class LoginAttempt:
    """Who is trying to log in: the name typed and the client's address."""

    name: str
    ip: str

    @property
    def name_key(self) -> str:
        """Attempts on the name from anywhere (slows guessing down, never locks the owner)."""
        return "name:" + self.name[:100]

    @property
    def pair_key(self) -> str:
        """Attempts on the name from this address (locked after a limit)."""
        return f"pair:{self.name[:100]}|{self.ip}"

    @property
    def ip_key(self) -> str:
        """Attempts from this address on any name (locked after a limit)."""
        return "ip:" + self.ip


@dataclass(frozen=True, slots=True)
class AttemptCounts:
    """Attempts in the current window, the one just counted included."""

    name: int
    pair: int
    ip: int


async def count_login_attempt(
    conn: Queryable, attempt: LoginAttempt, window_minutes: int
) -> AttemptCounts:
    """Count an attempt before its password is checked. One statement: parallel attempts
    serialise on the counter rows and each gets its own number. Rows are always locked in the
    order name, pair, ip, so two attempts never wait on each other in a cycle."""
    rows = await conn.fetch(
        "INSERT INTO login_attempts AS a (key, attempts) VALUES ($1, 1), ($2, 1), ($3, 1)"
        " ON CONFLICT (key) DO UPDATE SET"
        "  attempts = CASE WHEN a.window_start > now() - make_interval(mins => $4)"
        "   THEN a.attempts + 1 ELSE 1 END,"
        "  window_start = CASE WHEN a.window_start > now() - make_interval(mins => $4)"
        "   THEN a.window_start ELSE now() END"
        " RETURNING key, attempts",
        attempt.name_key,
        attempt.pair_key,
        attempt.ip_key,
        window_minutes,
    )
    counts = {r["key"]: int(r["attempts"]) for r in rows}
    return AttemptCounts(counts[attempt.name_key], counts[attempt.pair_key], counts[attempt.ip_key])


async def refund_login_attempt(conn: Queryable, attempt: LoginAttempt) -> None:
    """An attempt counted but never checked (the server was busy) does not count."""
    await conn.execute(
        "UPDATE login_attempts SET attempts = attempts - 1"
        " WHERE key = ANY($1::text[]) AND attempts > 0",
        [attempt.name_key, attempt.pair_key, attempt.ip_key],
    )


async def login_succeeded(conn: Queryable, attempt: LoginAttempt, window_minutes: int) -> None:
    """The right password: forget the name's attempts; the address keeps only its failures.
    Also drops counters whose window ran out, so the table stays small."""
    await conn.execute(
        "UPDATE login_attempts SET attempts = attempts - 1 WHERE key = $1 AND attempts > 0",
        attempt.ip_key,
    )
    await conn.execute(
        "DELETE FROM login_attempts WHERE key = ANY($1::text[])"
        " OR window_start <= now() - make_interval(mins => $2)",
        [attempt.name_key, attempt.pair_key],
        window_minutes,
    )


async def add_api_token(conn: Queryable, token: str, label: str, area: str = "*") -> None:
    """Register an API token (stored hashed) seeing tips of this area (checked by
    storage.areas)."""
    await conn.execute(
        "INSERT INTO api_tokens (token_hash, label, area) VALUES ($1, $2, $3)",
        token_hash(token),
        label,
        area,
    )


@dataclass(frozen=True, slots=True)
class ApiClient:
    """Who holds an API token: its label and the area it may see."""

    label: str
    area: str


async def api_client(conn: Queryable, token: str) -> ApiClient | None:
    """The holder of a valid API token."""
    row = await conn.fetchrow(
        "SELECT label, area FROM api_tokens WHERE token_hash = $1", token_hash(token)
    )
    return ApiClient(row["label"], row["area"]) if row else None
