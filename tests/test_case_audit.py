"""The audit page over real HTTP and PostgreSQL: every console and API read of a case is recorded
and listed with its reader and receipt, case moves, messages and account changes name who made
them (never what they wrote), filters narrow, pages continue without overlap, a case outside an
admin's area is absent from the page and the CSV, and only admins may open either."""

from __future__ import annotations

import csv
import io
import re

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway.console import audit
from gateway.console.auth import hash_password
from gateway.usecases.cases import add_note, move
from storage.accounts import create_account
from storage.cases import Actor
from storage.conflicts import mark_involved
from storage.tips import add_official_message, review_message
from storage.users import add_api_token, add_user
from tests.conftest import Gateway
from tests.console_helpers import (
    PASSWORD,
    csrf_token,
    file_test_tip,
    load_sample_officials,
    post_login,
)
from tests.sms_client import send_sms

PONTANG = "36.04.12"
TIRTAYASA = "36.04.13"
TOKEN = "audit-test-token-0123456789abcdef"
CAMAT_PONTANG = "+6281199000007"  # Agus Contoh, Kecamatan Pontang (sample officials)


@pytest.fixture
async def receipts(client: TestClient, conn: asyncpg.Connection) -> tuple[str, str]:
    """A Pontang tip and a Tirtayasa tip, alerted to the sample officials."""
    await load_sample_officials(conn)
    return (
        await file_test_tip(conn, "ussd:audit-pontang", kecamatan_code=PONTANG),
        await file_test_tip(conn, "ussd:audit-tirtayasa", kecamatan_code=TIRTAYASA),
    )


async def log_in(
    client: TestClient, conn: asyncpg.Connection, name: str, role: str, area: str = "*"
) -> str:
    """Create the account (if new) and log the client in as it."""
    if await conn.fetchval("SELECT 1 FROM users WHERE name = $1", name) is None:
        await add_user(conn, name, role, hash_password(PASSWORD), area)
    assert 303 == (await post_login(client, name)).status
    return name


async def trail(client: TestClient, query: str = "") -> list[dict[str, str]]:
    """The audit page's rows as their data attributes."""
    response = await client.get("/console/audit" + query)
    assert 200 == response.status
    html = await response.text()
    return [
        dict(re.findall(r'data-(\w+)="([^"]*)"', row))
        for row in re.findall(r"<tr (data-ref=[^>]*)>", html)
    ]


async def case_action(client: TestClient, receipt: str, action: str, form: dict[str, str]) -> None:
    """POST one case action from the tip page's form, as the browser would."""
    data = {**form, "csrf": await csrf_token(client, f"/console/tips/{receipt}")}
    response = await client.post(
        f"/console/tips/{receipt}/case/{action}", data=data, allow_redirects=False
    )
    assert 303 == response.status


async def trail_csv(client: TestClient, query: str = "") -> list[dict[str, str]]:
    """The audit CSV as rows by header."""
    response = await client.get("/console/audit.csv" + query)
    assert 200 == response.status
    assert "text/csv" == response.content_type
    return list(csv.DictReader(io.StringIO(await response.text())))


