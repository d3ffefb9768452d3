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

# Everything that means "the database is unreachable or the connection broke": callers wait it
# out or answer politely; one tuple so every caller agrees.
DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)
