"""The SMS loop for an official who never logs in: the alert carries the whole story, INFO sends
the whole case, the reporter's answer reaches the official who asked, the others alerted for a
case are told who took, handed over or closed it, and BANTUAN lists the officials' commands."""

from __future__ import annotations

import itertools

import asyncpg

from tests.conftest import Gateway
from tests.console_helpers import file_test_tip
from tests.sms_client import RESIDENT_PHONE, send_sms
from tests.ussd_client import walk
from ussd_menus import sms
from ussd_menus.receipts import show_receipt
from ussd_menus.sms_catalogue import sms_length

# Sample officials (storage/sample/officials.csv) alerted for a calo tip in Pontang (tier 1).
CAMAT_PONTANG = "+6281199000007"  # Agus Contoh, Kecamatan Pontang
KADES_PONTANG = "+6281199000030"  # Tatang Contoh, Desa Sampel, Kec. Pontang
KAPOLSEK_PONTANG = "+6281199000031"  # Nining Sampel, Polsek Pontang
LONG_STORY = (
    "Pak RT bilang ada calo dari Kragilan namanya Ujang yang datang tiap Jumat malam ke rumah"
    " warga, minta uang 15 juta untuk berangkat ke Taiwan tanpa pelatihan, paspor ditahan di"
    " rumahnya dan kami disuruh tanda tangan kertas kosong. Sudah tiga anak muda kampung kami"
    " ikut dan satu belum ada kabar sejak bulan lalu. Akhir bulan mau ada rombongan lagi."
)
_sources = itertools.count()


async def new_case(conn: asyncpg.Connection, story: str = "Calo minta uang 10 juta") -> str:
    """A calo tip in Pontang, alerted to its tier-1 officials; its receipt."""
    return await file_test_tip(conn, f"ussd:ATUid_loop_{next(_sources)}", description=story)


async def say(gateway: Gateway, conn: asyncpg.Connection, phone: str, text: str) -> str:
    """An SMS from `phone` and the one reply it got."""
    message_id = await send_sms(gateway.client, text, phone)
    rows = await conn.fetch("SELECT body FROM outbox WHERE cause = $1", f"reply:{message_id}")
    assert 1 == len(rows), rows
    body: str = rows[0]["body"]
    return body


async def sent_to(conn: asyncpg.Connection, phone: str, cause: str) -> list[str]:
    """Bodies queued for an official with this cause (LIKE pattern), oldest first."""
    rows = await conn.fetch(
        "SELECT o.body FROM outbox o JOIN officials f ON f.id = o.official_id"
        " WHERE f.phone = $1 AND o.cause LIKE $2 ORDER BY o.id",
        phone,
        cause,
    )
    return [r["body"] for r in rows]


async def queued(conn: asyncpg.Connection, cause: str) -> list[str]:
    """Every body queued with this cause (LIKE pattern), to anyone."""
    rows = await conn.fetch("SELECT body FROM outbox WHERE cause LIKE $1 ORDER BY id", cause)
    return [r["body"] for r in rows]


