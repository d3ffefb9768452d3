"""Tip retention and audited reads, through the `hotline` console script as an operator runs it."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from storage.tips import Filed, NewTip, file_tip
from ussd_menus.receipts import check_digit, show_receipt

HOTLINE = shutil.which("hotline", path=str(Path(sys.executable).parent)) or "hotline"
# Variables Config reads that are not prefixed HOTLINE_: a test inherits none from the shell.
CONFIG_VARIABLES = ("HOST", "PORT", "LOG_LEVEL", "LOG_FORMAT", "DATABASE_URL")
PONTANG = "36.04.12"
_sources = iter(range(1_000_000))


@dataclass(frozen=True, slots=True)
class Run:
    """How a command ended and what it wrote."""

    code: int
    stdout: str
    stderr: str


async def hotline(database_url: str, *args: str, data_dir: Path) -> Run:
    """Run `hotline ARGS` on the database with a 30-day tip retention."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in CONFIG_VARIABLES and not k.startswith("HOTLINE_")
    }
    env.update(
        DATABASE_URL=database_url,
        LOG_FORMAT="json",
        HOTLINE_TIP_RETENTION_DAYS="30",
        HOTLINE_DATA_DIR=str(data_dir),
    )
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


async def show_tip(database_url: str, receipt: str, data_dir: Path) -> Run:
    """Run `hotline tip show RECEIPT --reader alice`."""
    return await hotline(
        database_url, "tip", "show", receipt, "--reader", "alice", data_dir=data_dir
    )


async def add_tip(conn: asyncpg.Connection, description: str, days_old: int = 0) -> str:
    """File a full SMS-style tip, dated days_old days back; its receipt."""
    n = next(_sources)
    body = f"{10_000_000 + n:08d}"
    filed = await file_tip(
        conn,
        NewTip(
            channel="sms",
            source_ref=f"sms:ATXid_purge_{n}",
            reporter_key=b"reporter-key-%d" % n,
            category="calo",
            description=description,
            kecamatan_code=PONTANG,
            desa="Kubang Puji",
            agency_name="Pak Haji Calo",
        ),
        lambda: body + check_digit(body),
        per_hour=100,
        flag_threshold=100,
    )
    assert isinstance(filed, Filed)
    await conn.execute(
        "UPDATE tips SET created_at = now() - make_interval(days => $2) WHERE receipt = $1",
        filed.receipt,
        days_old,
    )
    return filed.receipt


async def tip_row(conn: asyncpg.Connection, receipt: str) -> asyncpg.Record:
    """One tip's row."""
    row = await conn.fetchrow("SELECT * FROM tips WHERE receipt = $1", receipt)
    assert row is not None
    return row


