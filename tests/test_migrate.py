"""Schema migrations: applied once, in order, safely from several processes at once."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
from collections.abc import AsyncIterator

import asyncpg
import pytest

from storage.errors import MigrationError
from storage.migrate import available, migrate
from tests.conftest import with_database

_numbers = itertools.count()


@pytest.fixture
async def empty_database_url(server_url: str) -> AsyncIterator[str]:
    """A brand-new database with no tables at all, dropped after the test."""
    name = f"hotline_empty_{os.getpid()}_{next(_numbers)}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
        yield with_database(server_url, name)
        await admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
    finally:
        await admin.close()


@pytest.fixture
async def empty_conn(empty_database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the empty database."""
    connection = await asyncpg.connect(empty_database_url)
    yield connection
    await connection.close()


def all_names() -> list[str]:
    """The file name of every migration, in order."""
    return [m.name for m in available()]


class TestAvailable:
    def test_versions_run_from_one_without_gaps(self) -> None:
        """Migration versions are 1..n, each once, in order."""
        versions = [m.version for m in available()]
        assert list(range(1, len(versions) + 1)) == versions

    def test_there_are_migrations(self) -> None:
        """The package ships at least the registry and kecamatan migrations."""
        assert ["0001_registry.sql", "0002_kecamatan.sql"] == all_names()[:2]

    def test_every_migration_has_sql(self) -> None:
        """No migration file is empty."""
        assert [] == [m.name for m in available() if not m.sql.strip()]


class TestMigrate:
    async def test_fresh_database_gets_every_migration(
        self, empty_conn: asyncpg.Connection
    ) -> None:
        """On an empty database every migration file is applied, in order."""
        assert all_names() == await migrate(empty_conn)

    async def test_second_run_applies_nothing(self, empty_conn: asyncpg.Connection) -> None:
        """Migrating an up-to-date database applies no file."""
        await migrate(empty_conn)
        assert [] == await migrate(empty_conn)

    async def test_applied_versions_are_recorded(self, empty_conn: asyncpg.Connection) -> None:
        """schema_migrations lists every version with its file name."""
        await migrate(empty_conn)
        rows = await empty_conn.fetch("SELECT version, name FROM schema_migrations ORDER BY 1")
        assert [(m.version, m.name) for m in available()] == [tuple(r) for r in rows]

    async def test_concurrent_runs_apply_each_file_once(
        self, empty_database_url: str, empty_conn: asyncpg.Connection
    ) -> None:
        """Two processes migrating together both succeed and apply each file exactly once."""
        first = await asyncpg.connect(empty_database_url)
        second = await asyncpg.connect(empty_database_url)
        try:
            applied = await asyncio.gather(migrate(first), migrate(second))
        finally:
            await first.close()
            await second.close()
        assert sorted(all_names()) == sorted(applied[0] + applied[1])

    async def test_concurrent_runs_record_each_version_once(
        self, empty_database_url: str, empty_conn: asyncpg.Connection
    ) -> None:
        """After two concurrent runs schema_migrations holds every version exactly once."""
        first = await asyncpg.connect(empty_database_url)
        second = await asyncpg.connect(empty_database_url)
        try:
            await asyncio.gather(migrate(first), migrate(second))
        finally:
            await first.close()
            await second.close()
        rows = await empty_conn.fetch(
            "SELECT version, count(*) FROM schema_migrations GROUP BY version ORDER BY version"
        )
        assert [(m.version, 1) for m in available()] == [tuple(r) for r in rows]

    async def test_unknown_applied_version_is_refused(self, empty_conn: asyncpg.Connection) -> None:
        """A database migrated by newer code than this one stops migrate with MigrationError."""
        await migrate(empty_conn)
        await empty_conn.execute(
            "INSERT INTO schema_migrations (version, name) VALUES (999, '0999_future.sql')"
        )
        with pytest.raises(MigrationError, match="999"):
            await migrate(empty_conn)

    async def test_lock_is_released_after_a_run(self, empty_conn: asyncpg.Connection) -> None:
        """A finished migration holds no advisory lock, so the next process is not blocked."""
        await migrate(empty_conn)
        held = await empty_conn.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
        )
        assert 0 == held


SERANG_KECAMATAN = [
    ("36.04.12", "Pontang"),
    ("36.04.13", "Tirtayasa"),
    ("36.04.14", "Tanara"),
    ("36.04.05", "Kramatwatu"),
    ("36.04.09", "Ciruas"),
]


