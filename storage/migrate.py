"""
Forward-only schema migrations: numbered SQL files in storage/migrations, applied in order.

Each file is applied with its bookkeeping row in one transaction, under an advisory lock so that two
processes starting together neither race nor apply a file twice. Files are never edited once merged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import asyncpg

from storage.errors import MigrationError

# An arbitrary constant shared by every process of this service ("pmi" in ASCII).
_LOCK_ID = 0x706D69
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    """One migration file."""

    version: int
    name: str
    sql: str


def available() -> list[Migration]:
    """Every migration file, ordered; refuses gaps and duplicate numbers."""
    found: list[Migration] = []
    for entry in (resources.files("storage") / "migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise MigrationError(
                f"migration {expected:04d} missing or duplicated at {migration.name}"
            )
    return found


async def migrate(conn: asyncpg.Connection) -> list[str]:
    """Apply pending migrations; returns the names applied."""
    applied: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_ID)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {
            r["version"]: r["name"] for r in await conn.fetch("SELECT * FROM schema_migrations")
        }
        files = available()
        unknown = set(done) - {m.version for m in files}
        if unknown:
            raise MigrationError(f"database has migrations this code lacks: {sorted(unknown)}")
        for migration in files:
            if migration.version in done:
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                    migration.version,
                    migration.name,
                )
            applied.append(migration.name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_ID)
    return applied
