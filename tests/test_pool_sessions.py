"""
Pooled connections carry no session state, so the app's pools skip asyncpg's reset query on
every release (storage.db.keep_session): the code may take only transaction-level advisory locks,
and may not SET, LISTEN or DECLARE outside a transaction on a pooled connection. The one
session-level lock (migrations) runs on a connection of its own and is released in `finally`.
"""

from __future__ import annotations

import re
from pathlib import Path

import asyncpg

from storage.db import keep_session

ROOT = Path(__file__).resolve().parent.parent
SESSION_STATE = {
    "session advisory lock": re.compile(r"pg_(?:try_)?advisory_lock(?:_shared)?\s*\("),
    "SET without LOCAL": re.compile(r"[\"']\s*SET\s+(?:SESSION\s+)?[a-z_.]+\s+(?:TO|=)"),
    "LISTEN in SQL": re.compile(r"[\"']\s*LISTEN\b"),
    "DECLARE in SQL": re.compile(r"[\"']\s*DECLARE\b"),
}
# Files allowed a session-level statement, on connections that are not pooled.
OWN_CONNECTIONS = {"storage/migrate.py"}


def sources() -> list[Path]:
    """The service's Python modules."""
    return [p for d in ("gateway", "storage") for p in (ROOT / d).rglob("*.py")]


def test_no_session_state_outside_own_connections() -> None:
    """No module but migrations' sets session state a pooled connection would keep."""
    found = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sources()
        if str(path.relative_to(ROOT)) not in OWN_CONNECTIONS
        for name, pattern in SESSION_STATE.items()
        if pattern.search(path.read_text("utf-8"))
    ]
    assert found == []


def test_the_scan_finds_a_session_lock() -> None:
    """The scan is not blind: the migrations' own lock is found."""
    text = (ROOT / "storage" / "migrate.py").read_text("utf-8")
    assert SESSION_STATE["session advisory lock"].search(text)


async def test_a_released_connection_still_loses_its_open_transaction(database_url: str) -> None:
    """With no reset query, a connection given back inside a transaction is rolled back."""
    async with asyncpg.create_pool(
        database_url, min_size=1, max_size=1, reset=keep_session
    ) as pool:
        conn = await pool.acquire()
        await conn.execute("BEGIN")
        await conn.execute("CREATE TEMP TABLE left_open (n int)")
        await pool.release(conn)
        async with pool.acquire() as again:
            assert not again.is_in_transaction()
            assert await again.fetchval("SELECT to_regclass('pg_temp.left_open')") is None
