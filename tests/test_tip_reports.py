"""The confidential report journey over USSD, hop by hop as AT posts it, down to the tips table."""

from __future__ import annotations

import dataclasses
import itertools
import re
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway.app import create_app
from gateway.config import Config
from storage.outbox import outbox_rows
from storage.tips import add_official_message
from tests.sms_client import send_sms
from ussd_menus.receipts import check_digit, parse_receipt, show_receipt

PHONE = "+6281234567890"
OTHER_PHONE = "+6285711112222"
PONTANG = "36.04.12"
STORY = "Calo minta uang 10 juta untuk ke Taiwan"
_sessions = itertools.count()


def new_session() -> str:
    """A fresh AT session id."""
    return f"ATUid_tips_{next(_sessions)}"


async def hop(client: TestClient, text: str, session_id: str, phone: str = PHONE) -> str:
    """Post one hop and return the body, checking the protocol envelope."""
    form = {
        "sessionId": session_id,
        "phoneNumber": phone,
        "networkCode": "51010",
        "serviceCode": "*123*45#",
        "text": text,
    }
    response = await client.post("/at/ussd", data=form)
    body = await response.text()
    assert 200 == response.status
    assert body.startswith(("CON ", "END ")), body
    return body


async def walk(
    client: TestClient, inputs: list[str], session_id: str | None = None, phone: str = PHONE
) -> str:
    """Dial and answer each input in turn within one session; the last screen."""
    session = session_id or new_session()
    body = await hop(client, "", session, phone)
    for n in range(1, len(inputs) + 1):
        body = await hop(client, "*".join(inputs[:n]), session, phone)
    return body


def journey(category: str = "2", story: str = STORY) -> list[str]:
    """A whole report: category (BAHAYA: add details), kecamatan typed and confirmed, desa typed
    and confirmed, agency skipped, story, send."""
    details = ["2"] if category == "1" else []
    return ["2", category, *details, "pontang", "1", "Kubang Puji", "1", "1", story, "1"]


def receipt_on(screen: str) -> str:
    """The receipt code shown on a screen, as 9 digits."""
    match = re.search(r"(\d{4})-(\d{4})-(\d)\b", screen)
    assert match is not None, screen
    return "".join(match.groups())


