"""Case actions on a tip's console page over real HTTP: each action moves the case through the one
use case (a case_events row naming the console account, channel 'console'), what the lifecycle
refuses changes nothing, a case outside the account's area is a 404 for every action, operators
cannot act, every form needs the CSRF token, and the reporter's STATUS follows."""

from __future__ import annotations

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from tests.console_helpers import (
    csrf_token,
    file_test_tip,
    load_sample_officials,
    sign_in,
    sign_in_area,
)
from tests.sms_client import reply_to
from ussd_menus.receipts import show_receipt

PONTANG = "36.04.12"
TIRTAYASA = "36.04.13"
# Each action with a form that would succeed on an open case.
ACTIONS = {
    "status": {"status": "diselidiki", "note": "mulai"},
    "note": {"note": "cek kantor PT"},
    "ask": {"question": "Kapan calo datang?"},
    "forward": {"agency": "POLRES"},
    "close": {"status": "tidak_terbukti", "note": "tidak ada bukti"},
}


@pytest.fixture
async def receipt(client: TestClient, conn: asyncpg.Connection) -> str:
    """One tip from Pontang, alerted to the sample officials."""
    await load_sample_officials(conn)
    return await file_test_tip(conn, "ussd:ATUid_console_case", kecamatan_code=PONTANG)


async def act(
    client: TestClient, receipt: str, action: str, form: dict[str, str], csrf: bool = True
) -> int:
    """POST one case action from the tip page's token; the response status (no redirects)."""
    data = dict(form)
    if csrf:
        data["csrf"] = await csrf_token(client, f"/console/tips/{receipt}")
    response = await client.post(
        f"/console/tips/{receipt}/case/{action}", data=data, allow_redirects=False
    )
    return response.status


async def status_of(conn: asyncpg.Connection, receipt: str) -> str:
    """The case's status now."""
    status: str = await conn.fetchval("SELECT status FROM tips WHERE receipt = $1", receipt)
    return status


async def console_events(conn: asyncpg.Connection) -> list[tuple[str, str, str, str]]:
    """The console's case_events as (from, to, account, note)."""
    rows = await conn.fetch(
        "SELECT from_status, to_status, account, note FROM case_events"
        " WHERE channel = 'console' ORDER BY id"
    )
    return [(r["from_status"], r["to_status"], r["account"], r["note"]) for r in rows]


