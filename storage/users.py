"""
Console accounts, sessions, failed-login records and API tokens.

Passwords arrive already hashed (argon2, in the gateway); session and API tokens are stored only
as SHA-256 hashes, so reading the database gives no way in.
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


@dataclass(frozen=True, slots=True)
class Session:
    """A logged-in session."""

    user: User
    csrf_token: str
    lang: str


def token_hash(token: str) -> bytes:
    """How tokens are stored."""
    return hashlib.sha256(token.encode()).digest()


async def add_user(conn: Queryable, name: str, role: str, password_hash: str) -> int:
    """Create an account."""
    user_id = await conn.fetchval(
        "INSERT INTO users (name, role, password_hash) VALUES ($1, $2, $3)"
        " ON CONFLICT (name) DO NOTHING RETURNING id",
        name,
        role,
        password_hash,
    )
    if user_id is None:
        raise UserExists(f"user {name!r} exists already")
    return int(user_id)


async def user_by_name(conn: Queryable, name: str) -> User | None:
    """An active account by name."""
    row = await conn.fetchrow(
        "SELECT id, name, role, password_hash, active FROM users WHERE name = $1 AND active", name
    )
    return User(**dict(row)) if row else None


async def list_users(conn: Queryable) -> list[User]:
    """Every account."""
    rows = await conn.fetch("SELECT id, name, role, password_hash, active FROM users ORDER BY name")
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


async def session_for(conn: Queryable, token: str) -> Session | None:
    """The live session behind a cookie."""
    row = await conn.fetchrow(
        "SELECT u.id, u.name, u.role, u.password_hash, u.active, s.csrf_token, s.lang"
        " FROM console_sessions s JOIN users u ON u.id = s.user_id"
        " WHERE s.token_hash = $1 AND s.expires_at > now() AND u.active",
        token_hash(token),
    )
    if row is None:
        return None
    user = User(row["id"], row["name"], row["role"], row["password_hash"], row["active"])
    return Session(user, row["csrf_token"], row["lang"])


async def set_session_lang(conn: Queryable, token: str, lang: str) -> None:
    """Switch a session's interface language."""
    await conn.execute(
        "UPDATE console_sessions SET lang = $2 WHERE token_hash = $1", token_hash(token), lang
    )


async def end_session(conn: Queryable, token: str) -> None:
    """Log out."""
    await conn.execute("DELETE FROM console_sessions WHERE token_hash = $1", token_hash(token))


async def record_login_failure(conn: Queryable, name: str) -> None:
    """Remember a failed login for throttling."""
    await conn.execute("INSERT INTO login_failures (name) VALUES ($1)", name[:100])


async def recent_login_failures(conn: Queryable, name: str, minutes: int) -> int:
    """Failed logins for a name in the last minutes."""
    count: int = await conn.fetchval(
        "SELECT count(*) FROM login_failures WHERE name = $1"
        " AND failed_at > now() - make_interval(mins => $2)",
        name[:100],
        minutes,
    )
    return count


async def clear_login_failures(conn: Queryable, name: str) -> None:
    """A successful login forgets earlier failures."""
    await conn.execute("DELETE FROM login_failures WHERE name = $1", name[:100])


async def add_api_token(conn: Queryable, token: str, label: str) -> None:
    """Register an API token (stored hashed)."""
    await conn.execute(
        "INSERT INTO api_tokens (token_hash, label) VALUES ($1, $2)", token_hash(token), label
    )


async def api_token_label(conn: Queryable, token: str) -> str | None:
    """The label of a valid API token."""
    label: str | None = await conn.fetchval(
        "SELECT label FROM api_tokens WHERE token_hash = $1", token_hash(token)
    )
    return label
