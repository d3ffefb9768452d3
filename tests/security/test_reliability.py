"""
Reliability under hostile or unlucky input, and what stays at rest: control characters in
callbacks, messages PostgreSQL refuses, sealed recipients after delivery, phone numbers in gateway
errors and in tip text. (The frozen-database test lives in tests/test_faults.py, next to its
stoppable PostgreSQL.)
"""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway.config import Config
from gateway.identity import local_secret
from gateway.providers.africastalking.fake import CODES
from storage.outbox import forget_recipients, retry_dead
from storage.phone_text import HIDDEN, hide_phone_numbers
from tests.conftest import Gateway
from tests.sms_client import sms_form
from tests.ussd_client import walk
from ussd_menus import sms
from ussd_menus.model import Lang
from ussd_menus.tree import is_gsm_safe

STORY = "Calo datang ke rumah, minta uang 5 juta, katanya visa ziarah"
TO_CONFIRM = ["2", "2", "pontang", "1", "1", "1"]
SMS_LIMIT = 160  # one GSM-7 segment
INVALID = next(n for n, (code, _) in CODES.items() if code == 403)  # the fake refuses it for good


def events(log_output: io.StringIO) -> list[dict[str, object]]:
    """Every log line written so far, parsed."""
    return [json.loads(line) for line in log_output.getvalue().splitlines() if line]


