"""The coordination export over real HTTP and PostgreSQL: a period's figures for the account's area
(other kecamatan left out), the CSV with the page's figures, counts only for operators, the tips'
text only on request for roles that may read tips and then audited, both languages, A4 printing."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway.console.coordination import PURPOSE, default_period
from gateway.console.render import WIB
from gateway.usecases.cases import assign, move
from storage.cases import Actor, Assignment
from tests.console_helpers import (
    file_test_tip,
    load_sample_officials,
    sign_in_area,
)

PONTANG = "36.04.12"
TIRTAYASA = "36.04.13"
STAFF = Actor("console", account="penyidik-uji")


@dataclass(frozen=True, slots=True)
class Cases:
    """Pontang: one closed as not substantiated, one handed over to POLRES and overdue, one
    filed 40 days ago and still open; Tirtayasa: one new."""

    closed: str
    handed: str
    old: str
    tirtayasa: str


async def tip_id(conn: asyncpg.Connection, receipt: str) -> int:
    """The case's id."""
    found: int = await conn.fetchval("SELECT id FROM tips WHERE receipt = $1", receipt)
    return found


@pytest.fixture
async def cases(client: TestClient, conn: asyncpg.Connection) -> Cases:
    """The four cases, moved through the one use case as the console does."""
    await load_sample_officials(conn)
    closed = await file_test_tip(conn, "ussd:coord-closed", kecamatan_code=PONTANG)
    handed = await file_test_tip(
        conn, "ussd:coord-handed", kecamatan_code=PONTANG, category="biaya"
    )
    old = await file_test_tip(conn, "ussd:coord-old", kecamatan_code=PONTANG)
    tirtayasa = await file_test_tip(conn, "ussd:coord-tirtayasa", kecamatan_code=TIRTAYASA)
    await conn.execute(
        "UPDATE tips SET created_at = now() - interval '40 days' WHERE receipt = $1", old
    )
    await move(conn, await tip_id(conn, closed), "tidak_terbukti", STAFF, note="tidak ada bukti")
    handed_id = await tip_id(conn, handed)
    await move(conn, handed_id, "diteruskan", STAFF, note="TERUSKAN POLRES", holder="POLRES")
    yesterday = datetime.now(WIB).date() - timedelta(days=1)
    await assign(conn, handed_id, STAFF, Assignment(agency="POLRES", due_on=yesterday), "POLRES")
    return Cases(closed, handed, old, tirtayasa)


def today_query(**extra: str) -> str:
    """The period of today (WIB) alone, and any other parameters."""
    today = datetime.now(WIB).date().isoformat()
    return "?" + "&".join(f"{k}={v}" for k, v in {"from": today, "to": today, **extra}.items())


async def page(client: TestClient, query: str) -> str:
    """The coordination page's HTML."""
    response = await client.get("/console/coordination" + query)
    assert 200 == response.status
    return await response.text()


def row_figures(html: str, key: str) -> dict[str, int]:
    """The figures of the page's table row with this data-key."""
    match = re.search(rf'<tr data-key="{re.escape(key)}">(.*?)</tr>', html, re.S)
    assert match is not None, key
    return {k: int(v) for k, v in re.findall(r'data-figure="(\w+)"[^>]*>(\d+)<', match.group(1))}


async def csv_rows(client: TestClient, query: str) -> list[dict[str, str]]:
    """The coordination CSV as rows by header."""
    response = await client.get("/console/coordination.csv" + query)
    assert 200 == response.status
    assert response.content_type == "text/csv"
    return list(csv.DictReader(io.StringIO(await response.text())))


EXPECTED_PONTANG = {
    "new": 2,
    "selesai_ditindak": 0,
    "tidak_terbukti": 1,
    "bukan_wewenang": 0,
    "still_open": 2,
    "overdue": 1,
    "handovers": 1,
}


