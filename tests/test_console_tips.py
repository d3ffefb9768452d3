"""The console's tips pages over real HTTP: who may see them, the audit of every read, filters,
the anonymous thread and alerts, and tip text that stays text."""

from __future__ import annotations

import html
import re

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway.console.vocabulary import label
from storage.tips import add_official_message, answer_question, set_status
from tests.console_helpers import csrf_token, file_test_tip, load_sample_officials, sign_in
from ussd_menus.receipts import show_receipt

STORY = "Calo minta uang 10 juta untuk ke Taiwan"
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
async def receipt(client: TestClient, conn: asyncpg.Connection) -> str:
    """One tip from Pontang with its alerts to the sample officials."""
    await load_sample_officials(conn)
    return await file_test_tip(conn, "ussd:ATUid_console_tip", description=STORY)


async def listed(client: TestClient, query: str = "") -> list[str]:
    """The receipts the tips list shows, in order."""
    response = await client.get("/console/tips" + query)
    assert 200 == response.status
    return re.findall(r'<tr data-receipt="(\d+)">', await response.text())


async def reads(conn: asyncpg.Connection) -> list[tuple[str, str]]:
    """Every audited read as (reader, purpose)."""
    rows = await conn.fetch("SELECT reader, purpose FROM tip_reads ORDER BY id")
    return [(r["reader"], r["purpose"]) for r in rows]


async def tip_page(client: TestClient, receipt: str) -> str:
    """A tip's page, checking it opened."""
    response = await client.get(f"/console/tips/{receipt}")
    assert 200 == response.status
    return await response.text()


def table(page: str, table_id: str) -> list[list[str]]:
    """A table's body rows as cell texts."""
    body = page.split(f'<table id="{table_id}">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body.split("<tbody>", 1)[1], re.S)
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)
        ]
        for r in rows
    ]