class TestActions:
    async def test_status_change_moves_and_names_the_account(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """Setting diselidiki moves the case and writes a console event naming the account."""
        name = await sign_in(client, conn, "investigator")
        assert 303 == await act(client, receipt, "status", ACTIONS["status"])
        assert "diselidiki" == await status_of(conn, receipt)
        assert [("diteruskan", "diselidiki", name, "mulai")] == await console_events(conn)

    async def test_close_with_outcome(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """Closing as tidak_terbukti moves the case there, by the account."""
        name = await sign_in(client, conn, "admin")
        assert 303 == await act(client, receipt, "close", ACTIONS["close"])
        assert "tidak_terbukti" == await status_of(conn, receipt)
        assert [("diteruskan", "tidak_terbukti", name, "tidak ada bukti")] == (
            await console_events(conn)
        )

    async def test_reopen_a_closed_case(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """A closed case reopens under investigation, audited as a reopening."""
        await sign_in(client, conn, "investigator")
        await act(client, receipt, "close", ACTIONS["close"])
        assert 303 == await act(client, receipt, "reopen", {"note": "bukti baru"})
        assert "diselidiki" == await status_of(conn, receipt)
        reopened = await conn.fetchval(
            "SELECT reopened FROM case_events WHERE channel = 'console' ORDER BY id DESC LIMIT 1"
        )
        assert reopened is True

    async def test_internal_note_keeps_the_status_and_stays_internal(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """A note is a history row with the status unchanged and never reaches the reporter."""
        name = await sign_in(client, conn, "investigator")
        assert 303 == await act(client, receipt, "note", ACTIONS["note"])
        assert [("diteruskan", "diteruskan", name, "cek kantor PT")] == await console_events(conn)
        assert "cek kantor PT" not in await reply_to(client, conn, f"STATUS {receipt}")

    async def test_ask_puts_the_question_on_the_reporters_thread(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """Asking moves to menunggu_pelapor and the reporter's STATUS shows the question."""
        name = await sign_in(client, conn, "investigator")
        assert 303 == await act(client, receipt, "ask", ACTIONS["ask"])
        assert "menunggu_pelapor" == await status_of(conn, receipt)
        account = await conn.fetchval("SELECT account FROM tip_messages WHERE kind = 'question'")
        assert name == account
        assert "Kapan calo datang?" in await reply_to(client, conn, f"STATUS {receipt}")

    async def test_identity_question_is_held(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """A console question asking for the reporter's KTP is held, as TANYA's is."""
        await sign_in(client, conn, "investigator")
        await act(client, receipt, "ask", {"question": "Kirim nomor KTP Anda"})
        assert "held" == await conn.fetchval("SELECT review FROM tip_messages")
        assert "KTP" not in await reply_to(client, conn, f"STATUS {receipt}")

    async def test_forward_hands_over_to_the_agency(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """Handing over to POLRES moves the case to that holder and alerts its officials."""
        name = await sign_in(client, conn, "investigator")
        assert 303 == await act(client, receipt, "forward", ACTIONS["forward"])
        row = await conn.fetchrow("SELECT status, holder FROM tips WHERE receipt = $1", receipt)
        assert ("diteruskan", "POLRES") == (row["status"], row["holder"])
        handover = await conn.fetchval("SELECT count(*) FROM alerts WHERE reason = 'handover'")
        assert handover >= 1
        assert [("diteruskan", "diteruskan", name, "TERUSKAN POLRES")] == (
            await console_events(conn)
        )

    async def test_unknown_agency_changes_nothing(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """An agency code nobody has is refused and nothing is written."""
        await sign_in(client, conn, "investigator")
        await act(client, receipt, "forward", {"agency": "NOPE"})
        assert [] == await console_events(conn)

    async def test_status_shows_the_public_line_after_a_console_move(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """The reporter's STATUS shows diselidiki's public line after the console sets it."""
        await sign_in(client, conn, "investigator")
        await act(client, receipt, "status", ACTIONS["status"])
        assert "Sedang diselidiki" in await reply_to(client, conn, f"STATUS {receipt}")


class TestPage:
    async def test_history_names_the_account(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """The tip page's case history names the console account that moved the case."""
        name = await sign_in(client, conn, "investigator")
        await act(client, receipt, "status", ACTIONS["status"])
        page = await (await client.get(f"/console/tips/{receipt}")).text()
        history = page.split('id="case-history"', 1)[1].split("</table>", 1)[0]
        assert name in history

    async def test_thread_names_the_asking_account(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """A console question on the thread names the account that asked."""
        name = await sign_in(client, conn, "investigator")
        await act(client, receipt, "ask", ACTIONS["ask"])
        page = await (await client.get(f"/console/tips/{receipt}")).text()
        thread = page.split('id="thread"', 1)[1].split("</table>", 1)[0]
        assert name in thread

    async def test_english_refusal(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """A refused move is explained in English on an English console."""
        await sign_in(client, conn, "investigator")
        token = await csrf_token(client)
        await client.post("/console/lang", data={"csrf": token, "lang": "en"})
        await act(client, receipt, "close", ACTIONS["close"])
        response = await client.post(
            f"/console/tips/{receipt}/case/status", data={"status": "diterima", "csrf": token}
        )
        assert "Refused: this status change is not allowed" in await response.text()


class TestRefusals:
    async def test_illegal_move_changes_nothing(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """Setting diterima on a closed case is refused: status and history unchanged."""
        await sign_in(client, conn, "investigator")
        await act(client, receipt, "close", ACTIONS["close"])
        before = await console_events(conn)
        response = await client.post(
            f"/console/tips/{receipt}/case/status",
            data={
                "status": "diterima",
                "csrf": await csrf_token(client, f"/console/tips/{receipt}"),
            },
        )
        assert "Ditolak" in await response.text()
        assert "tidak_terbukti" == await status_of(conn, receipt)
        assert before == await console_events(conn)

    async def test_reopening_an_open_case_is_refused(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """Reopen on an open case changes nothing."""
        await sign_in(client, conn, "investigator")
        await act(client, receipt, "reopen", {})
        assert ("diteruskan", []) == (await status_of(conn, receipt), await console_events(conn))

    @pytest.mark.parametrize("action", ["status", "note", "ask", "forward", "close", "reopen"])
    async def test_outside_the_area_is_404(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str, action: str
    ) -> None:
        """An investigator of another kecamatan gets 404 for every action; nothing changes."""
        await sign_in_area(client, conn, "investigator", TIRTAYASA)
        token = await csrf_token(client)
        data = {**ACTIONS.get(action, {}), "csrf": token}
        response = await client.post(f"/console/tips/{receipt}/case/{action}", data=data)
        assert 404 == response.status
        assert ("diteruskan", []) == (await status_of(conn, receipt), await console_events(conn))

    async def test_inside_the_area_may_act(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """An investigator of the tip's own kecamatan may act on it."""
        await sign_in_area(client, conn, "investigator", PONTANG)
        assert 303 == await act(client, receipt, "status", ACTIONS["status"])
        assert "diselidiki" == await status_of(conn, receipt)

    @pytest.mark.parametrize("action", ["status", "note", "ask", "forward", "close", "reopen"])
    async def test_operator_cannot_act(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str, action: str
    ) -> None:
        """An operator is refused (403) and nothing changes."""
        await sign_in(client, conn, "operator")
        token = await csrf_token(client)
        data = {**ACTIONS.get(action, {}), "csrf": token}
        response = await client.post(f"/console/tips/{receipt}/case/{action}", data=data)
        assert 403 == response.status
        assert ("diteruskan", []) == (await status_of(conn, receipt), await console_events(conn))

    @pytest.mark.parametrize("action", ["status", "note", "ask", "forward", "close"])
    async def test_missing_csrf_is_refused(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str, action: str
    ) -> None:
        """A form without the CSRF token is refused and nothing changes."""
        await sign_in(client, conn, "investigator")
        assert 403 == await act(client, receipt, action, ACTIONS[action], csrf=False)
        assert ("diteruskan", []) == (await status_of(conn, receipt), await console_events(conn))

    async def test_receipt_shown_with_dashes_works(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """The formatted receipt in the URL reaches the same case."""
        await sign_in(client, conn, "investigator")
        assert 303 == await act(client, show_receipt(receipt), "status", ACTIONS["status"])
        assert "diselidiki" == await status_of(conn, receipt)


class TestAssignment:
    async def test_assign_to_an_account_with_a_due_date(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """Assigning stores the account and due date and writes a history row naming who set it."""
        name = await sign_in(client, conn, "investigator")
        form = {"to": f"account:{name}", "due": "2026-12-31"}
        assert 303 == await act(client, receipt, "assign", form)
        row = await conn.fetchrow("SELECT assigned_account, due_on::text AS due FROM tips")
        assert (name, "2026-12-31") == (row["assigned_account"], row["due"])
        events = await console_events(conn)
        assert [("diteruskan", "diteruskan", name)] == [e[:3] for e in events]

    async def test_assign_to_an_unknown_account_changes_nothing(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """An assignee not among the accounts is refused and nothing is written."""
        await sign_in(client, conn, "investigator")
        await act(client, receipt, "assign", {"to": "account:nobody"})
        assert None is await conn.fetchval("SELECT assigned_account FROM tips")
        assert [] == await console_events(conn)

    async def test_my_cases_lists_only_mine(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """'My cases' lists the cases assigned to the account, and no other."""
        name = await sign_in(client, conn, "investigator")
        other = await file_test_tip(conn, "ussd:ATUid_console_case_2", kecamatan_code=PONTANG)
        await act(client, receipt, "assign", {"to": f"account:{name}"})
        page = await (await client.get("/console/tips?mine=1")).text()
        assert (f'data-receipt="{receipt}"' in page, f'data-receipt="{other}"' in page) == (
            True,
            False,
        )

    async def test_overdue_lists_open_cases_past_their_due_date(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """'Overdue' lists an open case whose due date has passed, not one due later."""
        name = await sign_in(client, conn, "investigator")
        later = await file_test_tip(conn, "ussd:ATUid_console_case_3", kecamatan_code=PONTANG)
        await act(client, receipt, "assign", {"to": f"account:{name}", "due": "2020-01-01"})
        await act(client, later, "assign", {"to": f"account:{name}", "due": "2099-01-01"})
        page = await (await client.get("/console/tips?overdue=1")).text()
        assert (f'data-receipt="{receipt}"' in page, f'data-receipt="{later}"' in page) == (
            True,
            False,
        )

    async def test_assign_outside_the_area_is_404(
        self, client: TestClient, conn: asyncpg.Connection, receipt: str
    ) -> None:
        """An investigator of another kecamatan cannot assign the case."""
        await sign_in_area(client, conn, "investigator", TIRTAYASA)
        data = {"to": "account:investigator-area", "csrf": await csrf_token(client)}
        response = await client.post(f"/console/tips/{receipt}/case/assign", data=data)
        assert 404 == response.status
        assert None is await conn.fetchval("SELECT assigned_account FROM tips")