async def tip_rows(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every tip, oldest first."""
    return await conn.fetch("SELECT * FROM tips ORDER BY id")


async def file_by_ussd(client: TestClient, phone: str = PHONE) -> str:
    """File one report by USSD; its receipt."""
    return receipt_on(await walk(client, journey(), phone=phone))


CATEGORIES = [
    ("1", "bahaya"),
    ("2", "calo"),
    ("3", "biaya"),
    ("4", "dokumen"),
    ("5", "visa"),
    ("6", "tujuan"),
    ("7", "lainnya"),
]


class TestFiling:
    @pytest.mark.parametrize(("choice", "category"), CATEGORIES, ids=[c[1] for c in CATEGORIES])
    async def test_category_is_filed(
        self, client: TestClient, conn: asyncpg.Connection, choice: str, category: str
    ) -> None:
        """Each category chosen on the menu is filed under its stable key."""
        screen = await walk(client, journey(choice))
        tips = await tip_rows(conn)
        assert screen.startswith("CON ")
        assert [category] == [t["category"] for t in tips]

    async def test_report_fields_are_filed(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Kecamatan, desa, story, channel and language are filed as the resident gave them."""
        await walk(client, journey())
        tip = (await tip_rows(conn))[0]
        assert ("ussd", PONTANG, "Kubang Puji", None, STORY, "id", "baru") == (
            tip["channel"],
            tip["kecamatan_code"],
            tip["desa"],
            tip["agency_name"],
            tip["description"],
            tip["lang"],
            tip["status"],
        )

    async def test_story_arrives_intact(self, client: TestClient, conn: asyncpg.Connection) -> None:
        """A story with '*', '#' and digits is filed exactly as typed."""
        story = "Calo minta 5*juta #cepat 08123"
        await walk(client, journey(story=story))
        assert [story] == [t["description"] for t in await tip_rows(conn)]

    async def test_typed_agency_is_filed(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """An agency name not in the registry is filed as typed, without a licence."""
        inputs = ["2", "2", "pontang", "1", "1", "Pak Haji Calo", STORY, "1"]
        await walk(client, inputs)
        tip = (await tip_rows(conn))[0]
        assert ("Pak Haji Calo", None) == (tip["agency_name"], tip["agency_licence"])

    async def test_short_story_asks_for_more(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A story under ten letters or digits is not accepted and nothing is filed."""
        screen = await walk(client, journey(story="calo!!")[:-1])
        assert "Mohon ceritakan lebih lengkap." in screen
        assert [] == await tip_rows(conn)


class TestReceipt:
    async def test_receipt_matches_the_tip(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The receipt on the screen after sending is the filed tip's receipt."""
        screen = await walk(client, journey())
        assert [receipt_on(screen)] == [t["receipt"] for t in await tip_rows(conn)]

    async def test_receipt_screen_wording(self, client: TestClient) -> None:
        """The screen after sending names the receipt as 'Nomor laporan' and asks to note it."""
        screen = await walk(client, journey())
        assert screen.startswith("CON Terkirim. Nomor laporan Anda:\n")
        assert "Catat nomor ini." in screen

    async def test_receipt_is_valid(self, client: TestClient) -> None:
        """The receipt passes its own check digit."""
        receipt = receipt_on(await walk(client, journey()))
        assert receipt == parse_receipt(show_receipt(receipt))

    async def test_retried_final_hop_files_once(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """AT resending the final hop gets the same receipt and files no second tip."""
        session = new_session()
        inputs = journey()
        first = await walk(client, inputs, session)
        again = await hop(client, "*".join(inputs), session)
        assert receipt_on(first) == receipt_on(again)
        assert 1 == len(await tip_rows(conn))

    async def test_separate_sessions_file_separate_tips(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Two sessions file two tips with different receipts."""
        first = await file_by_ussd(client)
        second = await file_by_ussd(client)
        assert first != second
        assert 2 == len(await tip_rows(conn))


class TestResume:
    async def test_dropped_report_is_offered(self, client: TestClient) -> None:
        """After a dropped session, starting a report offers to continue it."""
        await walk(client, ["2", "2", "pontang", "1"])
        screen = await walk(client, ["2"])
        assert screen.startswith("CON Lanjutkan atau mulai baru?")
        assert ("1 Lanjutkan", "2 Mulai baru") == tuple(screen.splitlines()[1:3])

    async def test_continue_returns_to_the_step(self, client: TestClient) -> None:
        """'1 Lanjutkan' brings back the step the dropped session was on."""
        await walk(client, ["2", "2", "pontang", "1"])
        screen = await walk(client, ["2", "1"])
        assert screen.startswith("CON Desa di Pontang (1/")

    async def test_continued_report_is_filed_once(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Finishing a continued report files one tip with the dropped session's answers."""
        await walk(client, ["2", "2", "pontang", "1"])
        screen = await walk(client, ["2", "1", "1", "1", STORY, "1"])
        tips = await tip_rows(conn)
        assert [(receipt_on(screen), "calo", PONTANG, STORY)] == [
            (t["receipt"], t["category"], t["kecamatan_code"], t["description"]) for t in tips
        ]

    async def test_filing_leaves_nothing_to_resume(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Once the continued report is filed, its progress is gone from the draft."""
        await walk(client, ["2", "2", "pontang", "1"])
        await walk(client, ["2", "1", "1", "1", STORY, "1"])
        states = await conn.fetch("SELECT state FROM report_drafts")
        assert ["null"] == [r["state"] for r in states]

    async def test_start_over_shows_categories(self, client: TestClient) -> None:
        """'2 Mulai baru' starts a new report at the categories."""
        await walk(client, ["2", "2", "pontang", "1"])
        screen = await walk(client, ["2", "2"])
        assert screen.startswith("CON Nomor HP tidak disimpan:\n1 BAHAYA sekarang")

    async def test_other_phone_is_not_offered_the_draft(self, client: TestClient) -> None:
        """Another phone starting a report sees the categories, not someone else's draft."""
        await walk(client, ["2", "2", "pontang", "1"])
        screen = await walk(client, ["2"], phone=OTHER_PHONE)
        assert screen.startswith("CON Nomor HP tidak disimpan:\n1 BAHAYA sekarang")

    async def test_retried_final_hop_of_continued_report(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """AT resending the final hop of a continued report gets the same receipt, one tip."""
        await walk(client, ["2", "2", "pontang", "1"])
        session = new_session()
        inputs = ["2", "1", "1", "1", STORY, "1"]
        first = await walk(client, inputs, session)
        again = await hop(client, "*".join(inputs), session)
        assert receipt_on(first) == receipt_on(again)
        assert 1 == len(await tip_rows(conn))

    async def test_retried_final_hop_after_start_over(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """AT resending the final hop of a restarted report gets the same receipt, one tip."""
        await walk(client, ["2", "2", "pontang", "1"])
        session = new_session()
        inputs = ["2", "2", "3", "pontang", "1", "1", "1", STORY, "1"]
        first = await walk(client, inputs, session)
        again = await hop(client, "*".join(inputs), session)
        tips = await tip_rows(conn)
        assert receipt_on(first) == receipt_on(again)
        assert ["biaya"] == [t["category"] for t in tips]

    async def test_filed_report_is_not_offered_again(self, client: TestClient) -> None:
        """After a report is filed, the next report starts afresh."""
        await walk(client, journey())
        screen = await walk(client, ["2"])
        assert screen.startswith("CON Nomor HP tidak disimpan:")


class TestFromAgencyCheck:
    async def test_agency_step_is_skipped(self, client: TestClient) -> None:
        """Reporting from an agency's check result goes from desa straight to the story."""
        inputs = ["1", "PT Contoh Samudra Karya", "1", "2", "pontang", "1", "1"]
        screen = await walk(client, inputs)
        assert screen.startswith("CON Ceritakan singkat apa yang terjadi.")

    async def test_agency_licence_is_filed(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The tip carries the checked agency's licence number and name."""
        inputs = ["1", "PT Contoh Samudra Karya", "1", "2", "pontang", "1", "1", STORY, "1"]
        await walk(client, inputs)
        tip = (await tip_rows(conn))[0]
        assert ("99116000345227871", "PT Contoh Samudra Karya", "calo") == (
            tip["agency_licence"],
            tip["agency_name"],
            tip["category"],
        )


class TestCheckMyReport:
    async def test_mistyped_receipt(self, client: TestClient) -> None:
        """A receipt with one digit changed is called mistyped."""
        receipt = await file_by_ussd(client)
        typo = receipt[:3] + str((int(receipt[3]) + 1) % 10) + receipt[4:]
        screen = await walk(client, ["3", typo])
        assert "salah ketik" in screen

    async def test_unknown_receipt(self, client: TestClient) -> None:
        """A valid receipt that no tip has is called not found."""
        code = "12345678" + check_digit("12345678")
        screen = await walk(client, ["3", code])
        assert f"Nomor laporan {show_receipt(code)} tidak ditemukan." in screen

    async def test_known_receipt_shows_status(self, client: TestClient) -> None:
        """A filed tip's receipt shows its status."""
        receipt = await file_by_ussd(client)
        screen = await walk(client, ["3", show_receipt(receipt)])
        assert screen.startswith(f"CON Laporan {show_receipt(receipt)}: Diterima")

    async def test_question_is_shown_with_answer_option(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """An official's open question is shown with '1 Jawab pertanyaan'."""
        receipt = await file_by_ussd(client)
        await add_official_message(conn, receipt, "question", "Kapan berangkat?")
        screen = await walk(client, ["3", receipt])
        assert "Pertanyaan petugas: Kapan berangkat?" in screen
        assert "1 Jawab pertanyaan" in screen.splitlines()

    async def test_answer_ends_with_thanks(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Typing an answer ends the session with 'Jawaban terkirim'."""
        receipt = await file_by_ussd(client)
        await add_official_message(conn, receipt, "question", "Kapan berangkat?")
        screen = await walk(client, ["3", receipt, "1", "Bulan depan"])
        assert screen.startswith("END Jawaban terkirim")

    async def test_answer_is_stored_as_reply(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The typed answer is stored as the reporter's reply to the question."""
        receipt = await file_by_ussd(client)
        question = await add_official_message(conn, receipt, "question", "Kapan berangkat?")
        await walk(client, ["3", receipt, "1", "Bulan depan*lewat Jakarta"])
        answers = await conn.fetch(
            "SELECT author, kind, body, reply_to FROM tip_messages WHERE author = 'reporter'"
        )
        assert [("reporter", "answer", "Bulan depan*lewat Jakarta", question)] == [
            tuple(a) for a in answers
        ]

    async def test_retried_answer_is_stored_once(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """AT resending the answering hop stores the answer once."""
        receipt = await file_by_ussd(client)
        await add_official_message(conn, receipt, "question", "Kapan berangkat?")
        session = new_session()
        await walk(client, ["3", receipt, "1", "Bulan depan"], session)
        await hop(client, f"3*{receipt}*1*Bulan depan", session)
        assert 1 == await conn.fetchval(
            "SELECT count(*) FROM tip_messages WHERE author = 'reporter'"
        )


@pytest.fixture
async def limited_client(sample_db: str, config: Config, aiohttp_client: Any) -> TestClient:
    """The app with a limit of two tips per reporter per hour."""
    client: TestClient = await aiohttp_client(
        create_app(dataclasses.replace(config, tips_per_hour=2), sample_db)
    )
    return client


class TestRateLimit:
    async def test_third_report_is_refused_at_once(self, limited_client: TestClient) -> None:
        """Over the hourly limit, choosing 'Lapor' ends at once with the limit message."""
        await file_by_ussd(limited_client)
        await file_by_ussd(limited_client)
        screen = await walk(limited_client, ["2"])
        assert screen.startswith("END Maaf, Anda sudah mengirim 2 laporan dalam 1 jam.")

    async def test_limit_is_per_phone(self, limited_client: TestClient) -> None:
        """Another phone may still report when one phone reached the limit."""
        await file_by_ussd(limited_client)
        await file_by_ussd(limited_client)
        screen = await walk(limited_client, ["2"], phone=OTHER_PHONE)
        assert screen.startswith("CON Nomor HP tidak disimpan:")

    async def test_report_from_agency_check_is_refused_at_once(
        self, limited_client: TestClient
    ) -> None:
        """Over the limit, 'Laporkan PT ini' on a check result ends at once with the limit."""
        await file_by_ussd(limited_client)
        await file_by_ussd(limited_client)
        screen = await walk(limited_client, ["1", "PT Contoh Samudra Karya", "1"])
        assert screen.startswith("END Maaf, Anda sudah mengirim 2 laporan dalam 1 jam.")

    async def test_limit_reached_meanwhile_files_nothing(
        self, limited_client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A report sent after the limit was reached (by SMS) during the session is not filed."""
        session = new_session()
        inputs = journey()
        await walk(limited_client, inputs[:-1], session)
        await send_sms(limited_client, "LAPOR calo minta uang 10 juta")
        await send_sms(limited_client, "LAPOR biaya penempatan 30 juta")
        screen = await hop(limited_client, "*".join(inputs), session)
        assert screen.startswith("END Maaf, Anda sudah mengirim 2 laporan dalam 1 jam.")
        assert 2 == len(await tip_rows(conn))


class TestReceiptSms:
    async def test_send_with_sms_queues_the_receipt(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """'2 Kirim nomor lewat SMS' after the receipt queues one SMS to the resident, naming it."""
        receipt = receipt_on(await walk(client, [*journey(), "2"]))
        rows = await outbox_rows(conn)
        assert [("resident", True, True)] == [
            (r.recipient_kind, show_receipt(receipt) in r.body, f"STATUS {receipt}" in r.body)
            for r in rows
        ]

    async def test_sms_is_not_linked_to_the_tip(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The queued receipt SMS is not linked to its tip (its row holds the sealed number)."""
        await walk(client, [*journey(), "2"])
        assert [None] == [r["tip_id"] for r in await conn.fetch("SELECT tip_id FROM outbox")]

    async def test_send_without_sms_queues_nothing(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Sending the report queues no SMS to the resident: the receipt is shown on screen."""
        await walk(client, journey())
        assert [] == [r for r in await outbox_rows(conn) if r.recipient_kind == "resident"]

    async def test_retried_send_queues_one_sms(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """AT resending the hop that asks for the SMS queues no second receipt SMS."""
        session = new_session()
        inputs = [*journey(), "2"]
        await walk(client, inputs, session)
        await hop(client, "*".join(inputs), session)
        assert 1 == len([r for r in await outbox_rows(conn) if r.recipient_kind == "resident"])

    async def test_continued_report_receipt_can_be_sent(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """After a resumed report is filed, its later hops still replay: the SMS names it."""
        await walk(client, ["2", "2", "pontang", "1"])
        session = new_session()
        filed = receipt_on(await walk(client, ["2", "1", "1", "1", STORY, "1"], session))
        screen = await hop(client, f"2*1*1*1*{STORY}*1*2", session)
        bodies = [r.body for r in await outbox_rows(conn) if r.recipient_kind == "resident"]
        assert (True, [True]) == (screen.startswith("END SMS segera"), [filed in b for b in bodies])


class TestEnglish:
    async def test_receipt_sms_is_english(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A resident who reported in English gets the receipt SMS in English."""
        receipt = receipt_on(await walk(client, ["5", "2", *[*journey(), "2"]]))
        bodies = [r.body for r in await outbox_rows(conn)]
        assert 1 == len(bodies)
        assert f"Code: {show_receipt(receipt)}" in bodies[0]
        assert "Kode" not in bodies[0]

    async def test_screens_are_english(self, client: TestClient) -> None:
        """After choosing English, the report screens are in English."""
        screen = await walk(client, ["5", "2", "2"])
        assert screen.startswith("CON Your number is not kept:\n1 DANGER now")

    async def test_receipt_screen_is_english(self, client: TestClient) -> None:
        """The English journey ends on the English receipt screen."""
        screen = await walk(client, ["5", "2", *journey()])
        receipt = receipt_on(screen)
        assert screen.startswith(f"CON Sent. Your report number:\n{show_receipt(receipt)}")

    async def test_tip_is_marked_english(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A tip filed in English is marked as English for the officials' replies."""
        await walk(client, ["5", "2", *journey()])
        assert ["en"] == [t["lang"] for t in await tip_rows(conn)]