class TestKecamatan:
    async def test_there_are_29(self, conn: asyncpg.Connection) -> None:
        """Kabupaten Serang has 29 kecamatan."""
        assert 29 == await conn.fetchval("SELECT count(*) FROM kecamatan")

    async def test_codes_are_kabupaten_serang_codes(self, conn: asyncpg.Connection) -> None:
        """Every code has the Kemendagri form 36.04.xx (Banten, Kabupaten Serang)."""
        codes = [r["code"] for r in await conn.fetch("SELECT code FROM kecamatan")]
        assert [] == [c for c in codes if not re.fullmatch(r"36\.04\.\d{2}", c)]

    @pytest.mark.parametrize(
        ("code", "name"), SERANG_KECAMATAN, ids=[name for _, name in SERANG_KECAMATAN]
    )
    async def test_known_kecamatan_has_its_code(
        self, conn: asyncpg.Connection, code: str, name: str
    ) -> None:
        """A kecamatan of Kabupaten Serang is stored under its Kemendagri code."""
        assert name == await conn.fetchval("SELECT name FROM kecamatan WHERE code = $1", code)

    async def test_names_are_unique(self, conn: asyncpg.Connection) -> None:
        """No kecamatan name appears twice."""
        names = [r["name"] for r in await conn.fetch("SELECT name FROM kecamatan")]
        assert sorted(set(names)) == sorted(names)


class TestDeliveryStatusTaxonomy:
    """0011: Africa's Talking's stored status words become our taxonomy, the words kept raw."""

    @pytest.fixture
    async def converted(self, empty_conn: asyncpg.Connection) -> asyncpg.Connection:
        """A database at 0010 holding AT-era reports, then 0011 applied."""
        before, taxonomy = available()[:10], available()[10]
        assert "0011_delivery_status_taxonomy.sql" == taxonomy.name
        for migration in before:
            async with empty_conn.transaction():
                await empty_conn.execute(migration.sql)
        outbox_id = await empty_conn.fetchval(
            "INSERT INTO outbox (recipient_sealed, recipient_kind, body, cause, status,"
            " provider_id, last_error) VALUES ('', 'resident', 'x', 't', 'failed', 'ATXid_1',"
            " 'Failed UserDoesNotExist') RETURNING id"
        )
        await empty_conn.executemany(
            "INSERT INTO sms_events (outbox_id, kind, detail) VALUES ($1, $2, $3)",
            [
                (outbox_id, "accepted", "101 Success"),
                (outbox_id, "report", "Buffered"),
                (outbox_id, "report", "Failed UserDoesNotExist"),
            ],
        )
        await empty_conn.executemany(
            "INSERT INTO delivery_reports (provider_id, status, failure_reason)"
            " VALUES ($1, $2, $3)",
            [("ATXid_1", "Buffered", ""), ("ATXid_1", "Failed", "UserDoesNotExist")],
        )
        async with empty_conn.transaction():
            await empty_conn.execute(taxonomy.sql)
        return empty_conn

    async def test_reports_in_our_taxonomy(self, converted: asyncpg.Connection) -> None:
        """Stored reports carry our status, AT's word as their raw status."""
        rows = await converted.fetch(
            "SELECT status, raw_status FROM delivery_reports ORDER BY received_at, raw_status"
        )
        assert [("sent", "Buffered"), ("failed_permanent", "Failed")] == [tuple(r) for r in rows]

    async def test_timeline_and_last_error_converted(self, converted: asyncpg.Connection) -> None:
        """Report events and a report's last error read in our words, AT's kept; others stay."""
        events = await converted.fetch("SELECT kind, detail, raw FROM sms_events ORDER BY id")
        assert (
            [
                ("accepted", "101 Success", ""),
                ("report", "sent (Buffered)", "Buffered"),
                ("report", "failed_permanent (Failed) UserDoesNotExist", "Failed"),
            ],
            "failed_permanent (Failed) UserDoesNotExist",
        ) == (
            [tuple(e) for e in events],
            await converted.fetchval("SELECT last_error FROM outbox"),
        )


class TestCaseStatuses:
    async def test_old_statuses_map_onto_the_lifecycle(
        self, empty_conn: asyncpg.Connection
    ) -> None:
        """0015 moves today's four statuses to the lifecycle's and records each as a move."""
        files = available()
        for migration in files[:14]:
            await empty_conn.execute(migration.sql)
        old = ["diterima", "diteruskan", "diproses", "ditutup"]
        for n, status in enumerate(old):
            await empty_conn.execute(
                "INSERT INTO tips (receipt, channel, source_ref, category, status)"
                " VALUES ($1, 'sms', $2, 'calo', $3)",
                f"10000000{n}",
                f"sms:old{n}",
                status,
            )
        await empty_conn.execute(files[14].sql)
        rows = await empty_conn.fetch(
            "SELECT t.status, count(e.id) AS moves FROM tips t"
            " LEFT JOIN case_events e ON e.tip_id = t.id GROUP BY t.id ORDER BY t.id"
        )
        assert [("baru", 0), ("diteruskan", 1), ("diterima", 1), ("selesai_ditindak", 1)] == [
            (r["status"], r["moves"]) for r in rows
        ]
