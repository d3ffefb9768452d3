"""
A clean migrated database per test, without copying one per test.

Copying the template (CREATE DATABASE) and dropping the copy (DROP DATABASE forces a checkpoint)
cost ~250 ms per test, most of the suite's time. Instead each test process keeps one working
database: after a test, the connections it left are closed, the rows it wrote are deleted and
the sequences restarted, and the few tables the migrations fill are put back as migrated. When a
test changed what cleaning cannot restore (the schema, or a table it should never write), the
working database is copied from the template again. Either way the next test starts from exactly
what the migrations produce.
"""

from __future__ import annotations

import asyncpg

# The schema, as a fingerprint: a test that alters it gets a fresh copy.
_SCHEMA = """
SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (
  SELECT table_name || '.' || column_name || ':' || data_type || ':' || coalesce(column_default, '')
    AS x FROM information_schema.columns WHERE table_schema = 'public'
  UNION ALL SELECT indexname || ':' || indexdef FROM pg_indexes WHERE schemaname = 'public'
  UNION ALL SELECT conname || ':' || pg_get_constraintdef(c.oid) FROM pg_constraint c
    JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public'
  UNION ALL SELECT tgname FROM pg_trigger WHERE NOT tgisinternal
  UNION ALL SELECT proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public'
) parts
"""


def _rows(table: str) -> str:
    return f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t"


class WorkingDatabase:
    """One process's database for its tests (see the module docstring)."""

    def __init__(self, admin_url: str, name: str, template: str, url: str) -> None:
        self.admin_url = admin_url
        self.name = name
        self.template = template
        self.url = url
        self.filled: dict[str, str] = {}  # table the migrations fill -> its rows' fingerprint
        self.schema = ""
        self.tables: tuple[str, ...] = ()
        self.sequences: dict[str, tuple[int, bool]] = {}  # -> migrated (last_value, is_called)

    async def create(self) -> None:
        """Copy the template and learn what a clean copy looks like."""
        admin = await asyncpg.connect(self.admin_url)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
            await admin.execute(f"CREATE DATABASE {self.name} TEMPLATE {self.template}")
        finally:
            await admin.close()
        conn = await asyncpg.connect(self.url)
        try:
            self.schema = await conn.fetchval(_SCHEMA)
            names = [
                r["tablename"]
                for r in await conn.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
                )
            ]
            self.tables = tuple(f'public."{n}"' for n in names)
            self.sequences = {}
            for r in await conn.fetch(
                "SELECT format('%I.%I', schemaname, sequencename) AS name FROM pg_sequences"
                " WHERE schemaname = 'public'"
            ):
                state = await conn.fetchrow(f"SELECT last_value, is_called FROM {r['name']}")
                self.sequences[r["name"]] = (state["last_value"], state["is_called"])
            self.filled = {}
            for table in self.tables:
                if await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table})"):
                    self.filled[table] = await conn.fetchval(_rows(table))
            await conn.execute("CREATE SCHEMA IF NOT EXISTS migrated_rows")
            for table in self.filled:
                copy = "migrated_rows." + table.split(".", 1)[1]
                await conn.execute(f"CREATE TABLE {copy} AS SELECT * FROM {table}")
        finally:
            await conn.close()

    async def clean(self) -> None:
        """Back to the migrated state after a test."""
        admin = await asyncpg.connect(self.admin_url)
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = $1 AND pid <> pg_backend_pid()",
                self.name,
            )
        finally:
            await admin.close()
        conn = await asyncpg.connect(self.url)
        try:
            if await conn.fetchval(_SCHEMA) != self.schema:
                await conn.close()
                await self.create()
                return
            await self._restore(conn)
        finally:
            if not conn.is_closed():
                await conn.close()

    async def _restore(self, conn: asyncpg.Connection) -> None:
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")  # no FK order
            for table in self.tables:
                if table in self.filled:
                    if await conn.fetchval(_rows(table)) != self.filled[table]:
                        copy = "migrated_rows." + table.split(".", 1)[1]
                        await conn.execute(f"DELETE FROM {table}")
                        await conn.execute(f"INSERT INTO {table} SELECT * FROM {copy}")
                else:
                    await conn.execute(f"DELETE FROM {table}")
            for sequence, (value, called) in self.sequences.items():
                await conn.execute("SELECT setval($1::regclass, $2, $3)", sequence, value, called)

    async def drop(self) -> None:
        """At the end of the run."""
        admin = await asyncpg.connect(self.admin_url)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
        finally:
            await admin.close()
