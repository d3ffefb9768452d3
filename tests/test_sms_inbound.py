"""The inbound SMS callback, spoken to as Africa's Talking does: urlencoded POSTs over real HTTP."""

from __future__ import annotations

import dataclasses
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway.app import create_app
from gateway.config import Config
from storage.outbox import outbox_rows
from storage.tips import add_official_message, set_status
from tests.sms_client import reply_to, send_sms, sms_form
from ussd_menus.receipts import check_digit, parse_receipt, show_receipt


def receipt_in(reply: str) -> str:
    """The receipt code (9 digits) named in a reply."""
    code = reply.split("STATUS ")[1].split(".")[0].strip()
    assert parse_receipt(code) == code
    return code


def other_digit(code: str, position: int) -> str:
    """The code with one digit changed."""
    digit = str((int(code[position]) + 1) % 10)
    return code[:position] + digit + code[position + 1 :]


async def tip_rows(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every tip, oldest first."""
    return await conn.fetch("SELECT * FROM tips ORDER BY id")


KEYWORDS = [
    # (id, text, fragment of the queued reply)
    ("lapor-bare", "LAPOR", "Tulis cerita setelah LAPOR"),
    ("lapor-lower", "lapor ada calo minta uang", "Diterima, terima kasih. Kode: "),
    ("lapor-mixed-case", "LaPoR ada calo minta uang", "Diterima, terima kasih. Kode: "),
    ("lapor-extra-spaces", "  lapor   ada calo", "Diterima, terima kasih. Kode: "),
    ("lapor-typo-swap", "lapro ada calo minta uang", "Diterima, terima kasih. Kode: "),
    ("lapor-typo-letter", "lapot ada calo minta uang", "Diterima, terima kasih. Kode: "),
    ("report-bare", "REPORT", "Write the story after REPORT"),
    ("report-lower", "report a calo asked for money", "Received, thanks. Code: "),
    ("report-typo", "reprot a calo asked for money", "Received, thanks. Code: "),
    ("status-bare", "STATUS", "Nomor laporan salah ketik"),
    ("status-lower", "status", "Nomor laporan salah ketik"),
    ("status-typo", "STATSU", "Nomor laporan salah ketik"),
    ("cek-bare", "CEK", "Ketik nama PT atau nomor izin setelah CEK"),
    ("cek-lower", "cek", "Ketik nama PT atau nomor izin setelah CEK"),
    ("cek-typo", "cekk", "Ketik nama PT atau nomor izin setelah CEK"),
    ("cek-spaces", "   Cek   ", "Ketik nama PT atau nomor izin setelah CEK"),
    ("check-bare", "CHECK", "Type the agency name or licence number after CHECK"),
    ("check-typo", "chekc", "Type the agency name or licence number after CHECK"),
    ("jawab-bare", "JAWAB", "Format: JAWAB"),
    ("jawab-typo", "jawba", "Format: JAWAB"),
    ("answer-bare", "ANSWER", "Format: ANSWER"),
    ("answer-typo", "answre", "Format: ANSWER"),
    ("info-bare", "INFO", "Kerja luar negeri resmi"),
    ("info-lower-spaces", "  info  ", "Kerja luar negeri resmi"),
    ("info-typo", "inof", "Kerja luar negeri resmi"),
    ("bantuan-bare", "BANTUAN", "Info Kerja Luar Negeri. Kirim CEK"),
    ("bantuan-typo", "bantaun", "Info Kerja Luar Negeri. Kirim CEK"),
    ("help-bare", "HELP", "Work Abroad Info. Send CHECK"),
    ("help-typo", "hlep", "Work Abroad Info. Send CHECK"),
    ("unknown-word", "halo apa kabar", "Info Kerja Luar Negeri. Kirim CEK"),
    ("digits-only", "12345", "Info Kerja Luar Negeri. Kirim CEK"),
    ("empty", "", "Info Kerja Luar Negeri. Kirim CEK"),
]


class TestKeywords:
    @pytest.mark.parametrize(
        ("text", "fragment"), [k[1:] for k in KEYWORDS], ids=[k[0] for k in KEYWORDS]
    )
    async def test_keyword_gets_its_reply(
        self, client: TestClient, conn: asyncpg.Connection, text: str, fragment: str
    ) -> None:
        """Each keyword, in any case, with extra spaces or one typo, gets its own reply."""
        reply = await reply_to(client, conn, text)
        assert fragment in reply, reply

    def test_ids_are_unique(self) -> None:
        """Every keyword case has its own id."""
        ids = [k[0] for k in KEYWORDS]
        assert sorted(set(ids)) == sorted(ids)

    async def test_reply_is_addressed_to_a_resident(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The queued reply goes to the resident and names the inbound message as its cause."""
        await send_sms(client, "INFO", message_id="ATXid_cause")
        rows = await outbox_rows(conn)
        assert [("resident", "reply:ATXid_cause", "queued")] == [
            (r.recipient_kind, r.cause, r.status) for r in rows
        ]


REPORT_CATEGORIES = [
    ("calo", "LAPOR calo minta uang 10 juta", "calo"),
    ("calo-capitalised", "LAPOR Calo minta uang 10 juta", "calo"),
    ("biaya", "LAPOR biaya penempatan 30 juta", "biaya"),
    ("dokumen", "LAPOR dokumen saya ditahan sponsor", "dokumen"),
    ("visa", "LAPOR visa turis untuk kerja", "visa"),
    ("tujuan", "LAPOR tujuan ke negara terlarang", "tujuan"),
    ("bahaya", "LAPOR bahaya kakak dikurung", "bahaya"),
    ("calo-with-comma", "LAPOR calo, minta uang 10 juta", "calo"),
    ("biaya-with-colon", "LAPOR biaya: 30 juta untuk ke Taiwan", "biaya"),
    ("no-category-word", "LAPOR ada orang minta uang", "lainnya"),
    ("category-word-later", "LAPOR ada calo minta uang", "lainnya"),
]


class TestLapor:
    async def test_creates_one_sms_tip(self, client: TestClient, conn: asyncpg.Connection) -> None:
        """LAPOR files exactly one tip, on the sms channel, with the story as its description."""
        await send_sms(client, "LAPOR ada calo minta uang 10 juta")
        tips = await tip_rows(conn)
        assert [("sms", "ada calo minta uang 10 juta", "id")] == [
            (t["channel"], t["description"], t["lang"]) for t in tips
        ]

    @pytest.mark.parametrize(
        ("text", "category"),
        [c[1:] for c in REPORT_CATEGORIES],
        ids=[c[0] for c in REPORT_CATEGORIES],
    )
    async def test_category_from_leading_word(
        self, client: TestClient, conn: asyncpg.Connection, text: str, category: str
    ) -> None:
        """A leading category word sets the tip's category; otherwise it is 'lainnya'."""
        await send_sms(client, text)
        tips = await tip_rows(conn)
        assert [category] == [t["category"] for t in tips]

    async def test_reply_carries_the_receipt(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The reply names the filed tip's receipt, both as shown and as typed for STATUS."""
        reply = await reply_to(client, conn, "LAPOR calo minta uang 10 juta")
        receipt = (await tip_rows(conn))[0]["receipt"]
        assert f"Kode: {show_receipt(receipt)}" in reply
        assert f"STATUS {receipt}" in reply

    async def test_report_replies_in_english(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """REPORT files the tip in English and answers in English."""
        reply = await reply_to(client, conn, "REPORT a calo asked for 10 million")
        tips = await tip_rows(conn)
        assert reply.startswith("Received, thanks. Code: ")
        assert [("en", "a calo asked for 10 million")] == [
            (t["lang"], t["description"]) for t in tips
        ]

    async def test_too_short_story_files_nothing(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """LAPOR with almost no story asks for the story and files no tip."""
        reply = await reply_to(client, conn, "LAPOR abc")
        assert "Tulis cerita setelah LAPOR" in reply
        assert [] == await tip_rows(conn)


class TestRetries:
    async def test_retried_id_files_one_tip(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """AT's retry of an inbound id (even with another text) files no second tip."""
        await send_sms(client, "LAPOR calo minta uang 10 juta", message_id="ATXid_retry")
        await send_sms(client, "LAPOR biaya penempatan 30 juta", message_id="ATXid_retry")
        tips = await tip_rows(conn)
        assert ["calo minta uang 10 juta"] == [t["description"] for t in tips]

    async def test_retried_id_queues_one_reply(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """AT's retry of an inbound id queues no second reply."""
        await send_sms(client, "LAPOR calo minta uang 10 juta", message_id="ATXid_retry")
        await send_sms(client, "INFO", message_id="ATXid_retry")
        rows = await outbox_rows(conn)
        assert 1 == len(rows)
        assert rows[0].body.startswith("Diterima, terima kasih.")

    async def test_retry_is_acknowledged(self, client: TestClient) -> None:
        """A retried id still gets 200, so AT stops retrying."""
        await send_sms(client, "INFO", message_id="ATXid_ack")
        response = await client.post("/at/sms/inbound", data=sms_form("INFO", "ATXid_ack"))
        assert 200 == response.status


class TestStatus:
    async def test_filed_tip_shows_its_status(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """STATUS of a filed tip names the tip and its status."""
        receipt = receipt_in(await reply_to(client, conn, "LAPOR calo minta uang 10 juta"))
        reply = await reply_to(client, conn, f"STATUS {receipt}")
        assert f"Laporan {show_receipt(receipt)}: Diterima." == reply

    async def test_status_follows_the_officials(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """When officials move the tip on, STATUS says so."""
        receipt = receipt_in(await reply_to(client, conn, "LAPOR calo minta uang 10 juta"))
        assert await set_status(conn, receipt, "diterima")
        reply = await reply_to(client, conn, f"status {show_receipt(receipt)}")
        assert f"Laporan {show_receipt(receipt)}: Diterima petugas." == reply

    async def test_cek_status_is_status(self, client: TestClient, conn: asyncpg.Connection) -> None:
        """'CEK STATUS <code>' is read as STATUS, not as an agency check."""
        receipt = receipt_in(await reply_to(client, conn, "LAPOR calo minta uang 10 juta"))
        reply = await reply_to(client, conn, f"CEK STATUS {receipt}")
        assert f"Laporan {show_receipt(receipt)}: Diterima." == reply

    @pytest.mark.parametrize("position", [0, 4, 8], ids=["first", "middle", "check-digit"])
    async def test_mistyped_code_says_mistyped(
        self, client: TestClient, conn: asyncpg.Connection, position: int
    ) -> None:
        """A code with one digit changed is called mistyped, not unknown."""
        receipt = receipt_in(await reply_to(client, conn, "LAPOR calo minta uang 10 juta"))
        reply = await reply_to(client, conn, f"STATUS {other_digit(receipt, position)}")
        assert reply.startswith("Nomor laporan salah ketik")

    async def test_unknown_code_says_not_found(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A well-formed code that no tip has is called not found."""
        body = "12345678"
        reply = await reply_to(client, conn, f"STATUS {body}{check_digit(body)}")
        assert f"Nomor laporan 1234-5678-{check_digit(body)} tidak ditemukan." == reply

    async def test_latest_note_appears_in_status(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """An official's latest note is shown with the status."""
        receipt = receipt_in(await reply_to(client, conn, "LAPOR calo minta uang 10 juta"))
        await add_official_message(conn, receipt, "note", "Sudah diteruskan ke Disnaker.")
        reply = await reply_to(client, conn, f"STATUS {receipt}")
        assert reply.endswith("Petugas: Sudah diteruskan ke Disnaker.")

    async def test_question_appears_in_status(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """An official's open question is shown with how to answer it."""
        receipt = receipt_in(await reply_to(client, conn, "LAPOR calo minta uang 10 juta"))
        await add_official_message(conn, receipt, "question", "Kapan berangkat?")
        reply = await reply_to(client, conn, f"STATUS {receipt}")
        assert "Pertanyaan petugas: Kapan berangkat?" in reply
        assert f"JAWAB {receipt}" in reply


class TestJawab:
    async def test_answer_is_stored_as_reply(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """JAWAB <code> <text> stores the reporter's answer as a reply to the question."""
        receipt = receipt_in(await reply_to(client, conn, "LAPOR calo minta uang 10 juta"))
        question = await add_official_message(conn, receipt, "question", "Kapan berangkat?")
        await send_sms(client, f"JAWAB {receipt} Bulan depan lewat Jakarta")
        answers = await conn.fetch(
            "SELECT author, kind, body, reply_to FROM tip_messages WHERE author = 'reporter'"
        )
        assert [("reporter", "answer", "Bulan depan lewat Jakarta", question)] == [
            tuple(a) for a in answers
        ]

    async def test_answer_is_acknowledged(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The reply to JAWAB confirms the answer went to the officials."""
        receipt = receipt_in(await reply_to(client, conn, "LAPOR calo minta uang 10 juta"))
        await add_official_message(conn, receipt, "question", "Kapan berangkat?")
        reply = await reply_to(client, conn, f"JAWAB {receipt} Bulan depan")
        assert "Jawaban terkirim ke petugas, terima kasih." == reply

    async def test_answered_question_leaves_status(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Once answered, the question is no longer shown as open."""
        receipt = receipt_in(await reply_to(client, conn, "LAPOR calo minta uang 10 juta"))
        await add_official_message(conn, receipt, "question", "Kapan berangkat?")
        await send_sms(client, f"JAWAB {receipt} Bulan depan")
        reply = await reply_to(client, conn, f"STATUS {receipt}")
        assert "Pertanyaan petugas" not in reply

    async def test_mistyped_code_stores_nothing(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """JAWAB with a mistyped code says it is mistyped and stores no answer."""
        receipt = receipt_in(await reply_to(client, conn, "LAPOR calo minta uang 10 juta"))
        await add_official_message(conn, receipt, "question", "Kapan berangkat?")
        reply = await reply_to(client, conn, f"JAWAB {other_digit(receipt, 2)} Bulan depan")
        assert reply.startswith("Nomor laporan salah ketik")
        assert 0 == await conn.fetchval(
            "SELECT count(*) FROM tip_messages WHERE author = 'reporter'"
        )

    async def test_no_open_question_stores_nothing(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """JAWAB on a tip without a question says so and stores nothing."""
        receipt = receipt_in(await reply_to(client, conn, "LAPOR calo minta uang 10 juta"))
        reply = await reply_to(client, conn, f"JAWAB {receipt} Bulan depan")
        assert f"Tidak ada pertanyaan terbuka untuk laporan {show_receipt(receipt)}." == reply
        assert 0 == await conn.fetchval("SELECT count(*) FROM tip_messages")


class TestCek:
    @pytest.mark.parametrize(
        ("name", "fragment"),
        [
            ("PT Contoh Samudra Karya", "BERIZIN sampai 13-03-2027"),
            ("PT Fiktif Permata Rizki Sentosa", "IZIN DICABUT sejak 10-04-2025"),
            ("PT Fiktif Delta Nusa Perkasa", "IZIN HABIS"),
            ("PT Sampel Cahaya Abadi Persada", "IZIN DIHENTIKAN"),
        ],
        ids=["aktif", "dicabut", "kedaluwarsa", "dihentikan"],
    )
    async def test_known_agency_shows_its_status(
        self, client: TestClient, conn: asyncpg.Connection, name: str, fragment: str
    ) -> None:
        """CEK <agency name> replies with the agency's name and licence status in words."""
        reply = await reply_to(client, conn, f"CEK {name}")
        assert reply.startswith(f"{name}:")
        assert fragment in reply

    async def test_check_replies_in_english(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """CHECK <agency name> replies in English."""
        reply = await reply_to(client, conn, "CHECK PT Contoh Samudra Karya")
        assert "LICENSED until 13-03-2027" in reply

    async def test_unknown_agency_is_not_found(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """CEK of a name not in the registry says plainly it is not found."""
        reply = await reply_to(client, conn, "CEK PT Zzqx Wkwk Bodong")
        assert '"PT Zzqx Wkwk Bodong" TIDAK ada di daftar PT berizin' in reply


class TestBadCallbacks:
    @pytest.mark.parametrize("field", ["id", "from"])
    async def test_missing_field_is_named(self, client: TestClient, field: str) -> None:
        """A callback without id or from gets 400 naming the missing field."""
        form = sms_form("INFO")
        del form[field]
        response = await client.post("/at/sms/inbound", data=form)
        assert (400, f"missing field: {field}\n") == (response.status, await response.text())

    async def test_blank_id_is_missing(self, client: TestClient) -> None:
        """An id of only spaces counts as missing."""
        response = await client.post("/at/sms/inbound", data=sms_form("INFO", "   "))
        assert (400, "missing field: id\n") == (response.status, await response.text())

    @pytest.mark.parametrize(
        "sender", ["hello", "12", "AT-SHORTCODE"], ids=["word", "too-short", "alphanumeric"]
    )
    async def test_sender_not_a_phone_number(self, client: TestClient, sender: str) -> None:
        """A from that is not a phone number gets 400."""
        response = await client.post("/at/sms/inbound", data=sms_form("INFO", sender=sender))
        assert (400, "from: not a phone number\n") == (response.status, await response.text())

    async def test_rejected_callback_queues_nothing(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A rejected callback files nothing and queues no reply."""
        form = sms_form("LAPOR calo minta uang 10 juta", sender="hello")
        await client.post("/at/sms/inbound", data=form)
        assert ([], []) == (await tip_rows(conn), await outbox_rows(conn))


@pytest.fixture
async def limited_client(sample_db: str, config: Config, aiohttp_client: Any) -> TestClient:
    """The app with a limit of two tips per reporter per hour."""
    client: TestClient = await aiohttp_client(
        create_app(dataclasses.replace(config, tips_per_hour=2), sample_db)
    )
    return client


class TestRateLimit:
    async def test_third_report_is_refused_politely(
        self, limited_client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Over the hourly limit, LAPOR is answered with the limit, not a receipt."""
        await send_sms(limited_client, "LAPOR calo minta uang 10 juta")
        await send_sms(limited_client, "LAPOR biaya penempatan 30 juta")
        reply = await reply_to(limited_client, conn, "LAPOR dokumen saya ditahan")
        assert reply.startswith("Maaf, Anda sudah mengirim 2 laporan dalam 1 jam.")

    async def test_third_report_files_no_tip(
        self, limited_client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Over the hourly limit, LAPOR files no tip."""
        for text in ("LAPOR calo minta uang", "LAPOR biaya 30 juta", "LAPOR dokumen ditahan"):
            await send_sms(limited_client, text)
        tips = await tip_rows(conn)
        assert ["calo minta uang", "biaya 30 juta"] == [t["description"] for t in tips]