class TestFigures:
    async def test_kecamatan_account_counts_its_period(
        self, client: TestClient, conn: asyncpg.Connection, cases: Cases
    ) -> None:
        """A Pontang account's totals count Pontang's cases of the period, not Tirtayasa's."""
        await sign_in_area(client, conn, "investigator", PONTANG)
        assert EXPECTED_PONTANG == row_figures(await page(client, today_query()), "total")

    async def test_regency_account_narrowed_to_one_kecamatan(
        self, client: TestClient, conn: asyncpg.Connection, cases: Cases
    ) -> None:
        """A regency account choosing Pontang gets the same figures as a Pontang account."""
        await sign_in_area(client, conn, "admin")
        html = await page(client, today_query(kecamatan=PONTANG))
        assert EXPECTED_PONTANG == row_figures(html, "total")

    async def test_regency_account_counts_every_kecamatan(
        self, client: TestClient, conn: asyncpg.Connection, cases: Cases
    ) -> None:
        """Without a kecamatan, a regency account's new cases include Tirtayasa's."""
        await sign_in_area(client, conn, "admin")
        assert 3 == row_figures(await page(client, today_query()), "total")["new"]

    async def test_other_kecamatan_cannot_be_chosen(
        self, client: TestClient, conn: asyncpg.Connection, cases: Cases
    ) -> None:
        """A Pontang account asking for Tirtayasa still sees only Pontang."""
        await sign_in_area(client, conn, "investigator", PONTANG)
        html = await page(client, today_query(kecamatan=TIRTAYASA))
        assert EXPECTED_PONTANG == row_figures(html, "total")
        assert cases.tirtayasa not in html

    async def test_case_filed_before_the_period_is_open_not_new(
        self, client: TestClient, conn: asyncpg.Connection, cases: Cases
    ) -> None:
        """The 40-day-old case is still open at the end of the period but not new in it."""
        await sign_in_area(client, conn, "investigator", PONTANG)
        html = await page(client, today_query())
        listed = set(re.findall(r'<tr data-receipt="(\d+)">', html))
        assert {cases.closed, cases.handed} == listed

    async def test_a_period_before_the_cases_counts_nothing(
        self, client: TestClient, conn: asyncpg.Connection, cases: Cases
    ) -> None:
        """A period ending before the cases were filed has no new case."""
        await sign_in_area(client, conn, "admin")
        html = await page(client, "?from=2020-01-01&to=2020-01-31")
        assert 0 == row_figures(html, "total")["new"]

    async def test_charts_are_drawn_by_the_console_charts(
        self, client: TestClient, conn: asyncpg.Connection, cases: Cases
    ) -> None:
        """The outcome chart's bar for tidak_terbukti carries the count."""
        await sign_in_area(client, conn, "investigator", PONTANG)
        html = await page(client, today_query())
        assert re.search(r'data-key="tidak_terbukti"[^>]*data-value="1"', html)