class TestPurge:
    async def test_old_tip_loses_identifying_content(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """A tip past retention loses reporter key, story, desa and agency name."""
        receipt = await add_tip(conn, "Calo minta uang 10 juta", days_old=31)
        run = await hotline(database_url, "purge", data_dir=tmp_path)
        tip = await tip_row(conn, receipt)
        assert 0 == run.code, run.stderr
        assert (None, None, None, None) == (
            tip["reporter_key"],
            tip["description"],
            tip["desa"],
            tip["agency_name"],
        )

    async def test_old_tip_is_marked_purged(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """A tip past retention gets its purge time."""
        receipt = await add_tip(conn, "Calo minta uang 10 juta", days_old=31)
        await hotline(database_url, "purge", data_dir=tmp_path)
        assert (await tip_row(conn, receipt))["purged_at"] is not None

    async def test_old_tip_keeps_anonymous_counts(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """A purged tip keeps its receipt, category, kecamatan and status for the figures."""
        receipt = await add_tip(conn, "Calo minta uang 10 juta", days_old=31)
        await hotline(database_url, "purge", data_dir=tmp_path)
        tip = await tip_row(conn, receipt)
        assert ("calo", PONTANG, "baru") == (
            tip["category"],
            tip["kecamatan_code"],
            tip["status"],
        )

    async def test_newer_tip_is_untouched(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """A tip within retention is left exactly as it was."""
        receipt = await add_tip(conn, "Calo minta uang 10 juta", days_old=29)
        await add_tip(conn, "Biaya penempatan 30 juta", days_old=31)
        before = dict(await tip_row(conn, receipt))
        await hotline(database_url, "purge", data_dir=tmp_path)
        assert before == dict(await tip_row(conn, receipt))

    async def test_old_thread_loses_its_text(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """The messages of a purged tip lose their text."""
        receipt = await add_tip(conn, "Calo minta uang 10 juta", days_old=31)
        await conn.execute(
            "INSERT INTO tip_messages (tip_id, author, kind, body)"
            " SELECT id, 'official', 'question', 'Kapan berangkat?' FROM tips WHERE receipt = $1",
            receipt,
        )
        await hotline(database_url, "purge", data_dir=tmp_path)
        assert [None] == [r["body"] for r in await conn.fetch("SELECT body FROM tip_messages")]

    async def test_reports_what_it_did(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """The command says how many tips it anonymised under which retention."""
        await add_tip(conn, "Calo minta uang 10 juta", days_old=31)
        await add_tip(conn, "Biaya penempatan 30 juta", days_old=1)
        run = await hotline(database_url, "purge", data_dir=tmp_path)
        assert run.stdout.startswith("retention 30 days: 1 tips anonymised")

    async def test_second_run_changes_nothing(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """Purging again leaves an already purged tip as it was."""
        receipt = await add_tip(conn, "Calo minta uang 10 juta", days_old=31)
        await hotline(database_url, "purge", data_dir=tmp_path)
        first = dict(await tip_row(conn, receipt))
        run = await hotline(database_url, "purge", data_dir=tmp_path)
        assert first == dict(await tip_row(conn, receipt))
        assert run.stdout.startswith("retention 30 days: 0 tips anonymised")


class TestTipShow:
    async def test_prints_the_story(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """`tip show` prints the tip's content, its story included."""
        receipt = await add_tip(conn, "Calo minta uang 10 juta")
        run = await show_tip(database_url, show_receipt(receipt), tmp_path)
        assert 0 == run.code, run.stderr
        lines = run.stdout.splitlines()
        assert "description: Calo minta uang 10 juta" in lines
        assert f"receipt: {receipt}" in lines

    async def test_read_is_audited(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """Each read writes one audit row naming the reader."""
        receipt = await add_tip(conn, "Calo minta uang 10 juta")
        await show_tip(database_url, receipt, tmp_path)
        reads = await conn.fetch(
            "SELECT r.reader, t.receipt FROM tip_reads r JOIN tips t ON t.id = r.tip_id"
        )
        assert [("alice", receipt)] == [tuple(r) for r in reads]

    async def test_mistyped_receipt_fails(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """A receipt with one digit changed exits non-zero, prints nothing and audits nothing."""
        receipt = await add_tip(conn, "Calo minta uang 10 juta")
        typo = receipt[:4] + str((int(receipt[4]) + 1) % 10) + receipt[5:]
        run = await show_tip(database_url, typo, tmp_path)
        assert 0 != run.code
        assert ("", 0) == (run.stdout, await conn.fetchval("SELECT count(*) FROM tip_reads"))

    async def test_unknown_receipt_fails(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """A valid receipt that no tip has exits non-zero naming it."""
        code = "98765432" + check_digit("98765432")
        run = await show_tip(database_url, code, tmp_path)
        assert 0 != run.code
        assert f"no tip {show_receipt(code)}" in run.stderr

    async def test_reader_is_required(self, database_url: str, tmp_path: Path) -> None:
        """Reading a tip without naming the reader is refused."""
        run = await hotline(database_url, "tip", "show", "123456780", data_dir=tmp_path)
        assert 2 == run.code
        assert "--reader" in run.stderr
