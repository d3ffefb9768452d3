"""Officials answering alerts by SMS (OK, TANYA, SELESAI, INFO), and anyone's STOP."""

from __future__ import annotations

import itertools
import re
from collections import Counter

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway.identity import Identity
from tests.conftest import Gateway
from tests.sms_client import send_sms
from tests.ussd_client import walk
from ussd_menus.receipts import check_digit, show_receipt

STRANGER = "+6285711112222"
STORY = "Calo minta uang 10 juta untuk ke Taiwan"
SECRET = "test-secret-0123456789"  # the config fixture's HOTLINE_SECRET
# Sample officials (storage/sample/officials.csv) alerted for a calo tip in Pontang.
CAMAT_PONTANG = "+6281199000007"
KADES_PONTANG = "+6281199000030"
KAPOLSEK_PONTANG = "+6281199000031"
CAMAT_KRAMATWATU = "+6281199000001"  # an official, but not alerted for Pontang
STOPPED = "Anda tidak akan menerima SMS dari layanan ini lagi."
_ids = itertools.count()


async def file_calo_tip(client: TestClient) -> str:
    """File a calo tip in Pontang over USSD; its receipt (9 digits)."""
    screen = await walk(client, ["2", "2", "pontang", "1", "1", "1", STORY, "1"])
    match = re.search(r"(\d{4})-(\d{4})-(\d)\b", screen)
    assert match is not None, screen
    return "".join(match.groups())


async def reply_to(conn: asyncpg.Connection, message_id: str) -> list[str]:
    """The replies queued for one inbound SMS."""
    rows = await conn.fetch(
        "SELECT body FROM outbox WHERE cause = $1 ORDER BY id", f"reply:{message_id}"
    )
    return [r["body"] for r in rows]


async def command(gateway: Gateway, conn: asyncpg.Connection, sender: str, text: str) -> str:
    """Send an SMS and return the one reply it queued."""
    replies = await reply_to(conn, await send_sms(gateway.client, text, sender))
    assert 1 == len(replies), replies
    return replies[0]


async def tip_status(conn: asyncpg.Connection, receipt: str) -> str:
    """A tip's status."""
    status: str = await conn.fetchval("SELECT status FROM tips WHERE receipt = $1", receipt)
    return status


async def acknowledged(conn: asyncpg.Connection) -> list[str]:
    """The numbers of officials whose alerts are acknowledged, sorted."""
    rows = await conn.fetch(
        "SELECT f.phone FROM alerts a JOIN officials f ON f.id = a.official_id"
        " WHERE a.acknowledged_at IS NOT NULL ORDER BY f.phone"
    )
    return [r["phone"] for r in rows]


async def official_messages(conn: asyncpg.Connection) -> list[tuple[str, str]]:
    """The officials' messages in tips' threads: (kind, body)."""
    rows = await conn.fetch(
        "SELECT kind, body FROM tip_messages WHERE author = 'official' ORDER BY id"
    )
    return [(r["kind"], r["body"]) for r in rows]


def unknown_receipt() -> str:
    """A well-formed receipt that no tip has."""
    return "12345678" + check_digit("12345678")