class TestCsv:
    async def test_csv_total_equals_the_page(
        self, client: TestClient, conn: asyncpg.Connection, cases: Cases
    ) -> None:
        """The CSV's total row has the page's total figures."""
        await sign_in_area(client, conn, "investigator", PONTANG)
        rows = await csv_rows(client, today_query())
        total = next(r for r in rows if r["kecamatan_code"] == "*")
        html = await page(client, today_query())
        assert row_figures(html, "total") == {k: int(total[k]) for k in EXPECTED_PONTANG}

    async def test_csv_rows_equal_the_page_rows(
        self, client: TestClient, conn: asyncpg.Connection, cases: Cases
    ) -> None:
        """Each kecamatan-and-holder row of the CSV has the page's figures for it."""
        await sign_in_area(client, conn, "admin")
        html = await page(client, today_query())
        rows = [r for r in await csv_rows(client, today_query()) if r["kecamatan_code"] != "*"]
        assert rows
        for row in rows:
            key = f"{row['kecamatan_code']}|{row['holder']}"
            assert row_figures(html, key) == {k: int(row[k]) for k in EXPECTED_PONTANG}

    async def test_csv_categories_add_up_to_the_total(
        self, client: TestClient, conn: asyncpg.Connection, cases: Cases
    ) -> None:
        """The per-category CSV's new cases add up to the page's total."""
        await sign_in_area(client, conn, "investigator", PONTANG)
        rows = await csv_rows(client, today_query(part="categories"))
        assert {"calo": 1, "biaya": 1} == {r["category"]: int(r["new"]) for r in rows if r["new"]}

    async def test_csv_excludes_other_kecamatan(
        self, client: TestClient, conn: asyncpg.Connection, cases: Cases
    ) -> None:
        """A Pontang account's CSVs name no Tirtayasa row nor its receipt."""
        await sign_in_area(client, conn, "investigator", PONTANG)
        summary = await csv_rows(client, today_query())
        listed = await csv_rows(client, today_query(part="cases"))
        assert TIRTAYASA not in {r["kecamatan_code"] for r in summary}
        assert {cases.closed, cases.handed} == {r["receipt"] for r in listed}

    async def test_csv_cells_cannot_run_as_formulas(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A tip's text starting with '=' is written as text (a leading quote)."""
        await load_sample_officials(conn)
        await file_test_tip(conn, "ussd:coord-formula", description='=HYPERLINK("http://x")')
        await sign_in_area(client, conn, "admin")
        rows = await csv_rows(client, today_query(part="cases", text="1"))
        assert ['\'=HYPERLINK("http://x")'] == [r["description"] for r in rows]


class TestWhoSeesWhat:
    async def test_operator_sees_counts_only(
        self, client: TestClient, conn: asyncpg.Connection, cases: Cases
    ) -> None:
        """An operator gets the figures but no receipt and no tip text."""
        await sign_in_area(client, conn, "operator")
        html = await page(client, today_query(text="1"))
        assert 3 == row_figures(html, "total")["new"]
        for receipt in (cases.closed, cases.handed, cases.tirtayasa):
            assert receipt not in html
        assert "Calo minta uang" not in html

    async def test_operator_cannot_download_the_cases(
        self, client: TestClient, conn: asyncpg.Connection, cases: Cases
    ) -> None:
        """The case list CSV is refused to an operator."""
        await sign_in_area(client, conn, "operator")
        response = await client.get("/console/coordination.csv" + today_query(part="cases"))
        assert 403 == response.status

    async def test_operator_reads_nothing(
        self, client: TestClient, conn: asyncpg.Connection, cases: Cases
    ) -> None:
        """An operator asking for the text leaves no tip_reads row."""
        await sign_in_area(client, conn, "operator")
        await page(client, today_query(text="1"))
        assert 0 == await conn.fetchval("SELECT count(*) FROM tip_reads")

    async def test_investigator_gets_no_text_unless_asked(
        self, client: TestClient, conn: asyncpg.Connection, cases: Cases
    ) -> None:
        """Without text=1 the list has receipts but no tip text, and no read is recorded."""
        await sign_in_area(client, conn, "investigator", PONTANG)
        html = await page(client, today_query())
        assert cases.closed in html
        assert "Calo minta uang" not in html
        assert 0 == await conn.fetchval("SELECT count(*) FROM tip_reads")

    async def test_text_on_request_is_audited_per_tip(
        self, client: TestClient, conn: asyncpg.Connection, cases: Cases
    ) -> None:
        """With text=1 each listed tip's text is shown and its read recorded under the account."""
        name = await sign_in_area(client, conn, "investigator", PONTANG)
        html = await page(client, today_query(text="1"))
        assert "Calo minta uang" in html
        reads = await conn.fetch(
            "SELECT t.receipt, r.reader, r.purpose FROM tip_reads r JOIN tips t ON t.id = r.tip_id"
        )
        assert {(cases.closed, name, PURPOSE), (cases.handed, name, PURPOSE)} == {
            tuple(r) for r in reads
        }


class TestPage:
    @pytest.mark.parametrize(
        ("lang", "title"), [("id", "Rekap koordinasi"), ("en", "Coordination summary")]
    )
    async def test_both_languages(
        self, client: TestClient, conn: asyncpg.Connection, cases: Cases, lang: str, title: str
    ) -> None:
        """The page speaks the session's language."""
        await sign_in_area(client, conn, "admin")
        await conn.execute("UPDATE console_sessions SET lang = $1", lang)
        assert f"<h1>{title}</h1>" in await page(client, today_query())

    async def test_prints_on_a4(self, client: TestClient) -> None:
        """The stylesheet has a print section for A4 that hides the navigation and forms."""
        css = await (await client.get("/console/static/console.css")).text()
        printing = css[css.index("@media print") :]
        assert "size: A4" in printing
        assert "header, form" in printing

    def test_default_period_is_the_previous_month(self) -> None:
        """Without dates the page shows the previous calendar month."""
        assert (date(2026, 11, 1), date(2026, 11, 30)) == default_period(date(2026, 12, 5))

    async def test_login_needed(self, client: TestClient) -> None:
        """Without a session the page redirects to the login."""
        response = await client.get("/console/coordination", allow_redirects=False)
        assert 303 == response.status
