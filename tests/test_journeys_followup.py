"""
Following a report up and reading long texts (issue 13 items 15 and 16), as data: the dialogues
in tests/data/journeys_followup.json, over real HTTP and a real PostgreSQL, in both languages.

Every case files a tip by SMS first, so each also checks that no SMS to the reporter's phone
quotes the reporter's own words back (the phone may be read by the recruiter or family).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway import keys
from storage.budgets import count_use
from storage.tips import add_official_message, answer_question, set_status
from tests.dialogues import assert_shows, duplicate_labels
from tests.sms_client import send_sms
from tests.ussd_client import RESIDENT, hop
from ussd_menus import cases
from ussd_menus.paging import fit, split_pages
from ussd_menus.safe_migration import load_topics
from ussd_menus.sms import info_topic
from ussd_menus.sms_catalogue import GSM7_LIMIT, sms_length
from ussd_menus.texts import t

DATA = json.loads((Path(__file__).parent / "data" / "journeys_followup.json").read_text())
USSD, SMS = DATA["ussd"], DATA["sms"]
# The reporter's own words (story and answer): never in an SMS to their phone.
OWN_WORDS = ("Darto", "Sukamaju", "Warsito")
TO_THE_LAST_PAGE = "99+"


async def file_tip(client: TestClient, conn: asyncpg.Connection, tip: dict[str, Any]) -> str:
    """File the story by SMS and give it the officials' messages the case asks for."""
    await send_sms(client, DATA["story"])
    receipt: str = await conn.fetchval("SELECT receipt FROM tips ORDER BY id DESC LIMIT 1")
    question = tip.get("question")
    if question:
        text = DATA["long_question"] if question == "long" else question
        asked = await add_official_message(conn, receipt, "question", text)
        if tip.get("answered"):
            assert asked is not None
            await answer_question(conn, receipt, asked, DATA["reporter_answer"], "test:answer")
    note = tip.get("note")
    if note:
        await add_official_message(
            conn, receipt, "note", DATA["long_note"] if note == "long" else note
        )
    if tip.get("status"):
        await set_status(conn, receipt, tip["status"])
    return receipt


async def dial(client: TestClient, inputs: list[str], lang: str, session: str) -> str:
    """Answer each input in turn in one session ('99+': page on to the last page); the last
    screen."""
    body, _ = await dial_path(client, inputs, lang, session)
    return body


async def dial_path(
    client: TestClient, inputs: list[str], lang: str, session: str
) -> tuple[str, str]:
    """`dial`, and the input path the last hop sent."""
    path = ["5", "2"] if lang == "en" else []
    body = await hop(client, "", session)
    for typed in [*path, *inputs]:
        steps = 0
        while True:
            if typed == TO_THE_LAST_PAGE and t("nav.more", lang) not in body:
                break
            path.append("99" if typed == TO_THE_LAST_PAGE else typed)
            body = await hop(client, "*".join(path), session)
            steps += 1
            if typed != TO_THE_LAST_PAGE or steps > 20:
                break
    return body, "*".join(path)


async def resident_sms(conn: asyncpg.Connection) -> list[str]:
    """Every SMS queued to a resident's phone."""
    rows = await conn.fetch("SELECT body FROM outbox WHERE recipient_kind = 'resident'")
    return [row["body"] for row in rows]


class TestUssdFollowUp:
    @pytest.mark.parametrize("case", USSD, ids=[c["label"] for c in USSD])
    async def test_dialogue(
        self, client: TestClient, conn: asyncpg.Connection, case: dict[str, Any]
    ) -> None:
        """Each dialogue ends on the expected screen, and no SMS quotes the reporter."""
        receipt = await file_tip(client, conn, case.get("tip", {}))
        inputs = [i.replace("{receipt}", receipt) for i in case["inputs"]]
        body = await dial(client, inputs, case["lang"], f"ATUid_followup_{case['label']}")
        assert case["kind"] == body[:3], body
        screen = body[4:]
        assert_shows(case, screen)
        sent = await resident_sms(conn)
        for fragment in case.get("sms_queued", []):
            assert any(fragment in text for text in sent), sent
        assert [] == [s for s in sent if any(word in s for word in OWN_WORDS)]


class TestSmsFollowUp:
    @pytest.mark.parametrize("case", SMS, ids=[c["label"] for c in SMS])
    async def test_reply(
        self, client: TestClient, conn: asyncpg.Connection, case: dict[str, Any]
    ) -> None:
        """The last SMS gets the expected reply, and no SMS quotes the reporter."""
        receipt = await file_tip(client, conn, case.get("tip", {}))
        message_id = ""
        for text in case["send"]:
            message_id = await send_sms(client, text.replace("{receipt}", receipt))
        reply: str = await conn.fetchval(
            "SELECT body FROM outbox WHERE cause = $1", f"reply:{message_id}"
        )
        assert_shows(case, reply)
        if case.get("one_segment"):
            length, limit = sms_length(reply)
            assert length <= limit, reply
        sent = await resident_sms(conn)
        assert [] == [s for s in sent if any(word in s for word in OWN_WORDS)]


