"""
Connection types shared by the query modules.
"""

from __future__ import annotations

from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

# One connection (for work that must share a transaction) ...
Conn: TypeAlias = asyncpg.Connection | PoolConnectionProxy
# ... or anything that runs a single statement.
Queryable: TypeAlias = Conn | asyncpg.Pool

# Everything that means "the database is unreachable, the connection broke or the server refused
# the statement" (PostgresError is every error the server answers, constraint violations
# included): storage lets these through untranslated; callers wait them out or answer politely,
# and import this one tuple rather than asyncpg so every caller agrees.
DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)


async def keep_session(_conn: asyncpg.Connection) -> None:
    """A pool's reset on release that sends nothing: our pooled connections never carry session
    state (advisory locks are transaction-level, nothing SETs, LISTENs or DECLAREs outside a
    transaction; tests/test_pool_sessions.py keeps it so), and asyncpg still rolls back an open
    transaction. asyncpg's default reset costs every release a round trip (`RESET ALL; UNLISTEN *;
    ...`), as much again as a hop's one INSERT."""