class TestReads:
    async def test_investigators_read_is_listed(
        self, client: TestClient, conn: asyncpg.Connection, receipts: tuple[str, str]
    ) -> None:
        """Opening a tip's page shows up as a read by that account of that receipt."""
        pontang, _ = receipts
        await log_in(client, conn, "penyidik", "investigator")
        assert 200 == (await client.get(f"/console/tips/{pontang}")).status
        await log_in(client, conn, "admin-1", "admin")
        reads = await trail(client, "?kind=read")
        assert [("read", "penyidik", pontang)] == [
            (r["kind"], r["actor"], r["receipt"]) for r in reads
        ]

    async def test_api_read_is_listed(
        self, client: TestClient, conn: asyncpg.Connection, receipts: tuple[str, str]
    ) -> None:
        """An API token's read of a tip is listed under api:<label>."""
        pontang, _ = receipts
        await add_api_token(conn, TOKEN, "mitra")
        headers = {"Authorization": f"Bearer {TOKEN}"}
        assert 200 == (await client.get(f"/api/v1/tips/{pontang}", headers=headers)).status
        await log_in(client, conn, "admin-1", "admin")
        assert [("api:mitra", pontang)] == [
            (r["actor"], r["receipt"]) for r in await trail(client, "?kind=read")
        ]

    async def test_alert_text_view_is_listed(
        self, client: TestClient, conn: asyncpg.Connection, receipts: tuple[str, str]
    ) -> None:
        """Viewing an alert SMS that quotes the tip is listed as a read of it."""
        pontang, _ = receipts
        outbox_id = await conn.fetchval(
            "SELECT min(o.id) FROM outbox o JOIN tips t ON t.id = o.tip_id"
            " WHERE t.receipt = $1 AND o.recipient_kind = 'official'",
            pontang,
        )
        await log_in(client, conn, "penyidik", "investigator")
        assert 200 == (await client.get(f"/console/delivery/{outbox_id}")).status
        await log_in(client, conn, "admin-1", "admin")
        assert [("penyidik", pontang)] == [
            (r["actor"], r["receipt"]) for r in await trail(client, "?kind=read")
        ]

    async def test_officials_info_by_sms_is_listed(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """An official's INFO sends the whole case: listed as a read by SMS under their name."""
        receipt = await file_test_tip(conn, "ussd:audit-info", kecamatan_code=PONTANG)
        await send_sms(gateway.client, f"INFO {receipt}", CAMAT_PONTANG)
        await log_in(gateway.client, conn, "admin-1", "admin")
        reads = await trail_csv(gateway.client, "?kind=read")
        assert [("Agus Contoh", "sms", receipt, "sms: INFO")] == [
            (r["actor"], r["channel"], r["receipt"], r["detail"]) for r in reads
        ]


class TestChanges:
    async def test_move_names_the_account_without_the_note(
        self, client: TestClient, conn: asyncpg.Connection, receipts: tuple[str, str]
    ) -> None:
        """A console move is listed with its account; the note's text is not on the page."""
        pontang, _ = receipts
        tip_id = await conn.fetchval("SELECT id FROM tips WHERE receipt = $1", pontang)
        actor = Actor("console", account="penyidik")
        await move(conn, tip_id, "tidak_terbukti", actor, note="rahasia catatan")
        await log_in(client, conn, "admin-1", "admin")
        response = await client.get("/console/audit?kind=move")
        assert "rahasia catatan" not in await response.text()
        moves = await trail(client, "?kind=move&actor=penyidik")
        assert [("move", "penyidik", pontang)] == [
            (r["kind"], r["actor"], r["receipt"]) for r in moves
        ]

    async def test_note_is_listed_without_its_text(
        self, client: TestClient, conn: asyncpg.Connection, receipts: tuple[str, str]
    ) -> None:
        """An internal note is listed as a note by its account, its text left out of the CSV."""
        pontang, _ = receipts
        tip_id = await conn.fetchval("SELECT id FROM tips WHERE receipt = $1", pontang)
        await add_note(conn, tip_id, Actor("console", account="penyidik"), "isi rahasia")
        await log_in(client, conn, "admin-1", "admin")
        rows = await trail_csv(client, "?kind=note")
        assert [("penyidik", pontang, "")] == [
            (r["actor"], r["receipt"], r["detail"]) for r in rows
        ]

    async def test_console_question_is_a_message_without_body(
        self, client: TestClient, conn: asyncpg.Connection, receipts: tuple[str, str]
    ) -> None:
        """A question asked in the console is listed as a message by the account, no body."""
        pontang, _ = receipts
        await log_in(client, conn, "penyidik", "investigator")
        await case_action(client, pontang, "ask", {"question": "Kapan calo datang?"})
        await log_in(client, conn, "admin-1", "admin")
        rows = await trail_csv(client, "?kind=message")
        assert [("penyidik", "console", "question")] == [
            (r["actor"], r["channel"], r["detail"]) for r in rows
        ]
        assert "Kapan calo" not in await (await client.get("/console/audit")).text()

    async def test_involved_official_and_review_are_listed(
        self, client: TestClient, conn: asyncpg.Connection, receipts: tuple[str, str]
    ) -> None:
        """Naming an official as involved and rejecting a held message name who did it."""
        pontang, _ = receipts
        tip_id = await conn.fetchval("SELECT id FROM tips WHERE receipt = $1", pontang)
        official_id = await conn.fetchval(
            "SELECT official_id FROM alerts WHERE tip_id = $1", tip_id
        )
        assert await mark_involved(conn, tip_id, official_id, "penyidik")
        await add_official_message(
            conn, pontang, "question", "KTP?", account="x", held_for=("KTP",)
        )
        message_id = await conn.fetchval("SELECT id FROM tip_messages")
        assert await review_message(conn, pontang, message_id, "rejected", "penyidik")
        await log_in(client, conn, "admin-1", "admin")
        rows = await trail_csv(client, "?actor=penyidik")
        assert {("involved", pontang), ("review", pontang)} == {
            (r["kind"], r["receipt"]) for r in rows
        }

    async def test_account_change_is_listed(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """An admin adding an account is listed with the admin and the new account."""
        await create_account(conn, "baru-1", "operator", hash_password(PASSWORD), "*", "admin-1")
        await log_in(client, conn, "admin-1", "admin")
        rows = await trail(client, "?kind=account")
        assert [("admin-1", "account")] == [(r["actor"], r["kind"]) for r in rows]
        assert "baru-1" in await (await client.get("/console/audit?kind=account")).text()

    async def test_console_handover_is_listed_with_the_new_holder(
        self, client: TestClient, conn: asyncpg.Connection, receipts: tuple[str, str]
    ) -> None:
        """Handing a case to POLRES in the console is a handover by the account to POLRES."""
        pontang, _ = receipts
        await log_in(client, conn, "penyidik", "investigator")
        await case_action(client, pontang, "forward", {"agency": "POLRES"})
        await log_in(client, conn, "admin-1", "admin")
        rows = await trail_csv(client, "?kind=handover")
        assert [("penyidik", pontang, "POLRES")] == [
            (r["actor"], r["receipt"], r["holder"]) for r in rows
        ]


class TestFilters:
    async def test_actor_filter_narrows(
        self, client: TestClient, conn: asyncpg.Connection, receipts: tuple[str, str]
    ) -> None:
        """Filtering by account leaves only that account's rows."""
        pontang, tirtayasa = receipts
        await log_in(client, conn, "penyidik-a", "investigator")
        await client.get(f"/console/tips/{pontang}")
        await log_in(client, conn, "penyidik-b", "investigator")
        await client.get(f"/console/tips/{tirtayasa}")
        await log_in(client, conn, "admin-1", "admin")
        assert {"penyidik-a", "penyidik-b"} <= {r["actor"] for r in await trail(client)}
        assert {("penyidik-b", tirtayasa)} == {
            (r["actor"], r["receipt"]) for r in await trail(client, "?actor=PENYIDIK-B")
        }

    async def test_receipt_filter_narrows(
        self, client: TestClient, conn: asyncpg.Connection, receipts: tuple[str, str]
    ) -> None:
        """Filtering by receipt leaves only that case's rows."""
        pontang, _ = receipts
        await log_in(client, conn, "admin-1", "admin")
        rows = await trail(client, f"?receipt={pontang}")
        assert rows
        assert {pontang} == {r["receipt"] for r in rows}

    async def test_date_filter_narrows(
        self, client: TestClient, conn: asyncpg.Connection, receipts: tuple[str, str]
    ) -> None:
        """A period before anything happened lists nothing."""
        await log_in(client, conn, "admin-1", "admin")
        assert [] == await trail(client, "?from=2020-01-01&to=2020-01-31")

    async def test_pages_continue_without_overlap(
        self,
        client: TestClient,
        conn: asyncpg.Connection,
        receipts: tuple[str, str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """With two rows a page, following "older" walks every row once, newest first."""
        for receipt in receipts:
            await log_in(client, conn, "penyidik", "investigator")
            await client.get(f"/console/tips/{receipt}")
        await log_in(client, conn, "admin-1", "admin")
        everything = [r["ref"] for r in await trail(client)]
        monkeypatch.setattr(audit, "PAGE_ROWS", 2)
        walked: list[str] = []
        query = ""
        while True:
            html = await (await client.get("/console/audit" + query)).text()
            walked += re.findall(r'<tr data-ref="([^"]+)"', html)
            older = re.search(r'id="older" href="/console/audit([^"]+)"', html)
            if older is None:
                break
            query = older.group(1).replace("&amp;", "&")
        assert len(everything) > 2
        assert everything == walked


class TestAreaAndRoles:
    async def test_case_outside_the_area_is_absent(
        self, client: TestClient, conn: asyncpg.Connection, receipts: tuple[str, str]
    ) -> None:
        """A Pontang admin sees reads of the Pontang tip but none of the Tirtayasa tip."""
        pontang, tirtayasa = receipts
        await log_in(client, conn, "penyidik", "investigator")
        await client.get(f"/console/tips/{pontang}")
        await client.get(f"/console/tips/{tirtayasa}")
        await log_in(client, conn, "admin-pontang", "admin", PONTANG)
        page_receipts = {r["receipt"] for r in await trail(client)}
        csv_receipts = {r["receipt"] for r in await trail_csv(client)}
        assert pontang in page_receipts
        assert pontang in csv_receipts
        assert tirtayasa not in page_receipts | csv_receipts
        response = await client.get(f"/console/audit.csv?receipt={tirtayasa}")
        assert tirtayasa not in await response.text()

    async def test_account_changes_outside_the_area_are_absent(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A Pontang admin sees changes to Pontang accounts, not to Tirtayasa's."""
        await create_account(conn, "op-pontang", "operator", "x", PONTANG, "root")
        await create_account(conn, "op-tirtayasa", "operator", "x", TIRTAYASA, "root")
        await log_in(client, conn, "admin-pontang", "admin", PONTANG)
        text = await (await client.get("/console/audit.csv?kind=account")).text()
        assert "op-pontang" in text
        assert "op-tirtayasa" not in text

    @pytest.mark.parametrize("role", ["operator", "investigator"])
    @pytest.mark.parametrize("path", ["/console/audit", "/console/audit.csv"])
    async def test_non_admins_are_refused(
        self, client: TestClient, conn: asyncpg.Connection, role: str, path: str
    ) -> None:
        """Operators and investigators get the console's 403."""
        await log_in(client, conn, f"{role}-1", role)
        assert 403 == (await client.get(path)).status

    async def test_login_needed(self, client: TestClient) -> None:
        """Without a session the page redirects to the login."""
        response = await client.get("/console/audit", allow_redirects=False)
        assert 303 == response.status

    @pytest.mark.parametrize(("lang", "title"), [("id", "Log audit"), ("en", "Audit log")])
    async def test_both_languages(
        self, client: TestClient, conn: asyncpg.Connection, lang: str, title: str
    ) -> None:
        """The page speaks the session's language."""
        await log_in(client, conn, "admin-1", "admin")
        await conn.execute("UPDATE console_sessions SET lang = $1", lang)
        assert f"<h1>{title}</h1>" in await (await client.get("/console/audit")).text()
