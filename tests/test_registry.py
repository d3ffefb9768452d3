"""The agency registry on a real PostgreSQL: snapshot replacement, its diff, reads and NOTIFY."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date

import asyncpg
import pytest

from storage.registry import (
    REGISTRY_CHANNEL,
    Agency,
    RegistryDiff,
    Status,
    load_agencies,
    replace_registry,
)
from storage.sample import sample_agencies

NEW_AGENCY = Agency(
    licence_number="99000000000000001",
    name="PT Contoh Baru Sentosa Jaya",
    status="aktif",
    status_since=date(2026, 10, 1),
    valid_until=date(2029, 9, 30),
    head_office_city="Kota Serang",
    head_office_province="Banten",
    branch_cities=("Kabupaten Serang",),
    destination_countries=("Taiwan",),
    job_types=("operator pabrik",),
    source="Data contoh (fiktif)",
    snapshot_date=date(2026, 12, 1),
)


def by_licence(agencies: list[Agency]) -> list[Agency]:
    """Agencies in a fixed order, whatever the database collation."""
    return sorted(agencies, key=lambda a: a.licence_number)


def next_snapshot(agencies: list[Agency]) -> tuple[list[Agency], RegistryDiff]:
    """A later snapshot (first agency revoked, second gone, one new) and the diff it should give."""
    changed = replace(agencies[0], status="dicabut", status_since=date(2026, 11, 20))
    snapshot = [changed, *agencies[2:], NEW_AGENCY]
    expected = RegistryDiff(
        added=(NEW_AGENCY.name,), changed=(changed.name,), removed=(agencies[1].name,)
    )
    return snapshot, expected


class TestReplaceRegistry:
    async def test_first_import_reports_every_agency_added(self, conn: asyncpg.Connection) -> None:
        """Into an empty registry, every agency of the snapshot is reported as added."""
        sample = sample_agencies()
        changes = await replace_registry(conn, sample, "agencies.csv")
        assert RegistryDiff(added=tuple(a.name for a in sample), changed=(), removed=()) == changes

    async def test_next_import_reports_exactly_what_changed(self, conn: asyncpg.Connection) -> None:
        """A second snapshot reports its one changed, one removed and one added agency by name."""
        sample = sample_agencies()
        await replace_registry(conn, sample, "first.csv")
        snapshot, expected = next_snapshot(sample)
        assert expected == await replace_registry(conn, snapshot, "second.csv")

    async def test_same_snapshot_again_reports_nothing(self, conn: asyncpg.Connection) -> None:
        """Importing an identical snapshot again changes nothing."""
        await replace_registry(conn, sample_agencies(), "first.csv")
        changes = await replace_registry(conn, sample_agencies(), "again.csv")
        assert RegistryDiff(added=(), changed=(), removed=()) == changes

    async def test_import_replaces_the_whole_registry(self, conn: asyncpg.Connection) -> None:
        """After an import the registry holds exactly the new snapshot."""
        sample = sample_agencies()
        await replace_registry(conn, sample, "first.csv")
        snapshot, _ = next_snapshot(sample)
        await replace_registry(conn, snapshot, "second.csv")
        assert by_licence(snapshot) == by_licence(await load_agencies(conn))

    async def test_each_import_is_recorded(self, conn: asyncpg.Connection) -> None:
        """registry_imports keeps the file name, snapshot date and counts of each import."""
        sample = sample_agencies()
        await replace_registry(conn, sample, "first.csv")
        snapshot, _ = next_snapshot(sample)
        await replace_registry(conn, snapshot, "second.csv")
        rows = await conn.fetch(
            "SELECT file_name, snapshot_date, total, added, changed, removed"
            " FROM registry_imports ORDER BY id"
        )
        assert [
            ("first.csv", date(2026, 11, 1), 40, 40, 0, 0),
            ("second.csv", date(2026, 12, 1), 40, 1, 1, 1),
        ] == [tuple(r) for r in rows]

    async def test_import_notifies_the_registry_channel(
        self, conn: asyncpg.Connection, database_url: str
    ) -> None:
        """A listener on REGISTRY_CHANNEL hears of an import within 5 seconds."""
        heard: asyncio.Queue[str] = asyncio.Queue()
        listener = await asyncpg.connect(database_url)
        try:
            await listener.add_listener(
                REGISTRY_CHANNEL, lambda _conn, _pid, channel, _payload: heard.put_nowait(channel)
            )
            await replace_registry(conn, sample_agencies(), "agencies.csv")
            assert REGISTRY_CHANNEL == await asyncio.wait_for(heard.get(), timeout=5)
        finally:
            await listener.close()

    async def test_failed_import_leaves_the_registry_unchanged(
        self, conn: asyncpg.Connection
    ) -> None:
        """A snapshot the database refuses (an unnormalised licence) changes nothing at all."""
        sample = sample_agencies()
        await replace_registry(conn, sample, "first.csv")
        bad = [*sample[1:], replace(NEW_AGENCY, licence_number="99-000")]
        with pytest.raises(asyncpg.CheckViolationError):
            await replace_registry(conn, bad, "bad.csv")
        assert (by_licence(sample), 1) == (
            by_licence(await load_agencies(conn)),
            await conn.fetchval("SELECT count(*) FROM registry_imports"),
        )


class TestLoadAgencies:
    async def test_returns_what_was_imported(self, conn: asyncpg.Connection) -> None:
        """Every imported agency reads back equal: lists, dates and text intact."""
        sample = sample_agencies()
        await replace_registry(conn, sample, "agencies.csv")
        assert by_licence(sample) == by_licence(await load_agencies(conn))

    async def test_keeps_the_sample_mark(self, conn: asyncpg.Connection) -> None:
        """Sample agencies read back marked as sample, real ones as real."""
        await replace_registry(conn, [*sample_agencies()[:2], NEW_AGENCY], "mixed.csv")
        marks = {a.licence_number: a.is_sample for a in await load_agencies(conn)}
        expected = {a.licence_number: a.is_sample for a in [*sample_agencies()[:2], NEW_AGENCY]}
        assert expected == marks

    async def test_empty_registry_reads_empty(self, conn: asyncpg.Connection) -> None:
        """A freshly migrated database has no agencies."""
        assert [] == await load_agencies(conn)


TODAY = date(2026, 11, 30)
EFFECTIVE = [
    ("aktif", date(2026, 11, 29), "kedaluwarsa", "active-past-valid-until"),
    ("aktif", date(2026, 11, 30), "aktif", "active-valid-through-today"),
    ("aktif", date(2027, 1, 1), "aktif", "active-valid-later"),
    ("aktif", None, "aktif", "active-without-end-date"),
    ("dicabut", date(2026, 1, 1), "dicabut", "revoked-past-valid-until"),
    ("dihentikan_sementara", date(2026, 1, 1), "dihentikan_sementara", "suspended-past"),
    ("dihentikan_sementara", date(2027, 1, 1), "dihentikan_sementara", "suspended-future"),
    ("kedaluwarsa", date(2027, 1, 1), "kedaluwarsa", "expired-with-later-date"),
]


class TestAgency:
    @pytest.mark.parametrize(
        ("status", "valid_until", "expected"),
        [case[:3] for case in EFFECTIVE],
        ids=[case[3] for case in EFFECTIVE],
    )
    def test_effective_status(
        self, status: Status, valid_until: date | None, expected: str
    ) -> None:
        """Only an active licence past its valid_until reads as expired; others are unchanged."""
        agency = replace(NEW_AGENCY, status=status, valid_until=valid_until)
        assert expected == agency.effective_status(TODAY)

    @pytest.mark.parametrize(
        ("branches", "expected"),
        [
            (("Kabupaten Serang",), True),
            (("kabupaten serang",), True),
            (("KABUPATEN SERANG",), True),
            (("Kabupaten Lebak", "Kabupaten Serang"), True),
            (("Kota Serang",), False),
            (("Kabupaten Lebak",), False),
            ((), False),
        ],
        ids=["exact", "lower", "upper", "second-of-two", "city-not-regency", "other", "none"],
    )
    def test_has_serang_branch(self, branches: tuple[str, ...], expected: bool) -> None:
        """A branch in Kabupaten Serang counts, in any letter case; Kota Serang does not."""
        assert expected == replace(NEW_AGENCY, branch_cities=branches).has_serang_branch
