"""
Job orders as data (issue 15 items 5 and 7): the import format and its bad-row reporting
(tests/data/job_orders_invalid.json), the CLI and console import through the registry's
upload-preview-apply machinery, the sample set, the agency check and CEK LOWONGAN answers
(tests/data/job_orders_sms.json), dated by the data they rest on, the console home's warning
about old data, and the checks page.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway import keys
from gateway.app import create_app
from gateway.cli import load_demo
from gateway.config import Config
from storage.errors import InvalidCsv
from storage.job_orders import (
    JobOrder,
    format_job_orders,
    load_job_orders,
    parse_job_orders,
    replace_job_orders,
)
from storage.registry import replace_registry
from storage.sample import sample_agencies, sample_job_orders
from tests.conftest import Gateway
from tests.console_helpers import sign_in
from tests.sms_client import reply_to, send_sms
from tests.test_cli import hotline
from tests.test_console_uploads import press, problems, upload
from tests.ussd_client import walk

DATA = Path(__file__).parent / "data"
INVALID: dict[str, Any] = json.loads((DATA / "job_orders_invalid.json").read_text("utf-8"))
SMS: dict[str, Any] = json.loads((DATA / "job_orders_sms.json").read_text("utf-8"))
KADES_PONTANG = "+6281199000030"
FAR = date(2030, 6, 30)
_accounts = itertools.count()


def _file(rows: list[str]) -> str:
    return "\n".join([INVALID["header"], *rows]) + "\n"


@pytest.mark.parametrize("case", INVALID["cases"], ids=[c["name"] for c in INVALID["cases"]])
def test_a_bad_file_names_every_problem_by_line(case: dict[str, Any]) -> None:
    """Every problem of a refused file is named by its line and field."""
    with pytest.raises(InvalidCsv) as refused:
        parse_job_orders(_file(case["rows"]))
    found = {(p.line, p.field) for p in refused.value.problems}
    assert {tuple(p) for p in case["problems"]} == found


def test_countries_and_jobs_are_read_as_people_write_them() -> None:
    """'Arab', 'Hongkong', 'ART' become SA, HK, domestic."""
    orders = parse_job_orders(
        _file(
            [
                "99116000345227871,Arab,perawat lansia,,2027-06-30,Disnakertrans,2026-12-01",
                "99116000345227871,Hongkong,ART,5,2027-06-30,Disnakertrans,2026-12-01",
            ]
        )
    )
    assert [("SA", "caregiver", None), ("HK", "domestic", 5)] == [
        (o.country_code, o.job_kind, o.quota) for o in orders
    ]


def test_an_export_imports_unchanged() -> None:
    """The written format reads back as the same job orders."""
    assert sample_job_orders() == parse_job_orders(format_job_orders(sample_job_orders()))


def test_sample_job_orders_are_the_sample_agencies() -> None:
    """Every sample job order is of a sample agency (licence numbers starting with 99)."""
    licences = {a.licence_number for a in sample_agencies()}
    orders = sample_job_orders()
    assert orders and all(o.licence_number in licences for o in orders)
    assert all(o.licence_number.startswith("99") and o.is_sample for o in orders)


async def test_the_demo_loads_the_sample_job_orders_once(
    conn: asyncpg.Connection, config: Config
) -> None:
    """`serve --demo` on an empty database loads the sample job orders, marked as samples, and
    leaves job orders already there alone."""
    await load_demo(conn, config)
    await load_demo(conn, config)
    stored = await load_job_orders(conn)
    assert sorted(o.key for o in sample_job_orders()) == [o.key for o in stored]
    assert all(o.is_sample for o in stored)


class TestCli:
    async def test_import_replaces_the_job_orders(
        self, sample_db: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """`hotline registry import-job-orders FILE` imports the file and says what changed."""
        path = tmp_path / "job_orders.csv"
        path.write_text(format_job_orders(sample_job_orders()), "utf-8")
        run = await hotline(sample_db, "registry", "import-job-orders", str(path))
        assert 0 == run.code, run.stderr
        assert f"imported {len(sample_job_orders())} job orders" in run.stdout
        assert len(sample_job_orders()) == len(await load_job_orders(conn))

    async def test_bad_rows_are_named_and_nothing_changes(
        self, sample_db: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """A bad file exits non-zero naming each line; no job order is stored."""
        path = tmp_path / "bad.csv"
        path.write_text(_file(INVALID["cases"][-2]["rows"]), "utf-8")
        run = await hotline(sample_db, "registry", "import-job-orders", str(path))
        assert 0 != run.code
        assert "line 3, country" in run.stderr and "line 4, valid_until" in run.stderr
        assert [] == await load_job_orders(conn)

    async def test_dry_run_changes_nothing(
        self, sample_db: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """--dry-run says what it would import and stores nothing."""
        path = tmp_path / "job_orders.csv"
        path.write_text(format_job_orders(sample_job_orders()), "utf-8")
        run = await hotline(sample_db, "registry", "import-job-orders", str(path), "--dry-run")
        assert 0 == run.code and "would import" in run.stdout
        assert [] == await load_job_orders(conn)


class TestConsoleUpload:
    async def test_preview_names_bad_rows(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """An uploaded file with bad rows lists them by line and field, and changes nothing."""
        await sign_in(client, conn, "admin")
        preview = await upload(client, "job-orders", _file(INVALID["cases"][-2]["rows"]).encode())
        assert [(3, "country"), (4, "valid_until")] == problems(await preview.text())
        assert [] == await load_job_orders(conn)

    async def test_apply_imports_and_dates_the_page(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Applying the previewed file stores the job orders; the page shows them and their
        data date."""
        await sign_in(client, conn, "admin")
        preview = await upload(
            client, "job-orders", format_job_orders(sample_job_orders()).encode()
        )
        applied = await press(client, preview, "apply")
        assert 200 == applied.status, await applied.text()
        assert len(sample_job_orders()) == len(await load_job_orders(conn))
        page = await (await client.get("/console/job-orders")).text()
        assert "01-11-2026" in page or "2026-11-01" in page or "1 Nov 2026" in page, page
        assert "Korea Selatan" in page

    async def test_operator_reads_but_cannot_upload(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Every role reads the job orders; only admins get the upload form."""
        await sign_in(client, conn, "operator")
        page = await client.get("/console/job-orders")
        assert 200 == page.status
        assert "/console/job-orders/upload" not in await page.text()


async def import_now(client: TestClient, conn: asyncpg.Connection, orders: list[JobOrder]) -> None:
    """Import job orders and have the service's agency index hold them before going on (the
    index reloads on the import's notification, moments later)."""
    await replace_job_orders(conn, orders, "test.csv")
    await client.server.app[keys.DIRECTORY].load()


async def _load(
    client: TestClient, conn: asyncpg.Connection, orders: list[list[str]], data_date: date
) -> None:
    rows = [
        JobOrder(licence, country, job, date.fromisoformat(until), "test", data_date)
        for licence, country, job, until in orders
    ]
    await import_now(client, conn, rows)


@pytest.mark.parametrize("case", SMS["cases"], ids=[c["name"] for c in SMS["cases"]])
async def test_sms_answers(
    client: TestClient, conn: asyncpg.Connection, case: dict[str, Any]
) -> None:
    """CEK and CEK LOWONGAN answers built from job orders: what they say, dated, in one SMS."""
    if case.get("orders") is not None:
        await _load(client, conn, case["orders"], date.fromisoformat(SMS["data_date"]))
    reply = await reply_to(client, conn, case["text"])
    assert len(reply) <= 160, reply
    for expected in case["contains"]:
        assert expected in reply, reply
    for unwanted in case.get("absent", ()):
        assert unwanted not in reply, reply


@pytest.mark.parametrize("case", SMS["ussd_cases"], ids=[c["name"] for c in SMS["ussd_cases"]])
async def test_ussd_agency_check(
    client: TestClient, conn: asyncpg.Connection, case: dict[str, Any]
) -> None:
    """The USSD agency check with job orders: the count and countries, dated, on one screen."""
    if case["orders"] is not None:
        dated = date.fromisoformat(case.get("data_date", SMS["data_date"]))
        await _load(client, conn, case["orders"], dated)
    screen = await walk(client, case["inputs"])
    assert len(screen) <= 4 + 160, screen  # 'CON ' and the screen
    for expected in case["contains"]:
        assert expected in screen, screen
    for unwanted in case.get("absent", ()):
        assert unwanted not in screen, screen


async def test_cek_lowongan_pages(client: TestClient, conn: asyncpg.Connection) -> None:
    """Five agencies with a job order to Malaysia: two pages of three and two, the first
    saying how to ask for the next."""
    active = [a for a in sample_agencies() if a.effective_status(date.today()) == "aktif"][:5]
    await _load(client, conn, [[a.licence_number, "MY", "factory", str(FAR)] for a in active], FAR)
    first = await reply_to(client, conn, "CEK LOWONGAN malaysia")
    second = await reply_to(client, conn, "CEK LOWONGAN MY 2")
    assert "(1/2)" in first and "CEK LOWONGAN MY 2" in first, first
    assert "(2/2)" in second and "CEK LOWONGAN" not in second.split(":", 1)[1], second
    assert (2, 1) == (first.count(";"), second.count(";")), (first, second)
    shown = first + second
    assert all(re.sub(r"^PT ", "", a.name)[:10] in shown for a in active), shown


class TestStaleData:
    async def _home(
        self,
        config: Config,
        sample_db: str,
        aiohttp_client: Any,
        conn: asyncpg.Connection,
        days: int,
    ) -> str:
        client = await aiohttp_client(create_app(replace(config, data_stale_days=days), sample_db))
        await sign_in(client, conn, "operator", name=f"operator-{next(_accounts)}")
        return str(await (await client.get("/console")).text())

    async def test_old_data_is_warned_about(  # type: ignore[no-untyped-def]
        self, config: Config, sample_db: str, aiohttp_client, conn: asyncpg.Connection
    ) -> None:
        """Registry, job orders and bans older than HOTLINE_DATA_STALE_DAYS are each named."""
        await replace_job_orders(conn, sample_job_orders(), "sample")
        page = await self._home(config, sample_db, aiohttp_client, conn, 30)
        warning = page.split('id="stale-data"', 1)[1].split("</div>", 1)[0]
        assert all(k in warning for k in ("Daftar P3MI", "Job order", "Larangan")), warning

    async def test_fresh_data_is_not(  # type: ignore[no-untyped-def]
        self, config: Config, sample_db: str, aiohttp_client, conn: asyncpg.Connection
    ) -> None:
        """Data newer than the limit gets no warning; job orders never imported do."""
        today = date.today()
        fresh = [replace(a, snapshot_date=today) for a in sample_agencies()]
        await replace_registry(conn, fresh, "fresh")
        page = await self._home(config, sample_db, aiohttp_client, conn, 3650)
        warning = page.split('id="stale-data"', 1)[1].split("</div>", 1)[0]
        assert "Daftar P3MI" not in warning and "Larangan" not in warning, warning
        assert "belum pernah diimpor" in warning, warning
        await replace_job_orders(
            conn,
            [replace(o, data_date=today - timedelta(days=1)) for o in sample_job_orders()],
            "x",
        )
        page = await self._home(config, sample_db, aiohttp_client, conn, 3650)
        assert 'id="stale-data"' not in page


class TestChecksPage:
    async def _check(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        await send_sms(gateway.client, "CEKIZIN PT Maju Kerja ; Taiwan ; pabrik", KADES_PONTANG)
        assert 1 == await conn.fetchval("SELECT count(*) FROM signing_checks")

    async def test_operator_sees_counts_only(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """Every role sees the counts per kecamatan; the list of checks is not theirs."""
        await self._check(gateway, conn)
        await sign_in(gateway.client, conn, "operator")
        page = await (await gateway.client.get("/console/checks")).text()
        counts = page.split('id="check-counts"', 1)[1].split("</table>", 1)[0]
        cells = re.findall(r"<td[^>]*>([^<]*)</td>", counts)
        assert "Pontang" in counts and ["0", "1"] == cells[-2:], counts
        assert 'id="checks"' not in page and "PT Maju Kerja" not in page

    async def test_investigator_sees_the_list(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """Disnakertrans' investigators see each check: official, agency asked, answer."""
        await self._check(gateway, conn)
        await sign_in(gateway.client, conn, "investigator")
        page = await (await gateway.client.get("/console/checks")).text()
        listed = page.split('id="checks"', 1)[1].split("</table>", 1)[0]
        assert all(
            w in listed for w in ("Tatang Contoh", "PT Maju Kerja", "Taiwan", "unknown_agency")
        )