class TestAlert:
    async def test_carries_the_whole_story(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A story longer than one SMS reaches the official whole, in one concatenated SMS."""
        await new_case(conn, LONG_STORY)
        alert = (await sent_to(conn, KADES_PONTANG, "alert:new"))[0]
        assert (True, True) == (LONG_STORY in alert, 160 < sms_length(alert, 3)[0] <= 459)

    def test_cut_only_beyond_three_segments(self) -> None:
        """A story longer than 3 segments is cut with '..' to exactly 3 x 153 septets."""
        text = sms.alert_text("123456789", "calo", "Pontang", "Sampel", "PT X", LONG_STORY * 3)
        assert (459, True) == (sms_length(text, 3)[0], ".. Balas: OK 123456789" in text)

    async def test_says_nothing_of_the_reporter(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A tip filed by SMS is alerted with its story and without the reporter's number."""
        await send_sms(gateway.client, f"LAPOR calo {LONG_STORY}")
        bodies = [
            r["body"]
            for r in await conn.fetch("SELECT body FROM outbox WHERE cause LIKE 'alert:%'")
        ]
        assert (True, False) == (
            bool(bodies) and all(LONG_STORY in b for b in bodies),
            any(RESIDENT_PHONE[3:] in b for b in bodies),
        )


class TestInfo:
    async def test_sends_questions_answers_and_history(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """INFO sends the whole case: the question, the reporter's answer and the history."""
        receipt = await new_case(conn)
        await say(gateway, conn, CAMAT_PONTANG, f"TANYA {receipt} Kapan berangkat?")
        await send_sms(gateway.client, f"JAWAB {receipt} Minggu depan")
        await say(gateway, conn, CAMAT_PONTANG, f"INFO {receipt}")
        case = (await sent_to(conn, CAMAT_PONTANG, "alert:resend"))[0]
        wanted = ("T: Kapan berangkat?", "J: Minggu depan", "menunggu_pelapor", "Calo minta uang")
        assert [True] * 4 == [w in case for w in wanted], case

    async def test_starts_with_status(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """The case's details open with its receipt, category and public status."""
        receipt = await new_case(conn)
        await say(gateway, conn, KADES_PONTANG, f"INFO {receipt}")
        case = (await sent_to(conn, KADES_PONTANG, "alert:resend"))[0]
        assert case.startswith(f"KASUS {show_receipt(receipt)} "), case

    async def test_once_an_hour(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """A second INFO within the hour sends nothing more and says when it was sent."""
        receipt = await new_case(conn)
        await say(gateway, conn, KADES_PONTANG, f"INFO {receipt}")
        reply = await say(gateway, conn, KADES_PONTANG, f"INFO {receipt}")
        sent = await sent_to(conn, KADES_PONTANG, "alert:resend")
        assert (1, True) == (len(sent), "kurang dari 1 jam" in reply)


class TestAnswerToAsker:
    async def test_asker_gets_the_answer(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """The reporter's JAWAB reaches the official who asked, by SMS."""
        receipt = await new_case(conn)
        await say(gateway, conn, CAMAT_PONTANG, f"TANYA {receipt} Kapan berangkat?")
        await send_sms(gateway.client, f"JAWAB {receipt} Minggu depan")
        expected = [f"Jawaban pelapor {show_receipt(receipt)}: Minggu depan"]
        assert expected == await sent_to(conn, CAMAT_PONTANG, "case:answer:%")

    async def test_answer_by_ussd_reaches_the_asker(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """An answer given in USSD menu 3 reaches the official who asked, by SMS."""
        receipt = await new_case(conn)
        await say(gateway, conn, CAMAT_PONTANG, f"TANYA {receipt} Kapan berangkat?")
        await walk(gateway.client, ["3", receipt, "1", "Bulan depan"])
        expected = [f"Jawaban pelapor {show_receipt(receipt)}: Bulan depan"]
        assert expected == await sent_to(conn, CAMAT_PONTANG, "case:answer:%")

    async def test_others_do_not(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """Only the official who asked gets the answer."""
        receipt = await new_case(conn)
        await say(gateway, conn, CAMAT_PONTANG, f"TANYA {receipt} Kapan berangkat?")
        await send_sms(gateway.client, f"JAWAB {receipt} Minggu depan")
        assert [] == await sent_to(conn, KADES_PONTANG, "case:answer:%")

    async def test_retried_answer_queues_once(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """The provider retrying the reporter's JAWAB queues the asker's SMS once."""
        receipt = await new_case(conn)
        await say(gateway, conn, CAMAT_PONTANG, f"TANYA {receipt} Kapan berangkat?")
        for _ in range(2):
            await send_sms(gateway.client, f"JAWAB {receipt} Minggu depan", message_id="ATXid_re")
        assert 1 == len(await sent_to(conn, CAMAT_PONTANG, "case:answer:%"))


class TestOthersTold:
    async def test_ok_names_who_took_it(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """After the village head's OK, the camat is told who took the case."""
        receipt = await new_case(conn)
        await say(gateway, conn, KADES_PONTANG, f"OK {receipt}")
        expected = [
            f"Laporan {show_receipt(receipt)} sudah ditangani oleh Tatang Contoh"
            " (Desa Sampel, Kec. Pontang)."
        ]
        assert expected == await sent_to(conn, CAMAT_PONTANG, "case:taken_by")

    async def test_ok_tells_every_other_one(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """Every other official alerted for the case is told, the one who took it is not."""
        receipt = await new_case(conn)
        await say(gateway, conn, KADES_PONTANG, f"OK {receipt}")
        told = [
            len(await sent_to(conn, p, "case:taken_by"))
            for p in (CAMAT_PONTANG, KAPOLSEK_PONTANG, KADES_PONTANG)
        ]
        assert [1, 1, 0] == told

    async def test_close_names_who_closed_it(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """After the camat's SELESAI, the village head is told who closed the case."""
        receipt = await new_case(conn)
        await say(gateway, conn, CAMAT_PONTANG, f"SELESAI {receipt} Calo sudah ditangkap")
        expected = [
            f"Laporan {show_receipt(receipt)} sudah ditutup oleh Agus Contoh (Kecamatan Pontang)."
        ]
        assert expected == await sent_to(conn, KADES_PONTANG, "case:closed_by")

    async def test_handover_names_who_handed_it(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """After the camat's TERUSKAN, the village head is told to whom and by whom."""
        receipt = await new_case(conn)
        await say(gateway, conn, CAMAT_PONTANG, f"TERUSKAN {receipt} POLRES")
        told = await sent_to(conn, KADES_PONTANG, "case:taken")
        assert (1, True) == (len(told), "ke POLRES oleh Agus Contoh (Kecamatan Pontang)" in told[0])

    async def test_nothing_of_the_reporter(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """What the others are told names the official, never the reporter's number."""
        await send_sms(gateway.client, f"LAPOR calo {LONG_STORY}")
        receipt = await conn.fetchval("SELECT receipt FROM tips")
        first = await conn.fetchval(
            "SELECT f.phone FROM alerts a JOIN officials f ON f.id = a.official_id ORDER BY a.id"
        )
        await say(gateway, conn, first, f"OK {receipt}")
        bodies = [
            r["body"] for r in await conn.fetch("SELECT body FROM outbox WHERE cause LIKE 'case:%'")
        ]
        assert not any(RESIDENT_PHONE[3:] in b for b in bodies)


class TestOkOnClosed:
    async def test_says_it_is_closed(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """An OK on a closed case is answered that the case is closed, and changes nothing."""
        receipt = await new_case(conn)
        await say(gateway, conn, CAMAT_PONTANG, f"SELESAI {receipt} Calo sudah ditangkap")
        reply = await say(gateway, conn, KADES_PONTANG, f"OK {receipt}")
        status = await conn.fetchval("SELECT status FROM tips WHERE receipt = $1", receipt)
        assert (True, "selesai_ditindak") == ("sudah ditutup" in reply, status)


HELP_LINE = "Perintah petugas: OK <no> | TANYA <no> <isi> | SELESAI <no> <catatan>"


class TestHelp:
    async def test_bantuan_lists_official_commands(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """BANTUAN from an official's number lists the officials' commands."""
        reply = await say(gateway, conn, KADES_PONTANG, "BANTUAN")
        assert (True, True) == (reply.startswith(HELP_LINE), "INFO <no>" in reply)

    async def test_help_lists_official_commands(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """HELP from an official's number is the same help line."""
        reply = await say(gateway, conn, KADES_PONTANG, "HELP")
        assert reply.startswith(HELP_LINE)

    async def test_resident_gets_resident_help(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """BANTUAN from a number not in the directory is a resident's help (no hint of commands)."""
        reply = await say(gateway, conn, RESIDENT_PHONE, "BANTUAN")
        assert (True, False) == (reply.startswith("Info Kerja Luar Negeri"), "TERUSKAN" in reply)
