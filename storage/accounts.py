"""
Changing console accounts: add, disable, enable, reset a password, set a role or an area.

Every change is written to account_changes (who did it, what, when) in the same transaction as
the change itself. The last active admin can be neither disabled nor demoted: the check locks
the active admins' rows first, so two admins demoting each other at once cannot both succeed.
Disabling an account or resetting its password ends its sessions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from storage.db import Conn, Queryable
from storage.errors import StorageError
from storage.users import ROLES, add_user

NAME = re.compile(r"[a-z0-9._-]{2,40}")


class AccountRefused(StorageError):
    """The change cannot be made; the message says why."""


@dataclass(frozen=True, slots=True)
class AccountChange:
    """One audited change to an account."""

    user_name: str
    actor: str
    action: str
    detail: str
    changed_at: datetime


async def _record(conn: Conn, user_id: int, actor: str, action: str, detail: str = "") -> None:
    await conn.execute(
        "INSERT INTO account_changes (user_id, actor, action, detail) VALUES ($1, $2, $3, $4)",
        user_id,
        actor[:100],
        action,
        detail[:200],
    )


async def _target(conn: Conn, name: str) -> tuple[int, str, bool]:
    """The account's id, role and whether it is active, locked for the change."""
    row = await conn.fetchrow(
        "SELECT id, role, active FROM users WHERE name = $1 FOR UPDATE", name.strip().lower()
    )
    if row is None:
        raise AccountRefused(f"no user {name[:40]!r}")
    return int(row["id"]), str(row["role"]), bool(row["active"])


async def _active_admins(conn: Conn) -> list[int]:
    """The active admins, their rows locked in id order before anything else is locked, so
    two changes at once (two admins disabling each other) queue up instead of deadlocking, and
    the second sees what the first did."""
    rows = await conn.fetch(
        "SELECT id FROM users WHERE role = 'admin' AND active ORDER BY id FOR UPDATE"
    )
    return [int(r["id"]) for r in rows]


def _keep_an_admin(admins: list[int], user_id: int) -> None:
    """Refuse when this account is the last active admin."""
    if admins == [user_id]:
        raise AccountRefused("the last active admin cannot be disabled or lose the admin role")


async def create_account(
    conn: Conn, name: str, role: str, password_hash: str, area: str, actor: str
) -> int:
    """A new account, audited."""
    if not NAME.fullmatch(name):
        raise AccountRefused(f"name {name[:40]!r}: 2 to 40 of a-z, 0-9, '.', '_', '-'")
    if role not in ROLES:
        raise AccountRefused(f"role {role[:20]!r}: one of {', '.join(ROLES)}")
    async with conn.transaction():
        user_id = await add_user(conn, name, role, password_hash, area)
        await _record(conn, user_id, actor, "add", f"role={role} area={area}")
    return user_id


async def set_active(conn: Conn, name: str, active: bool, actor: str) -> None:
    """Disable or enable an account; disabling ends its sessions."""
    async with conn.transaction():
        admins = await _active_admins(conn)
        user_id, _, _ = await _target(conn, name)
        if not active:
            _keep_an_admin(admins, user_id)
        await conn.execute("UPDATE users SET active = $2 WHERE id = $1", user_id, active)
        if not active:
            await conn.execute("DELETE FROM console_sessions WHERE user_id = $1", user_id)
        await _record(conn, user_id, actor, "enable" if active else "disable")


async def set_role(conn: Conn, name: str, role: str, actor: str) -> None:
    """Give an account another role."""
    if role not in ROLES:
        raise AccountRefused(f"role {role[:20]!r}: one of {', '.join(ROLES)}")
    async with conn.transaction():
        admins = await _active_admins(conn)
        user_id, before, _ = await _target(conn, name)
        if role != "admin":
            _keep_an_admin(admins, user_id)
        await conn.execute("UPDATE users SET role = $2 WHERE id = $1", user_id, role)
        await _record(conn, user_id, actor, "set_role", f"{before} -> {role}")


async def set_area(conn: Conn, name: str, area: str, actor: str) -> None:
    """Limit an account to another area (checked by storage.areas)."""
    async with conn.transaction():
        user_id, _, _ = await _target(conn, name)
        before = await conn.fetchval("SELECT area FROM users WHERE id = $1", user_id)
        await conn.execute("UPDATE users SET area = $2 WHERE id = $1", user_id, area)
        await _record(conn, user_id, actor, "set_area", f"{before} -> {area}")


async def reset_password(conn: Conn, name: str, password_hash: str, actor: str) -> None:
    """Store a new password and end the account's sessions."""
    async with conn.transaction():
        user_id, _, _ = await _target(conn, name)
        await conn.execute(
            "UPDATE users SET password_hash = $2 WHERE id = $1", user_id, password_hash
        )
        await conn.execute("DELETE FROM console_sessions WHERE user_id = $1", user_id)
        await _record(conn, user_id, actor, "reset_password")


async def account_changes(conn: Queryable, limit: int = 200) -> list[AccountChange]:
    """The latest changes to accounts, newest first."""
    rows = await conn.fetch(
        "SELECT u.name AS user_name, c.actor, c.action, c.detail, c.changed_at"
        " FROM account_changes c JOIN users u ON u.id = c.user_id"
        " ORDER BY c.id DESC LIMIT $1",
        limit,
    )
    return [AccountChange(**dict(r)) for r in rows]