def test_labels_are_unique() -> None:
    """Every case has its own label."""
    assert [] == duplicate_labels(USSD + SMS)


class TestInfoBySms:
    async def test_budget_spent_sends_nothing(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A caller whose hourly SMS budget is spent is told so, and nothing is queued."""
        reporter = client.server.app[keys.IDENTITY].reporter_key(RESIDENT)
        await count_use(conn, "sms_replies", reporter, "hour", amount=1000)
        body = await dial(client, ["4", "6", TO_THE_LAST_PAGE, "1"], "id", "ATUid_info_budget")
        assert (True, []) == (
            body.startswith("END Maaf, SMS tidak bisa dikirim sekarang."),
            await resident_sms(conn),
        )

    async def test_resent_hop_queues_once(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """AT resending the hop that asked for the SMS queues it once."""
        session = "ATUid_info_twice"
        _, path = await dial_path(client, ["4", "6", TO_THE_LAST_PAGE, "1"], "id", session)
        again = await hop(client, path, session)
        sent = await resident_sms(conn)
        assert (True, 1) == (again.startswith("END Info ini dikirim lewat SMS"), len(sent))

    @pytest.mark.parametrize("lang", ["id", "en"])
    def test_every_topic_fits_one_sms(self, lang: str) -> None:
        """Every topic, as SMS, is one GSM-7 segment starting with its title."""
        for topic in load_topics():
            text = info_topic(topic.key, lang)
            assert (True, True) == (
                sms_length(text)[0] <= GSM7_LIMIT and text.isascii(),
                text.startswith(topic.title[lang] + ": "),
            ), text


class TestAnswerResent:
    async def test_resent_answer_still_thanks(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """AT resending the answering hop (the question now answered) still ends with thanks."""
        receipt = await file_tip(client, conn, {"question": "Kapan berangkat?"})
        session = "ATUid_answer_twice"
        _, path = await dial_path(client, ["3", receipt, "1", "Bulan depan"], "id", session)
        again = await hop(client, path, session)
        answers = await conn.fetchval("SELECT count(*) FROM tip_messages WHERE author = 'reporter'")
        assert (True, 1) == (again.startswith("END Jawaban terkirim"), answers)


class TestPages:
    TEXT = DATA["long_question"]

    @pytest.mark.parametrize(("first", "rest"), [(40, 60), (57, 94), (90, 90), (20, 30)])
    def test_pages_keep_every_word_whole(self, first: int, rest: int) -> None:
        """Pages fit their room and, read in turn, give back every word, none cut."""
        pages = split_pages(self.TEXT, first, rest)
        assert (True, self.TEXT.split()) == (
            len(pages[0]) <= first and all(len(p) <= rest for p in pages[1:]),
            " ".join(pages).split(),
        )

    def test_a_page_ends_at_a_sentence_when_one_is_late_enough(self) -> None:
        """A page ends after a sentence that ends in its second half, not mid-sentence."""
        pages = split_pages("Satu dua tiga empat. Lima enam tujuh delapan.", 30, 30)
        assert ("Satu dua tiga empat.", "Lima enam tujuh delapan.") == pages

    def test_numbered_list_item_is_no_sentence_end(self) -> None:
        """A number's '1.' is not a sentence end: the SMS is cut at a word, marked '..'."""
        assert ("Langkah ke 1. Daftar..", "Langkah ke satu.") == (
            fit("Langkah ke 1. Daftar dulu di kantor desa", 25),
            fit("Langkah ke satu. Daftar dulu di kantor desa", 25),
        )


# The follow-up's own texts (USSD menu 3, SMS STATUS/JAWAB) and the paging and info endings.
FOLLOW_UP_KEYS = (
    *(f"status.{s}" for s in cases.STATUSES),
    *(
        f"status.{k}"
        for k in (
            "prompt unknown again line message question question_answered answer answer_more"
            " answer_prompt answered answer_lost"
        ).split()
    ),
    *(f"info.{k}" for k in "send_sms report end sms_sent sms_refused".split()),
    "nav.footer",
    "nav.footer_previous",
    "nav.more",
    *(f"sms.{k}" for k in "tip_status tip_status_message tip_status_question".split()),
    *(f"sms.{k}" for k in "tip_status_answered answer_sent answer_none answer_format".split()),
)
JARGON = ("s/d", "LN", "P3MI", "UU ", "Perban", "Permen", "Kepmen", "Psl", "Pasal")


@pytest.mark.parametrize("lang", ["id", "en"])
def test_follow_up_texts_use_plain_words(lang: str) -> None:
    """No 's/d', 'LN', 'P3MI' or law citation on the follow-up's screens and SMS."""
    found = [(key, word) for key in FOLLOW_UP_KEYS for word in JARGON if word in t(key, lang)]
    assert [] == found
