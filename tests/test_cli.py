"""The `hotline` console script, run as an operator runs it: a real process on a real database."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import shutil
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import asyncpg
import pytest

from storage.migrate import available
from storage.registry import Agency, load_agencies
from storage.registry_csv import format_agencies, parse_agencies
from storage.sample import sample_agencies
from tests.conftest import with_database

HOTLINE = shutil.which("hotline", path=str(Path(sys.executable).parent)) or "hotline"
# Variables Config reads: a test states the ones it wants and inherits none from the shell.
CONFIG_VARIABLES = (
    "HOTLINE_DATA_DIR",
    "HOST",
    "PORT",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "HOTLINE_MAX_BODY_BYTES",
    "HOTLINE_DB_POOL_SIZE",
    "HOTLINE_DB_TIMEOUT_S",
    "HOTLINE_USSD_CODE",
)
NEW_AGENCY = Agency(
    licence_number="99000000000000001",
    name="PT Contoh Baru Sentosa Jaya",
    status="aktif",
    status_since=date(2026, 10, 1),
    valid_until=date(2029, 9, 30),
    head_office_city="Kota Serang",
    head_office_province="Banten",
    branch_cities=("Kabupaten Serang",),
    source="Data contoh (fiktif)",
    snapshot_date=date(2026, 12, 1),
)
_numbers = itertools.count()


@dataclass(frozen=True, slots=True)
class Run:
    """How a command ended and what it wrote."""

    code: int
    stdout: str
    stderr: str


async def hotline(database_url: str, *args: str, **variables: str) -> Run:
    """Run `hotline ARGS` against the database, with these extra environment variables."""
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES}
    env.update(DATABASE_URL=database_url, LOG_FORMAT="json", **variables)
    process = await asyncio.create_subprocess_exec(
        HOTLINE,
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return Run(process.returncode, stdout.decode(), stderr.decode())


def next_snapshot() -> tuple[list[Agency], Agency, Agency]:
    """The sample with its first agency revoked, its second gone and one new agency added."""
    sample = sample_agencies()
    changed = replace(sample[0], status="dicabut", status_since=date(2026, 11, 20))
    return [changed, *sample[2:], NEW_AGENCY], changed, sample[1]


def bad_file(tmp_path: Path) -> Path:
    """A snapshot whose lines 3 (status) and 5 (valid_until) are invalid."""
    rows = [line.split(",") for line in format_agencies(sample_agencies()[:5]).splitlines()]
    rows[2][2] = "aktiv"  # status
    rows[4][5] = "14-01-2027"  # valid_until, day first
    path = tmp_path / "bad.csv"
    path.write_text("".join(",".join(row) + "\n" for row in rows), "utf-8")
    return path


def snapshot_file(tmp_path: Path, agencies: list[Agency], name: str = "snapshot.csv") -> Path:
    """The agencies written as an import file."""
    path = tmp_path / name
    path.write_text(format_agencies(agencies), "utf-8")
    return path


def by_licence(agencies: list[Agency]) -> list[Agency]:
    """Agencies in a fixed order."""
    return sorted(agencies, key=lambda a: a.licence_number)


async def registry_state(conn: asyncpg.Connection) -> tuple[list[Agency], int]:
    """The agencies and the number of imports recorded."""
    imports = await conn.fetchval("SELECT count(*) FROM registry_imports")
    return by_licence(await load_agencies(conn)), imports


@pytest.fixture
async def empty_database_url(server_url: str) -> AsyncIterator[str]:
    """A brand-new database without any table, dropped after the test."""
    name = f"hotline_cli_empty_{os.getpid()}_{next(_numbers)}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
        yield with_database(server_url, name)
        await admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
    finally:
        await admin.close()


class TestRegistryImportOfBadFile:
    async def test_exits_non_zero(self, sample_db: str, tmp_path: Path) -> None:
        """A file with invalid rows makes the import fail."""
        assert 0 != (await hotline(sample_db, "registry", "import", str(bad_file(tmp_path)))).code

    async def test_names_each_bad_line_and_field(self, sample_db: str, tmp_path: Path) -> None:
        """stderr names every bad line with its field."""
        run = await hotline(sample_db, "registry", "import", str(bad_file(tmp_path)))
        assert ["line 3, status", "line 5, valid_until"] == re.findall(r"line \d+, \w+", run.stderr)

    async def test_changes_nothing(
        self, sample_db: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """After a refused import the registry and its import history are as before."""
        before = await registry_state(conn)
        await hotline(sample_db, "registry", "import", str(bad_file(tmp_path)))
        assert before == await registry_state(conn)

    async def test_missing_file_exits_non_zero(self, sample_db: str, tmp_path: Path) -> None:
        """A file that does not exist is an error naming the file, not a traceback."""
        run = await hotline(sample_db, "registry", "import", str(tmp_path / "absent.csv"))
        assert (1, True, False) == (run.code, "absent.csv" in run.stderr, "Traceback" in run.stderr)

    async def test_file_not_in_utf8_is_refused_with_a_message(
        self, sample_db: str, tmp_path: Path
    ) -> None:
        """A spreadsheet saved as Windows-1252 is refused with a message naming it, no traceback."""
        path = tmp_path / "latin1.csv"
        text = format_agencies(sample_agencies()[:1]).replace("PT ", "PT Caf\u00e9 ")
        path.write_bytes(text.encode("cp1252"))
        run = await hotline(sample_db, "registry", "import", str(path))
        assert (1, True, False) == (run.code, "latin1.csv" in run.stderr, "Traceback" in run.stderr)


class TestRegistryImport:
    async def test_first_import_prints_counts_and_names(
        self, database_url: str, tmp_path: Path
    ) -> None:
        """Into an empty registry every agency is listed as added, with zero changed and removed."""
        sample = sample_agencies()
        path = snapshot_file(tmp_path, sample)
        run = await hotline(database_url, "registry", "import", str(path))
        expected = (
            f"imported 40 agencies from {path}\n"
            "added: 40\n" + "".join(f"  {a.name}\n" for a in sample) + "changed: 0\nremoved: 0\n"
        )
        assert (0, expected) == (run.code, run.stdout)

    async def test_first_import_loads_the_registry(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """The imported file becomes the registry."""
        sample = sample_agencies()
        await hotline(database_url, "registry", "import", str(snapshot_file(tmp_path, sample)))
        assert by_licence(sample) == by_licence(await load_agencies(conn))

    async def test_second_snapshot_prints_the_changes(self, sample_db: str, tmp_path: Path) -> None:
        """A later snapshot prints its added, changed and removed agencies by name."""
        snapshot, changed, removed = next_snapshot()
        path = snapshot_file(tmp_path, snapshot)
        run = await hotline(sample_db, "registry", "import", str(path))
        expected = (
            f"imported 40 agencies from {path}\n"
            f"added: 1\n  {NEW_AGENCY.name}\n"
            f"changed: 1\n  {changed.name} (status, status_since)\n"
            f"removed: 1\n  {removed.name}\n"
        )
        assert (0, expected) == (run.code, run.stdout)

    async def test_second_snapshot_replaces_the_registry(
        self, sample_db: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """After a later snapshot the registry is exactly that snapshot."""
        snapshot, _, _ = next_snapshot()
        await hotline(sample_db, "registry", "import", str(snapshot_file(tmp_path, snapshot)))
        assert by_licence(snapshot) == by_licence(await load_agencies(conn))

    async def test_dry_run_prints_what_would_change(self, sample_db: str, tmp_path: Path) -> None:
        """--dry-run shows the changes the snapshot would make."""
        snapshot, changed, removed = next_snapshot()
        path = snapshot_file(tmp_path, snapshot)
        run = await hotline(sample_db, "registry", "import", "--dry-run", str(path))
        expected = (
            f"would import 40 agencies from {path}\n"
            f"added: 1\n  {NEW_AGENCY.name}\n"
            f"changed: 1\n  {changed.name} (status, status_since)\n"
            f"removed: 1\n  {removed.name}\n"
        )
        assert (0, expected) == (run.code, run.stdout)

    async def test_dry_run_changes_nothing(
        self, sample_db: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """--dry-run leaves the registry and its import history as they were."""
        before = await registry_state(conn)
        snapshot, _, _ = next_snapshot()
        path = snapshot_file(tmp_path, snapshot)
        await hotline(sample_db, "registry", "import", "--dry-run", str(path))
        assert before == await registry_state(conn)


class TestRegistryExport:
    async def test_stdout_reads_back_as_the_registry(
        self, sample_db: str, conn: asyncpg.Connection
    ) -> None:
        """The CSV written to stdout parses back to exactly the agencies in the database."""
        run = await hotline(sample_db, "registry", "export")
        assert (0, await load_agencies(conn)) == (run.code, parse_agencies(run.stdout))

    async def test_output_file_reads_back_as_the_registry(
        self, sample_db: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """With -o the CSV goes to the file, which parses back to the agencies in the database."""
        path = tmp_path / "export.csv"
        await hotline(sample_db, "registry", "export", "-o", str(path))
        assert await load_agencies(conn) == parse_agencies(path.read_text("utf-8"))

    async def test_export_imports_back_without_changes(
        self, sample_db: str, tmp_path: Path
    ) -> None:
        """Importing an export again reports no agency added, changed or removed."""
        path = tmp_path / "export.csv"
        await hotline(sample_db, "registry", "export", "-o", str(path))
        run = await hotline(sample_db, "registry", "import", str(path))
        assert "added: 0\nchanged: 0\nremoved: 0\n" == run.stdout.split("\n", 1)[1]


class TestMigrateCommand:
    async def test_fresh_database_prints_every_migration(self, empty_database_url: str) -> None:
        """On an empty database `hotline migrate` applies and names every migration."""
        run = await hotline(empty_database_url, "migrate")
        names = [m.name for m in available()]
        expected = f"applied {len(names)} migration(s)\n" + "".join(f"  {n}\n" for n in names)
        assert (0, expected) == (run.code, run.stdout)

    async def test_migrated_database_applies_none(self, database_url: str) -> None:
        """On an up-to-date database `hotline migrate` reports 0 applied."""
        run = await hotline(database_url, "migrate")
        assert (0, "applied 0 migration(s)\n") == (run.code, run.stdout)


class TestBadEnvironment:
    async def test_exits_non_zero(self, database_url: str) -> None:
        """Invalid settings stop the command before it touches the database."""
        run = await hotline(database_url, "migrate", PORT="abc", HOTLINE_DB_POOL_SIZE="0")
        assert 0 != run.code

    async def test_one_message_names_every_bad_variable(self, database_url: str) -> None:
        """A single configuration message names both bad variables."""
        run = await hotline(database_url, "migrate", PORT="abc", HOTLINE_DB_POOL_SIZE="0")
        assert (1, True, True) == (
            run.stderr.count("invalid configuration"),
            "PORT:" in run.stderr,
            "HOTLINE_DB_POOL_SIZE:" in run.stderr,
        )