class TestOk:
    async def test_acknowledges_the_officials_alert(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """OK <receipt> acknowledges that official's alert, and only theirs."""
        receipt = await file_calo_tip(gateway.client)
        await command(gateway, conn, CAMAT_PONTANG, f"OK {receipt}")
        assert [CAMAT_PONTANG] == await acknowledged(conn)

    async def test_moves_tip_in_progress(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """OK <receipt> moves the tip to 'diterima'."""
        receipt = await file_calo_tip(gateway.client)
        await command(gateway, conn, CAMAT_PONTANG, f"OK {receipt}")
        assert "diterima" == await tip_status(conn, receipt)

    async def test_replies(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """The official is thanked, with the receipt."""
        receipt = await file_calo_tip(gateway.client)
        reply = await command(gateway, conn, CAMAT_PONTANG, f"OK {receipt}")
        assert f"Terima kasih. Laporan {show_receipt(receipt)} dicatat sedang ditangani." == reply

    async def test_shown_receipt_works(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """The receipt may be typed as shown, with dashes."""
        receipt = await file_calo_tip(gateway.client)
        await command(gateway, conn, CAMAT_PONTANG, f"OK {show_receipt(receipt)}")
        assert [CAMAT_PONTANG] == await acknowledged(conn)

    async def test_reporter_sees_in_progress(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """After OK, the reporter's 'check my report' shows the tip in progress."""
        receipt = await file_calo_tip(gateway.client)
        await command(gateway, conn, CAMAT_PONTANG, f"OK {receipt}")
        screen = await walk(gateway.client, ["3", receipt])
        assert screen.startswith(f"CON Laporan {show_receipt(receipt)}: Diterima petugas")


class TestTanya:
    async def test_puts_question_in_thread(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """TANYA <receipt> <question> adds the question to the tip's thread."""
        receipt = await file_calo_tip(gateway.client)
        await command(gateway, conn, CAMAT_PONTANG, f"TANYA {receipt} Kapan berangkat?")
        assert [("question", "Kapan berangkat?")] == await official_messages(conn)

    async def test_replies_question_sent(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """The official is told the question was sent and the reporter stays anonymous."""
        receipt = await file_calo_tip(gateway.client)
        reply = await command(gateway, conn, CAMAT_PONTANG, f"TANYA {receipt} Kapan berangkat?")
        assert reply.startswith("Pertanyaan dikirim.")

    async def test_acknowledges(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """Asking a question counts as acknowledging the alert."""
        receipt = await file_calo_tip(gateway.client)
        await command(gateway, conn, CAMAT_PONTANG, f"TANYA {receipt} Kapan berangkat?")
        assert ([CAMAT_PONTANG], "menunggu_pelapor") == (
            await acknowledged(conn),
            await tip_status(conn, receipt),
        )

    async def test_reporter_sees_question(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """The reporter's 'check my report' shows the question with '1 Jawab pertanyaan'."""
        receipt = await file_calo_tip(gateway.client)
        await command(gateway, conn, CAMAT_PONTANG, f"TANYA {receipt} Kapan berangkat?")
        screen = await walk(gateway.client, ["3", receipt])
        assert (True, True) == (
            "Pertanyaan petugas: Kapan berangkat?" in screen,
            "1 Jawab pertanyaan" in screen.splitlines(),
        )

    async def test_reporter_answers_question(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """The reporter's answer is stored as the reply to the official's question."""
        receipt = await file_calo_tip(gateway.client)
        await command(gateway, conn, CAMAT_PONTANG, f"TANYA {receipt} Kapan berangkat?")
        screen = await walk(gateway.client, ["3", receipt, "1", "Bulan depan"])
        answers = await conn.fetch(
            "SELECT a.body, q.body AS question FROM tip_messages a"
            " JOIN tip_messages q ON q.id = a.reply_to WHERE a.author = 'reporter'"
        )
        assert (True, [("Bulan depan", "Kapan berangkat?")]) == (
            screen.startswith("END Jawaban terkirim"),
            [tuple(a) for a in answers],
        )

    async def test_without_question_asks_for_format(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """TANYA <receipt> with no question gets the format reply and adds nothing."""
        receipt = await file_calo_tip(gateway.client)
        reply = await command(gateway, conn, CAMAT_PONTANG, f"TANYA {receipt}")
        assert (True, []) == (
            reply.startswith("Format: OK/INFO/KONFLIK <nomor>"),
            await official_messages(conn),
        )


class TestSelesai:
    async def test_closes_tip(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """SELESAI <receipt> <note> closes the tip."""
        receipt = await file_calo_tip(gateway.client)
        await command(gateway, conn, CAMAT_PONTANG, f"SELESAI {receipt} Calo sudah ditangkap")
        assert "selesai_ditindak" == await tip_status(conn, receipt)

    async def test_keeps_note(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """The closing note is added to the tip's thread."""
        receipt = await file_calo_tip(gateway.client)
        await command(gateway, conn, CAMAT_PONTANG, f"SELESAI {receipt} Calo sudah ditangkap")
        assert [("note", "Calo sudah ditangkap")] == await official_messages(conn)

    async def test_replies_closed(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """The official is told the tip is closed."""
        receipt = await file_calo_tip(gateway.client)
        reply = await command(gateway, conn, CAMAT_PONTANG, f"SELESAI {receipt} Selesai")
        assert f"Laporan {show_receipt(receipt)} ditutup. Terima kasih." == reply

    async def test_reporter_sees_closed_with_note(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """The reporter's 'check my report' shows the tip closed and the official's note."""
        receipt = await file_calo_tip(gateway.client)
        await command(gateway, conn, CAMAT_PONTANG, f"SELESAI {receipt} Calo sudah ditangkap")
        screen = await walk(gateway.client, ["3", receipt])
        assert (True, True) == (
            screen.startswith(f"CON Laporan {show_receipt(receipt)}: Selesai"),
            "Petugas: Calo sudah ditangkap" in screen,
        )


class TestInfo:
    async def test_queues_the_case_once_more(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """INFO <receipt> queues the whole case, to that official only."""
        receipt = await file_calo_tip(gateway.client)
        await command(gateway, conn, KADES_PONTANG, f"INFO {receipt}")
        rows = await conn.fetch(
            "SELECT f.phone, left(o.body, 5) FROM outbox o JOIN officials f ON f.id = o.official_id"
            " WHERE o.cause NOT LIKE 'reply:%'"  # the command's reply is the official's too
        )
        expected = {
            (CAMAT_PONTANG, "LAPOR"): 1,
            (KADES_PONTANG, "LAPOR"): 1,
            (KADES_PONTANG, "KASUS"): 1,
            (KAPOLSEK_PONTANG, "LAPOR"): 1,
        }
        assert Counter(expected) == Counter(tuple(r) for r in rows)

    async def test_is_not_an_acknowledgement(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """INFO only asks for the text again: the tip stays 'diteruskan', no alert acknowledged."""
        receipt = await file_calo_tip(gateway.client)
        await command(gateway, conn, KADES_PONTANG, f"INFO {receipt}")
        open_alerts = await conn.fetchval(
            "SELECT count(*) FROM alerts WHERE reason = 'new' AND acknowledged_at IS NULL"
        )
        assert ("diteruskan", 3) == (await tip_status(conn, receipt), open_alerts)

    async def test_alert_reaches_official_again(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """After INFO, the official has received the alert, then the whole case."""
        gateway.fake.report_url = None  # what is sent matters here, not its delivery
        receipt = await file_calo_tip(gateway.client)
        await command(gateway, conn, KADES_PONTANG, f"INFO {receipt}")
        while await gateway.worker.drain_once():
            pass
        shown = show_receipt(receipt)
        sent = [m["message"] for m in gateway.fake.messages if m["to"] == KADES_PONTANG]
        assert (1, 1) == (
            sum(1 for m in sent if m.startswith(f"LAPORAN {shown}")),
            sum(1 for m in sent if m.startswith(f"KASUS {shown}")),
        )


TYPOS = [
    # (id, command word as typed, with a question/note?, a fragment of the reply)
    ("oke", "oke", False, "dicatat sedang ditangani"),
    ("ok-lower", "ok", False, "dicatat sedang ditangani"),
    ("okee", "OKEE", False, "dicatat sedang ditangani"),
    ("tanyaa", "TANYAA", True, "Pertanyaan dikirim."),
    ("tanya-lower", "tanya", True, "Pertanyaan dikirim."),
    ("tnaya", "TNAYA", True, "Pertanyaan dikirim."),
    ("selesia", "SELESIA", True, "ditutup. Terima kasih."),
    ("slesai", "slesai", True, "ditutup. Terima kasih."),
    ("infoo", "INFOO", False, "dikirim dalam SMS berikut"),
]


class TestTypos:
    @pytest.mark.parametrize(
        ("word", "with_text", "expected"), [t[1:] for t in TYPOS], ids=[t[0] for t in TYPOS]
    )
    async def test_command_understood(
        self,
        gateway: Gateway,
        conn: asyncpg.Connection,
        word: str,
        with_text: bool,
        expected: str,
    ) -> None:
        """A command word with a slip of the thumb or in lower case still works."""
        receipt = await file_calo_tip(gateway.client)
        text = f"{word} {receipt}" + (" Kapan berangkat?" if with_text else "")
        assert expected in await command(gateway, conn, CAMAT_PONTANG, text)

    async def test_typo_acknowledges(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """'oke <receipt>' acknowledges like OK."""
        receipt = await file_calo_tip(gateway.client)
        await command(gateway, conn, CAMAT_PONTANG, f"oke {receipt}")
        assert [CAMAT_PONTANG] == await acknowledged(conn)


class TestUnknownReceipt:
    @pytest.mark.parametrize("word", ["OK", "TANYA", "SELESAI", "INFO"])
    async def test_reply_says_unknown(
        self, gateway: Gateway, conn: asyncpg.Connection, word: str
    ) -> None:
        """A receipt no tip has gets a reply saying it is not known."""
        await file_calo_tip(gateway.client)
        code = unknown_receipt()
        reply = await command(gateway, conn, CAMAT_PONTANG, f"{word} {code} Kapan?")
        assert f"Nomor laporan {show_receipt(code)} tidak dikenal. Cek lagi nomornya." == reply

    async def test_mistyped_receipt_is_unknown(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A receipt with a wrong check digit is not known either, and nothing is acknowledged."""
        receipt = await file_calo_tip(gateway.client)
        typo = receipt[:8] + str((int(receipt[8]) + 1) % 10)
        reply = await command(gateway, conn, CAMAT_PONTANG, f"OK {typo}")
        assert ("tidak dikenal" in reply, []) == (True, await acknowledged(conn))

    async def test_missing_receipt_gets_format(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A bare 'OK' gets the format of the commands."""
        await file_calo_tip(gateway.client)
        reply = await command(gateway, conn, CAMAT_PONTANG, "OK")
        assert reply.startswith("Format: OK/INFO/KONFLIK <nomor> | TANYA <nomor> <isi>")


HELP = "Info Kerja Luar Negeri. Kirim CEK <nama PT>"
INFO = "Kerja luar negeri resmi: daftar di desa dan Disnaker"
RESIDENT_TEXTS = [
    # (id, text, the resident's reply it gets)
    ("ok", "OK {r}", HELP),
    ("tanya", "TANYA {r} Siapa kamu?", HELP),
    ("selesai", "SELESAI {r} tutup", HELP),
    ("info", "INFO {r}", INFO),
]


class TestNotAnOfficial:
    @pytest.mark.parametrize(
        "text", [t[1] for t in RESIDENT_TEXTS], ids=[t[0] for t in RESIDENT_TEXTS]
    )
    async def test_nothing_acknowledged(
        self, gateway: Gateway, conn: asyncpg.Connection, text: str
    ) -> None:
        """The officials' commands from a resident's number acknowledge and change nothing."""
        receipt = await file_calo_tip(gateway.client)
        await command(gateway, conn, STRANGER, text.format(r=receipt))
        assert ([], "diteruskan", []) == (
            await acknowledged(conn),
            await tip_status(conn, receipt),
            await official_messages(conn),
        )

    @pytest.mark.parametrize(
        ("text", "expected"), [t[1:] for t in RESIDENT_TEXTS], ids=[t[0] for t in RESIDENT_TEXTS]
    )
    async def test_answered_as_a_resident(
        self, gateway: Gateway, conn: asyncpg.Connection, text: str, expected: str
    ) -> None:
        """A resident sending an official's command gets a resident's reply, not an official's."""
        receipt = await file_calo_tip(gateway.client)
        reply = await command(gateway, conn, STRANGER, text.format(r=receipt))
        assert reply.startswith(expected), reply

    async def test_deactivated_official_is_a_resident(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """An official no longer active cannot acknowledge."""
        receipt = await file_calo_tip(gateway.client)
        await conn.execute("UPDATE officials SET active = false WHERE phone = $1", CAMAT_PONTANG)
        await command(gateway, conn, CAMAT_PONTANG, f"OK {receipt}")
        assert ([], "diteruskan") == (await acknowledged(conn), await tip_status(conn, receipt))


STOPS = [
    # (id, sender, text)
    ("stop-resident", STRANGER, "STOP"),
    ("berhenti-resident", STRANGER, "BERHENTI"),
    ("unreg-resident", STRANGER, "UNREG"),
    ("stop-lower-resident", STRANGER, "stop"),
    ("stop-official", CAMAT_PONTANG, "STOP"),
    ("berhenti-official", CAMAT_KRAMATWATU, "Berhenti."),
]


class TestStop:
    @pytest.mark.parametrize(("sender", "text"), [s[1:] for s in STOPS], ids=[s[0] for s in STOPS])
    async def test_stores_keyed_hash(
        self, gateway: Gateway, conn: asyncpg.Connection, sender: str, text: str
    ) -> None:
        """STOP stores the number's keyed hash in opt_outs, nothing else."""
        await send_sms(gateway.client, text, sender)
        rows = await conn.fetch("SELECT phone_key FROM opt_outs")
        assert [Identity(SECRET).reporter_key(sender)] == [r["phone_key"] for r in rows]

    @pytest.mark.parametrize(("sender", "text"), [s[1:] for s in STOPS], ids=[s[0] for s in STOPS])
    async def test_number_not_stored(
        self, gateway: Gateway, conn: asyncpg.Connection, sender: str, text: str
    ) -> None:
        """The opt-out row holds neither the number's digits nor its text."""
        await send_sms(gateway.client, text, sender)
        key = await conn.fetchval("SELECT phone_key FROM opt_outs")
        national = sender.removeprefix("+62").encode()
        assert (False, 32) == (national in key, len(key))

    @pytest.mark.parametrize(("sender", "text"), [s[1:] for s in STOPS], ids=[s[0] for s in STOPS])
    async def test_replies_once(
        self, gateway: Gateway, conn: asyncpg.Connection, sender: str, text: str
    ) -> None:
        """STOP is confirmed by exactly one reply."""
        message_id = await send_sms(gateway.client, text, sender)
        assert [STOPPED] == await reply_to(conn, message_id)

    async def test_second_stop_keeps_one_opt_out(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """STOP twice from one number keeps one opt-out."""
        await send_sms(gateway.client, "STOP", STRANGER)
        await send_sms(gateway.client, "UNREG", STRANGER)
        assert 1 == await conn.fetchval("SELECT count(*) FROM opt_outs")

    async def test_stop_with_more_text_is_not_stop(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """'STOP' inside a longer message does not opt out."""
        await send_sms(gateway.client, "stop calo di desa kami", STRANGER)
        assert 0 == await conn.fetchval("SELECT count(*) FROM opt_outs")


RETRIED = [
    # (id, text, query counting what the command created, expected count)
    ("ok", "OK {r}", "SELECT count(*) FROM alerts WHERE acknowledged_at IS NOT NULL", 1),
    ("tanya", "TANYA {r} Kapan?", "SELECT count(*) FROM tip_messages WHERE kind = 'question'", 1),
    ("selesai", "SELESAI {r} tutup", "SELECT count(*) FROM tip_messages WHERE kind = 'note'", 1),
    (
        "info",
        "INFO {r}",
        "SELECT count(*) FROM outbox WHERE recipient_kind = 'official'"
        " AND cause NOT LIKE 'reply:%'",
        4,
    ),
    ("stop", "STOP", "SELECT count(*) FROM opt_outs", 1),
]


class TestRetriedInbound:
    @pytest.mark.parametrize(
        ("text", "query", "expected"), [r[1:] for r in RETRIED], ids=[r[0] for r in RETRIED]
    )
    async def test_does_nothing_twice(
        self, gateway: Gateway, conn: asyncpg.Connection, text: str, query: str, expected: int
    ) -> None:
        """AT retrying an official's SMS (same id) changes nothing more."""
        receipt = await file_calo_tip(gateway.client)
        message_id = f"ATXid_retried_{next(_ids)}"
        for _ in range(2):
            await send_sms(gateway.client, text.format(r=receipt), CAMAT_PONTANG, message_id)
        assert expected == await conn.fetchval(query)

    @pytest.mark.parametrize("text", [r[1] for r in RETRIED], ids=[r[0] for r in RETRIED])
    async def test_replies_once(
        self, gateway: Gateway, conn: asyncpg.Connection, text: str
    ) -> None:
        """AT retrying an official's SMS queues one reply only."""
        receipt = await file_calo_tip(gateway.client)
        message_id = f"ATXid_retried_{next(_ids)}"
        for _ in range(2):
            await send_sms(gateway.client, text.format(r=receipt), CAMAT_PONTANG, message_id)
        assert 1 == len(await reply_to(conn, message_id))