class TestWhoMaySee:
    async def test_operator_gets_403_on_a_tip(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """An operator asking for a tip's page by URL is refused."""
        await sign_in(client, conn, "operator")
        response = await client.get(f"/console/tips/{receipt}")
        assert 403 == response.status

    async def test_operator_refusal_writes_no_audit_row(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """A refused operator has read nothing, so nothing is audited."""
        await sign_in(client, conn, "operator")
        await client.get(f"/console/tips/{receipt}")
        assert [] == await reads(conn)

    async def test_operator_refusal_shows_no_content(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """The refusal holds none of the tip's text."""
        await sign_in(client, conn, "operator")
        response = await client.get(f"/console/tips/{receipt}")
        assert "Calo minta" not in await response.text()

    async def test_operator_gets_403_on_the_list(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """An operator cannot open the tips list either."""
        await sign_in(client, conn, "operator")
        response = await client.get("/console/tips")
        assert 403 == response.status

    async def test_admin_may_read_a_tip(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """An admin sees a tip's content."""
        await sign_in(client, conn, "admin")
        assert STORY in await tip_page(client, receipt)

    async def test_signed_out_visitor_is_sent_to_login(
        self, client: TestClient, receipt: str
    ) -> None:
        """Without a session a tip's URL leads to the login page."""
        response = await client.get(f"/console/tips/{receipt}", allow_redirects=False)
        assert (303, f"/console/login?next=/console/tips/{receipt}") == (
            response.status,
            response.headers["Location"],
        )


class TestAudit:
    async def test_investigator_view_writes_one_audit_row(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """Opening a tip writes exactly one read, under the investigator's name, for 'console'."""
        name = await sign_in(client, conn, "investigator")
        await tip_page(client, receipt)
        assert [(name, "console")] == await reads(conn)

    async def test_each_view_is_audited(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """Opening a tip twice writes two reads."""
        name = await sign_in(client, conn, "investigator")
        await tip_page(client, receipt)
        await tip_page(client, receipt)
        assert [(name, "console"), (name, "console")] == await reads(conn)

    async def test_list_is_not_a_read(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """The list shows no content, so it writes no read."""
        await sign_in(client, conn, "investigator")
        await listed(client)
        assert [] == await reads(conn)

    async def test_tip_page_is_not_cached(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """A tip's page tells browsers not to store it."""
        await sign_in(client, conn, "investigator")
        response = await client.get(f"/console/tips/{receipt}")
        assert "no-store" == response.headers["Cache-Control"]


class TestTipPage:
    async def test_shows_the_content(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """The page shows the reporter's account, kecamatan and desa."""
        await sign_in(client, conn, "investigator")
        page = await tip_page(client, receipt)
        assert (True, True, True) == (STORY in page, "Pontang" in page, "Kubang Puji" in page)

    async def test_script_in_a_description_stays_text(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A description holding <script> is shown escaped, never as markup."""
        receipt = await file_test_tip(conn, "ussd:ATUid_script", description=SCRIPT)
        await sign_in(client, conn, "investigator")
        page = await tip_page(client, receipt)
        assert (False, True) == (
            SCRIPT in page,
            "&lt;script&gt;alert(1)&lt;/script&gt;" in page,
        )

    async def test_thread_shows_questions_and_answers(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """An official's question and the reporter's answer appear in order."""
        question = await add_official_message(conn, receipt, "question", "Kapan calo datang?")
        assert question is not None
        await answer_question(conn, receipt, question, "Hari Senin", "ussd:ATUid_answer")
        await sign_in(client, conn, "investigator")
        rows = table(await tip_page(client, receipt), "thread")
        assert [
            ["Petugas (pertanyaan)", "Kapan calo datang?"],
            ["Pelapor (jawaban)", "Hari Senin"],
        ] == [r[1:] for r in rows]

    async def test_thread_names_no_one(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """The thread says nothing of where an answer came from."""
        question = await add_official_message(conn, receipt, "question", "Kapan?")
        assert question is not None
        await answer_question(conn, receipt, question, "Senin", "ussd:ATUid_secret_answer")
        await sign_in(client, conn, "investigator")
        assert "ATUid_secret_answer" not in await tip_page(client, receipt)

    async def test_alerts_show_each_official_and_sms_status(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """Each alert lists the official, tier, reason and its SMS status."""
        await sign_in(client, conn, "investigator")
        rows = table(await tip_page(client, receipt), "alerts")
        words = [label("alert_reason", "new", "id"), label("sms_status", "queued", "id")]
        assert [
            ["Agus Contoh", "1", *words],
            ["Tatang Contoh", "1", *words],
            ["Nining Sampel", "1", *words],
        ] == sorted(
            ([r[0], r[1], r[2], r[4]] for r in rows),
            key=lambda r: ["Agus Contoh", "Tatang Contoh", "Nining Sampel"].index(r[0]),
        )

    async def test_alert_acknowledgement_is_shown(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """An acknowledged alert shows when; the others show none."""
        await conn.execute(
            "UPDATE alerts SET acknowledged_at = '2026-11-30 09:15+07' WHERE official_id ="
            " (SELECT id FROM officials WHERE name = 'Agus Contoh')"
        )
        await sign_in(client, conn, "investigator")
        rows = table(await tip_page(client, receipt), "alerts")
        assert {
            "Agus Contoh": "2026-11-30 09:15 WIB",
            "Tatang Contoh": "-",
            "Nining Sampel": "-",
        } == {r[0]: r[5] for r in rows}

    async def test_status_is_shown(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """The page shows the tip's current status."""
        await set_status(conn, receipt, "diselidiki")
        await sign_in(client, conn, "investigator")
        shown = '<td data-status="diselidiki">Sedang diselidiki</td>'
        assert shown in await tip_page(client, receipt)

    async def test_formatted_receipt_opens_the_tip(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """The receipt as residents see it (1234-5678-9) opens the same tip."""
        await sign_in(client, conn, "investigator")
        assert STORY in await tip_page(client, show_receipt(receipt))

    async def test_mistyped_receipt_is_404(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """A receipt whose check digit is wrong is not found, and nothing is audited."""
        await sign_in(client, conn, "investigator")
        wrong = receipt[:-1] + str((int(receipt[-1]) + 1) % 10)
        response = await client.get(f"/console/tips/{wrong}")
        assert (404, []) == (response.status, await reads(conn))

    async def test_english_page(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """With the session in English the page speaks English."""
        await sign_in(client, conn, "investigator")
        token = await csrf_token(client)
        await client.post("/console/lang", data={"csrf": token, "lang": "en"})
        assert "The reporter&#39;s account" in await tip_page(client, receipt)


class TestTipsList:
    async def test_lists_tips_newest_first(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """Every tip is listed, newest first."""
        newer = await file_test_tip(conn, "ussd:ATUid_newer", kecamatan_code="36.04.05")
        await sign_in(client, conn, "investigator")
        assert [newer, receipt] == await listed(client)

    async def test_list_holds_no_content(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """The list shows what a tip is about, never what it says."""
        await sign_in(client, conn, "investigator")
        response = await client.get("/console/tips")
        text = await response.text()
        assert (False, False) == (STORY in text, "Kubang Puji" in text)

    async def test_row_shows_receipt_category_kecamatan_status(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """A row shows the formatted receipt, category, kecamatan and status."""
        await sign_in(client, conn, "investigator")
        response = await client.get("/console/tips")
        row = table(await response.text(), "tips")[0]
        category, status = label("category", "calo", "id"), label("case_status", "diteruskan", "id")
        assert [show_receipt(receipt), category, "Pontang", status] == [
            row[0],
            row[2],
            row[3],
            row[4],
        ]

    async def test_category_filter(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """?category= lists only that category."""
        visa = await file_test_tip(conn, "ussd:ATUid_visa", category="visa")
        await sign_in(client, conn, "investigator")
        assert [visa] == await listed(client, "?category=visa")

    async def test_status_filter(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """?status= lists only tips in that status."""
        closed = await file_test_tip(conn, "ussd:ATUid_closed")
        await set_status(conn, closed, "tidak_terbukti")
        await sign_in(client, conn, "investigator")
        assert [closed] == await listed(client, "?status=tidak_terbukti")

    async def test_kecamatan_filter(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """?kecamatan= lists only that kecamatan's tips."""
        ciruas = await file_test_tip(conn, "ussd:ATUid_ciruas", kecamatan_code="36.04.09")
        await sign_in(client, conn, "investigator")
        assert [ciruas] == await listed(client, "?kecamatan=36.04.09")

    async def test_date_range_filter(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """?from=&to= lists only tips filed on those days (Serang time)."""
        old = await file_test_tip(conn, "ussd:ATUid_old")
        await conn.execute(
            "UPDATE tips SET created_at = '2026-02-01 00:30+07' WHERE receipt = $1", old
        )
        await sign_in(client, conn, "investigator")
        assert [old] == await listed(client, "?from=2026-02-01&to=2026-02-01")

    async def test_unknown_filter_value_is_ignored(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """A filter value that is not a known one filters nothing."""
        await sign_in(client, conn, "investigator")
        assert [receipt] == await listed(client, "?category=nonsense&from=yesterday")
