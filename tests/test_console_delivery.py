"""The console's SMS delivery log over real HTTP: filters, timeline, retry, CSV export, privacy."""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import dataclass

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway.console.delivery import csv_cell
from storage.outbox import (
    claim_due,
    mark_accepted,
    mark_failed,
    mark_retry,
    record_delivery_report,
)
from tests.console_helpers import csrf_token, file_test_tip, load_sample_officials, sign_in

STORY = "Calo minta uang 10 juta untuk ke Taiwan"


@dataclass(frozen=True)
class Messages:
    """One outbound SMS in each state the log must show."""

    delivered: int  # the receipt SMS to the reporter
    dead: int  # the alert to Siti Sampel (Waringinkurung)
    stuck: int  # to Budi Contoh (Kramatwatu), 'sent' for two hours
    failed: int  # to Rudi Sampel (Ciruas)
    queued: int  # to Nur Fiktif (Kragilan)

    def all(self) -> list[int]:
        """Every id, newest first (as the log lists them)."""
        return sorted((self.delivered, self.dead, self.stuck, self.failed, self.queued))[::-1]


async def _claimed(conn: asyncpg.Connection) -> list[int]:
    """The ids claim_due took, in the order they were queued (UPDATE ... RETURNING has none)."""
    return sorted(row.id for row in await claim_due(conn, 10, 60))


@pytest.fixture
async def messages(client: TestClient, conn: asyncpg.Connection) -> Messages:
    """Tips filed in four kecamatan, their SMS driven to different ends by the outbox's own
    functions."""
    await load_sample_officials(conn)
    await file_test_tip(
        conn, "ussd:ATUid_console_waringinkurung", description=STORY, kecamatan_code="36.04.06"
    )
    delivered, dead = await _claimed(conn)
    await mark_accepted(conn, delivered, "ATXid_receipt", "101 Success")
    await record_delivery_report(conn, "ATXid_receipt", "delivered", "Success", "")
    await mark_retry(conn, dead, "gateway error: 501 GatewayError", 0, 1)
    await file_test_tip(conn, "ussd:kramatwatu", kecamatan_code="36.04.05", resident_sms=False)
    (stuck,) = await _claimed(conn)
    await mark_accepted(conn, stuck, "ATXid_stuck", "101 Success")
    await conn.execute(
        "UPDATE outbox SET updated_at = now() - interval '2 hours' WHERE id = $1", stuck
    )
    await file_test_tip(conn, "ussd:ciruas", kecamatan_code="36.04.09", resident_sms=False)
    (failed,) = await _claimed(conn)
    await mark_failed(conn, failed, "invalid number: +6281199000005 rejected")
    await file_test_tip(conn, "ussd:kragilan", kecamatan_code="36.04.11", resident_sms=False)
    queued = await conn.fetchval("SELECT max(id) FROM outbox")
    return Messages(delivered, dead, stuck, failed, queued)


async def page(client: TestClient, path: str) -> str:
    """A console page's HTML, checking it opened."""
    response = await client.get(path)
    assert 200 == response.status, path
    return await response.text()


async def listed(client: TestClient, query: str = "") -> list[int]:
    """The message ids the delivery log lists, in order."""
    text = await page(client, "/console/delivery" + query)
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)">', text)]


async def row_of(client: TestClient, outbox_id: int) -> list[str]:
    """The log's table row for one message: the text of each cell."""
    text = await page(client, "/console/delivery")
    match = re.search(rf'<tr data-id="{outbox_id}">(.*?)</tr>', text, re.S)
    assert match is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells]


async def timeline(client: TestClient, outbox_id: int) -> list[tuple[str, str]]:
    """A message's timeline as (event, detail) pairs."""
    text = await page(client, f"/console/delivery/{outbox_id}")
    body = text.split('<table id="timeline">', 1)[1]
    cell = r"<td[^>]*>([^<]*)</td>"
    rows = re.findall(rf"<tr><td[^>]*>[^<]*</td>{cell}{cell}</tr>", body)
    return [(html.unescape(kind), html.unescape(detail)) for kind, detail in rows]


async def status_of(conn: asyncpg.Connection, outbox_id: int) -> str:
    """A message's stored status."""
    status: str = await conn.fetchval("SELECT status FROM outbox WHERE id = $1", outbox_id)
    return status