class TestControlCharacters:
    async def test_nul_in_an_sms_story_still_files_the_tip(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """An SMS story with NUL bytes (GSM-7 '@' passed through raw) is answered 200 and filed."""
        response = await client.post(
            "/at/sms/inbound", data=sms_form("LAPOR calo minta\x00 uang\x00 10 juta")
        )
        assert 200 == response.status
        descriptions = [r["description"] for r in await conn.fetch("SELECT description FROM tips")]
        assert ["calo minta uang 10 juta"] == descriptions

    async def test_nul_in_a_ussd_story_still_files_the_tip(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A USSD story with a NUL byte reaches its receipt, and the tip is stored."""
        final = await walk(client, [*TO_CONFIRM, "Calo\x00 minta uang 5 juta", "1"])
        assert "Nomor laporan" in final
        descriptions = [r["description"] for r in await conn.fetch("SELECT description FROM tips")]
        assert ["Calo minta uang 5 juta"] == descriptions

    async def test_other_controls_are_dropped_and_newlines_kept(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """C0 controls vanish, CRLF becomes a newline and a tab a space."""
        text = "LAPOR calo\x1b[2J minta\r\nuang\tbanyak\x07"
        assert 200 == (await client.post("/at/sms/inbound", data=sms_form(text))).status
        description = await conn.fetchval("SELECT description FROM tips")
        assert "calo[2J minta\nuang banyak" == description

    async def test_a_message_postgres_refuses_is_answered_200_and_logged(
        self, client: TestClient, conn: asyncpg.Connection, log_output: io.StringIO
    ) -> None:
        """A message the database refuses is answered 200 (no retry loop), logged, half of it
        stored nowhere."""
        await conn.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            " RAISE EXCEPTION 'refused' USING ERRCODE = 'character_not_in_repertoire';"
            " END $$;"
            " CREATE TRIGGER refuse BEFORE INSERT ON tips FOR EACH ROW"
            " WHEN (NEW.description LIKE '%unstorable%') EXECUTE FUNCTION refuse()"
        )
        response = await client.post("/at/sms/inbound", data=sms_form("LAPOR unstorable story"))
        assert 200 == response.status
        logged = [e for e in events(log_output) if e["event"] == "sms.inbound_unstorable"]
        assert ["CharacterNotInRepertoireError"] == [e["error"] for e in logged]
        stored = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM sms_inbound) AS inbound,"
            " (SELECT count(*) FROM outbox) AS outbox, (SELECT count(*) FROM tips) AS tips"
        )
        assert (0, 0, 0) == tuple(stored)


async def resident_row(conn: asyncpg.Connection) -> asyncpg.Record:
    """The one message to a resident: its status and sealed recipient."""
    rows = await conn.fetch(
        "SELECT id, status, recipient_sealed, tip_id FROM outbox WHERE recipient_kind = 'resident'"
    )
    assert 1 == len(rows)
    return rows[0]


async def settled(conn: asyncpg.Connection, status: str) -> asyncpg.Record:
    """The resident's message once it reaches this status (delivery reports come back async)."""
    for _ in range(200):
        row = await resident_row(conn)
        if row["status"] == status:
            return row
        await asyncio.sleep(0.02)
    raise AssertionError(f"message still {row['status']}, expected {status}")


class TestSealedRecipientsForgotten:
    async def test_a_delivered_message_forgets_its_recipient(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """Once AT reports a resident's SMS delivered, its sealed number is gone."""
        await gateway.client.post("/at/sms/inbound", data=sms_form("INFO"))
        assert 1 == await gateway.worker.drain_once()
        assert b"" == (await settled(conn, "delivered"))["recipient_sealed"]

    async def test_a_permanently_failed_message_forgets_its_recipient(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A resident's SMS that can never be sent keeps no sealed number."""
        await gateway.client.post("/at/sms/inbound", data=sms_form("INFO", sender=INVALID))
        assert 1 == await gateway.worker.drain_once()
        assert b"" == (await settled(conn, "failed"))["recipient_sealed"]

    async def test_a_queued_message_keeps_its_recipient(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A message not yet sent still holds the sealed number it needs."""
        await client.post("/at/sms/inbound", data=sms_form("INFO"))
        assert b"" != (await resident_row(conn))["recipient_sealed"]

    async def test_a_dead_letter_keeps_it_for_its_retry_window_only(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Housekeeping blanks a dead letter's number after the window, not before."""
        await client.post("/at/sms/inbound", data=sms_form("INFO"))
        await client.post("/at/sms/inbound", data=sms_form("BANTUAN"))
        await conn.execute("UPDATE outbox SET status = 'dead', updated_at = now() - interval '1h'")
        await conn.execute(
            "UPDATE outbox SET updated_at = now() - interval '73h'"
            " WHERE id = (SELECT min(id) FROM outbox)"
        )
        assert 1 == await forget_recipients(conn, keep_hours=72)
        held = await conn.fetch("SELECT recipient_sealed <> '' AS held FROM outbox ORDER BY id")
        assert [False, True] == [r["held"] for r in held]

    async def test_a_forgotten_message_cannot_be_retried(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """An operator's retry of a message whose number is gone is refused, not sent nowhere."""
        await client.post("/at/sms/inbound", data=sms_form("INFO"))
        await conn.execute("UPDATE outbox SET status = 'dead', recipient_sealed = ''")
        assert await retry_dead(conn, (await resident_row(conn))["id"]) is False

    async def test_a_receipt_sms_is_not_linked_to_its_tip(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The receipt SMS row (sealed number, body naming the receipt) has no tip id."""
        final = await walk(client, [*TO_CONFIRM, STORY, "1", "2"])
        assert "Nomor laporan" in final
        assert (await resident_row(conn))["tip_id"] is None

    async def test_the_schema_refuses_a_linked_resident_message(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Even a direct write cannot link a resident's message to a tip."""
        await walk(client, [*TO_CONFIRM, STORY, "1"])
        tip_id = await conn.fetchval("SELECT id FROM tips")
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(
                "INSERT INTO outbox (recipient_sealed, recipient_kind, body, cause, tip_id)"
                " VALUES ('x', 'resident', 'b', 'c', $1)",
                tip_id,
            )


class TestSecretLocation:
    def test_the_default_secret_file_is_outside_the_data_directory(self) -> None:
        """By default the generated secret lives in the user's config, not beside pgdata."""
        config = Config.from_env({})
        secret = config.secret_file.expanduser().resolve()
        assert not secret.is_relative_to(config.data_dir.resolve())

    def test_a_generated_secret_is_written_to_the_secret_file_only(self, tmp_path: Path) -> None:
        """The embedded setup writes its secret to the secret file, nothing into the data dir."""
        data_dir, secret_file = tmp_path / "var", tmp_path / "config" / "secret"
        data_dir.mkdir()
        secret = local_secret(secret_file, data_dir)
        assert (secret, [], 0o600) == (
            secret_file.read_text(),
            list(data_dir.iterdir()),
            secret_file.stat().st_mode & 0o777,
        )

    def test_a_secret_left_in_the_data_directory_is_moved_out(self, tmp_path: Path) -> None:
        """An earlier version's var/hotline-secret is moved to the secret file and kept."""
        data_dir, secret_file = tmp_path / "var", tmp_path / "config" / "secret"
        data_dir.mkdir()
        (data_dir / "hotline-secret").write_text("old-secret-0123456789\n")
        assert "old-secret-0123456789" == local_secret(secret_file, data_dir)
        assert ([], "old-secret-0123456789") == (
            list(data_dir.iterdir()),
            secret_file.read_text().strip(),
        )


NUMBERS_WRITTEN = [
    "0812 3456 7890",
    "0812-3456-7890",
    "0812.3456.7890",
    "081234567890",
    "+62 812 3456 7890",
    "+6281234567890",
    "62812 3456 7890",
    "6281234567890",
    "(0254) 123456",
    "021 5551234",
]
NOT_PHONE_NUMBERS = [
    "STATUS 123456789",  # a receipt
    "nomor 4821-0937-5",  # a receipt as shown
    "izin 99116000345227871",  # a licence number (NIB)
    "izin 9911-6000-3452-27871",
    "izin 99 116-000.345",
    "minta Rp 10.000.000",
    "tanggal 12-03-2026",
    "bayar 5000000 rupiah",
]


class TestPhoneNumbersInTipText:
    @pytest.mark.parametrize("number", NUMBERS_WRITTEN)
    def test_a_phone_number_is_hidden(self, number: str) -> None:
        """A phone number, however it is written, is replaced in the story."""
        assert f"calo minta uang, hubungi {HIDDEN} ya" == hide_phone_numbers(
            f"calo minta uang, hubungi {number} ya"
        )

    @pytest.mark.parametrize("text", NOT_PHONE_NUMBERS)
    def test_other_numbers_survive(self, text: str) -> None:
        """Receipts, licence numbers, amounts and dates are not mistaken for phone numbers."""
        assert text == hide_phone_numbers(text)

    async def test_an_sms_story_is_stored_and_forwarded_without_the_number(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """LAPOR with a number typed in stores the story and alerts officials without it."""
        story = "calo di desa Kubang Puji minta 10 juta, hubungi saya 0812 3456 7890"
        response = await gateway.client.post("/at/sms/inbound", data=sms_form(f"LAPOR {story}"))
        assert 200 == response.status
        assert story.replace("0812 3456 7890", HIDDEN) == await conn.fetchval(
            "SELECT description FROM tips"
        )
        bodies = [r["body"] for r in await conn.fetch("SELECT body FROM outbox")]
        assert [] == [b for b in bodies if "3456" in b or "7890" in b]

    async def test_a_ussd_story_is_stored_without_the_number(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The USSD story goes through the same door: the number typed is hidden."""
        final = await walk(client, [*TO_CONFIRM, "Calo minta uang, telp 081234567890", "1"])
        assert "Nomor laporan" in final
        assert f"Calo minta uang, telp {HIDDEN}" == await conn.fetchval(
            "SELECT description FROM tips"
        )

    @pytest.mark.parametrize("lang", ["id", "en"])
    def test_the_sms_report_reply_warns_in_one_segment(self, lang: Lang) -> None:
        """The reply to an SMS report says not to write phone numbers, in one GSM-7 SMS."""
        reply = sms.report_filed("123456789", lang)
        assert ("nomor HP" if lang == "id" else "phone numbers") in reply
        assert (True, True) == (len(reply) <= SMS_LIMIT, is_gsm_safe(reply))