class TestDeliveryLog:
    async def test_lists_every_outbound_sms(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """Without filters every outbound SMS is listed, newest first."""
        await sign_in(client, conn, "operator")
        assert messages.all() == await listed(client)

    async def test_resident_is_only_warga(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """A message to a resident names the recipient only as 'warga'."""
        await sign_in(client, conn, "operator")
        assert "warga" == (await row_of(client, messages.delivered))[2]

    async def test_resident_text_and_session_are_not_shown(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """Neither a resident's SMS text nor the USSD session behind it appears in the log."""
        await sign_in(client, conn, "operator")
        text = await page(client, "/console/delivery")
        assert (False, False) == ("Laporan diterima" in text, "ATUid_console" in text)

    async def test_official_is_named(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """A message to an official names the official and their office."""
        await sign_in(client, conn, "operator")
        office = await conn.fetchval("SELECT office FROM officials WHERE name = 'Siti Sampel'")
        assert f"Siti Sampel, {office}" == (await row_of(client, messages.dead))[2]

    async def test_row_shows_attempts_and_last_error(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """A row shows the cause in words, the attempts made and why it failed, with the
        provider's code."""
        await sign_in(client, conn, "operator")
        row = await row_of(client, messages.dead)
        assert (["Peringatan laporan baru", "1"], True) == (
            row[3:5],
            row[5].startswith("Gangguan penyedia SMS 501 GatewayError"),
        )

    async def test_status_filter(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """?status= lists only messages in that status."""
        await sign_in(client, conn, "operator")
        assert [messages.failed] == await listed(client, "?status=failed")

    async def test_official_filter(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """?official= lists only that official's messages."""
        await sign_in(client, conn, "operator")
        official = await conn.fetchval("SELECT id FROM officials WHERE name = 'Budi Contoh'")
        assert [messages.stuck] == await listed(client, f"?official={official}")

    async def test_date_range_filter(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """?from=&to= lists only messages created on those days (Serang time)."""
        await conn.execute(
            "UPDATE outbox SET created_at = '2026-01-15 23:30+07' WHERE id = $1", messages.queued
        )
        await sign_in(client, conn, "operator")
        assert [messages.queued] == await listed(client, "?from=2026-01-15&to=2026-01-15")

    async def test_stuck_filter(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """?stuck=1 lists messages left in 'sent' for over an hour."""
        await sign_in(client, conn, "operator")
        assert [messages.stuck] == await listed(client, "?stuck=1")

    async def test_recently_sent_is_not_stuck(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """A message sent minutes ago is not listed as stuck."""
        await conn.execute("UPDATE outbox SET updated_at = now() WHERE id = $1", messages.stuck)
        await sign_in(client, conn, "operator")
        assert [] == await listed(client, "?stuck=1")

    async def test_dead_letter_filter(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """?dead=1 lists the dead letters."""
        await sign_in(client, conn, "operator")
        assert [messages.dead] == await listed(client, "?dead=1")

    async def test_numbers_in_errors_are_masked(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """A phone number inside a provider's error is shown masked."""
        await sign_in(client, conn, "operator")
        reason = (await row_of(client, messages.failed))[5]
        assert ("invalid number: ***05 rejected" in reason, "6281199000005" in reason) == (
            True,
            False,
        )

    async def test_investigator_may_read_the_log(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """Investigators see the delivery log too."""
        await sign_in(client, conn, "investigator")
        assert messages.all() == await listed(client)


class TestMessagePage:
    async def test_timeline_of_a_delivered_message(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """The timeline runs from queued through accepted to the delivery report."""
        await sign_in(client, conn, "operator")
        assert [
            ("Masuk antrean", ""),
            ("Diterima penyedia SMS", "101 Success"),
            ("Laporan pengiriman operator", "Sampai di HP (Success)"),
        ] == await timeline(client, messages.delivered)

    async def test_unknown_status_in_timeline(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """A report in a status nobody mapped shows as 'unknown' with the provider's words."""
        await record_delivery_report(conn, "ATXid_stuck", "unknown", "MYSTERY/NEW_STATUS", "")
        await sign_in(client, conn, "operator")
        assert ("Laporan pengiriman operator", "Status tidak dikenal (MYSTERY/NEW_STATUS)") == (
            await timeline(client, messages.stuck)
        )[-1]

    async def test_timeline_of_a_dead_letter(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """A dead letter's timeline ends with the reason it died."""
        await sign_in(client, conn, "operator")
        assert ("Surat mati: percobaan habis", "gateway error: 501 GatewayError") == (
            await timeline(client, messages.dead)
        )[-1]

    async def test_failure_report_reason_is_shown(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """A failed delivery report shows our status, the provider's words and its reason."""
        await record_delivery_report(conn, "ATXid_stuck", "rejected", "Rejected", "DeliveryFailure")
        await sign_in(client, conn, "operator")
        assert ("Laporan pengiriman operator", "Ditolak (Rejected) DeliveryFailure") == (
            await timeline(client, messages.stuck)
        )[-1]

    async def test_english_timeline(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """With the session in English the timeline speaks English."""
        await sign_in(client, conn, "operator")
        token = await csrf_token(client)
        await client.post("/console/lang", data={"csrf": token, "lang": "en"})
        assert ("Queued", "") == (await timeline(client, messages.delivered))[0]

    async def test_resident_text_is_not_shown(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """A resident's SMS text (it holds the receipt) is not on its page, even for an admin."""
        await sign_in(client, conn, "admin")
        text = await page(client, f"/console/delivery/{messages.delivered}")
        assert "Laporan diterima" not in text

    async def test_alert_text_is_hidden_from_operators(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """An alert quotes the tip, so an operator does not see its text."""
        await sign_in(client, conn, "operator")
        text = await page(client, f"/console/delivery/{messages.dead}")
        assert "Calo minta" not in text

    async def test_operator_view_writes_no_audit_row(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """An operator opening an alert's page reads no tip content, so nothing is audited."""
        await sign_in(client, conn, "operator")
        await page(client, f"/console/delivery/{messages.dead}")
        assert 0 == await conn.fetchval("SELECT count(*) FROM tip_reads")

    async def test_alert_text_is_shown_to_investigators(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """An investigator sees the alert's text."""
        await sign_in(client, conn, "investigator")
        text = await page(client, f"/console/delivery/{messages.dead}")
        assert "Calo minta" in text

    async def test_investigator_view_of_alert_text_is_audited(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """Seeing an alert's text is written to the tip's audit log under the reader's name."""
        name = await sign_in(client, conn, "investigator")
        await page(client, f"/console/delivery/{messages.dead}")
        rows = await conn.fetch("SELECT reader, purpose FROM tip_reads")
        assert [(name, "console: alert SMS")] == [tuple(r) for r in rows]

    async def test_dead_letter_has_a_retry_button(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """An operator gets a 'Kirim ulang' button on a dead letter."""
        await sign_in(client, conn, "operator")
        text = await page(client, f"/console/delivery/{messages.dead}")
        assert f'action="/console/delivery/{messages.dead}/retry"' in text

    async def test_delivered_message_has_no_retry_button(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """A delivered message cannot be sent again."""
        await sign_in(client, conn, "operator")
        text = await page(client, f"/console/delivery/{messages.delivered}")
        assert "/retry" not in text

    async def test_investigator_has_no_retry_button(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """Investigators do not resend messages."""
        await sign_in(client, conn, "investigator")
        text = await page(client, f"/console/delivery/{messages.dead}")
        assert "/retry" not in text

    async def test_unknown_message_is_404(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """A message id that does not exist is a 404 page."""
        await sign_in(client, conn, "operator")
        response = await client.get("/console/delivery/999999")
        assert 404 == response.status


class TestRetry:
    async def retry(self, client: TestClient, outbox_id: int) -> int:
        """Press the retry button; the response status (redirects not followed)."""
        token = await csrf_token(client)
        response = await client.post(
            f"/console/delivery/{outbox_id}/retry", data={"csrf": token}, allow_redirects=False
        )
        return response.status

    async def test_operator_requeues_a_dead_letter(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """After 'Kirim ulang' the dead letter is queued again."""
        await sign_in(client, conn, "operator")
        await self.retry(client, messages.dead)
        assert "queued" == await status_of(conn, messages.dead)

    async def test_requeue_is_on_the_timeline(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """The requeue appears as the timeline's last step."""
        await sign_in(client, conn, "operator")
        await self.retry(client, messages.dead)
        assert "Diantrekan ulang" == (await timeline(client, messages.dead))[-1][0]

    async def test_admin_requeues_a_dead_letter(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """Admins may send a dead letter again."""
        await sign_in(client, conn, "admin")
        await self.retry(client, messages.dead)
        assert "queued" == await status_of(conn, messages.dead)

    async def test_wrong_number_is_not_requeued(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """A permanent failure (an invalid number) is not sent again, even by a posted form."""
        await sign_in(client, conn, "admin")
        await self.retry(client, messages.failed)
        assert "failed" == await status_of(conn, messages.failed)

    async def test_investigator_may_not_retry(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """An investigator's retry is refused with 403 and the message stays dead."""
        await sign_in(client, conn, "investigator")
        token = await csrf_token(client)
        response = await client.post(
            f"/console/delivery/{messages.dead}/retry", data={"csrf": token}
        )
        assert (403, "dead") == (response.status, await status_of(conn, messages.dead))

    async def test_retry_without_csrf_is_refused(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """A retry without the CSRF token is refused and changes nothing."""
        await sign_in(client, conn, "operator")
        response = await client.post(f"/console/delivery/{messages.dead}/retry", data={})
        assert (403, "dead") == (response.status, await status_of(conn, messages.dead))

    async def test_delivered_message_is_not_requeued(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """A retry of a delivered message changes nothing and says so."""
        await sign_in(client, conn, "operator")
        token = await csrf_token(client)
        response = await client.post(
            f"/console/delivery/{messages.delivered}/retry", data={"csrf": token}
        )
        assert ("delivered", True) == (
            await status_of(conn, messages.delivered),
            "tidak dikirim ulang" in await response.text(),
        )


class TestCsvExport:
    async def export(self, client: TestClient, query: str = "") -> list[dict[str, str]]:
        """The exported rows."""
        response = await client.get("/console/delivery.csv" + query)
        assert 200 == response.status
        return list(csv.DictReader(io.StringIO(await response.text())))

    async def test_is_csv(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """The export is served as text/csv."""
        await sign_in(client, conn, "operator")
        response = await client.get("/console/delivery.csv")
        assert "text/csv" == response.content_type

    async def test_follows_the_filters(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """The export holds the rows the same filters list."""
        await sign_in(client, conn, "operator")
        rows = await self.export(client, "?status=dead")
        assert [str(messages.dead)] == [r["id"] for r in rows]

    async def test_exports_every_row_unfiltered(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """Without filters every message is exported."""
        await sign_in(client, conn, "operator")
        assert [str(i) for i in messages.all()] == [r["id"] for r in await self.export(client)]

    async def test_resident_is_warga(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """A resident's row names the recipient only as 'warga'."""
        await sign_in(client, conn, "operator")
        rows = {r["id"]: r for r in await self.export(client)}
        assert "warga" == rows[str(messages.delivered)]["recipient"]

    async def test_export_holds_no_text(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """No SMS text and no USSD session id is exported."""
        await sign_in(client, conn, "admin")
        response = await client.get("/console/delivery.csv")
        text = await response.text()
        assert (False, False, False) == (
            "Laporan diterima" in text,
            "Calo minta" in text,
            "ATUid" in text,
        )

    async def test_formula_in_a_name_is_defused(
        self, client: TestClient, conn: asyncpg.Connection, messages: Messages
    ) -> None:
        """An official's name that a spreadsheet would run as a formula is exported as text."""
        await conn.execute(
            "UPDATE officials SET name = '=HYPERLINK(\"http://evil\")' WHERE name = 'Siti Sampel'"
        )
        await sign_in(client, conn, "operator")
        rows = {r["id"]: r for r in await self.export(client)}
        assert '\'=HYPERLINK("http://evil")' == rows[str(messages.dead)]["recipient"]

    @pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)"])
    def test_formula_starts_get_a_quote(self, value: str) -> None:
        """A cell starting with = + - or @ is prefixed with a quote."""
        assert "'" + value == csv_cell(value)

    def test_plain_cell_is_unchanged(self) -> None:
        """Other cells are exported as they are."""
        assert "Siti Sampel" == csv_cell("Siti Sampel")

    async def test_operator_must_be_signed_in(self, client: TestClient) -> None:
        """Without a session the export redirects to the login page."""
        response = await client.get("/console/delivery.csv", allow_redirects=False)
        assert 303 == response.status
