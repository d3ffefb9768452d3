"""
Choosing the SMS reply language (BAHASA/LANGUAGE/BASA <language>), spoken to as Africa's Talking
does over real HTTP: conversations in tests/data/sms_language.json, each ending on the reply to its
last SMS and the choice stored for the sender.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway.identity import Identity
from storage.outbox import outbox_rows
from tests.dialogues import assert_shows, duplicate_labels
from tests.sms_client import RESIDENT_PHONE, send_sms
from tests.test_sms_inbound import reply_to
from ussd_menus import sms_language

CONVERSATIONS = json.loads((Path(__file__).parent / "data" / "sms_language.json").read_text())
SECRET = "test-secret-0123456789"  # the `config` fixture's
OTHER_PHONE = "+6281298765432"


async def stored(conn: asyncpg.Connection) -> list[str]:
    """Every language choice stored, whoever made it."""
    return [r["lang"] for r in await conn.fetch("SELECT lang FROM sms_languages")]


class TestConversations:
    @pytest.mark.parametrize("case", CONVERSATIONS, ids=[c["label"] for c in CONVERSATIONS])
    async def test_conversation(
        self, client: TestClient, conn: asyncpg.Connection, case: dict[str, Any]
    ) -> None:
        """The last SMS of each conversation gets its reply, and the expected choice is stored."""
        for text in case["sms"][:-1]:
            await send_sms(client, text)
        reply = await reply_to(client, conn, case["sms"][-1])
        assert_shows(case, reply, "reply")
        assert ([case["stored"]] if case["stored"] else []) == await stored(conn)

    def test_labels_are_unique(self) -> None:
        """Every conversation has its own label."""
        assert [] == duplicate_labels(CONVERSATIONS)


class TestStoredChoice:
    async def test_stored_under_the_senders_keyed_hash(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The choice is kept under the sender's HMAC reporter key, as their opt-out would be."""
        await send_sms(client, "BAHASA SUNDA", sender="0812-3456-7890")
        row = await conn.fetchrow("SELECT sender_key, lang FROM sms_languages")
        assert row is not None
        assert (Identity(SECRET).reporter_key(RESIDENT_PHONE), "su") == tuple(row)

    async def test_one_row_per_sender(self, client: TestClient, conn: asyncpg.Connection) -> None:
        """Choosing again replaces the sender's choice; it adds no row."""
        for text in ("BAHASA SUNDA", "LANGUAGE ENGLISH", "BASA SUNDA"):
            await send_sms(client, text)
        assert ["su"] == await stored(conn)

    async def test_another_sender_keeps_the_keyword_language(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """One resident's choice does not change the replies to another."""
        await send_sms(client, "BAHASA SUNDA")
        await send_sms(client, "INFO", sender=OTHER_PHONE)
        assert (await outbox_rows(conn))[-1].body.startswith("Kerja luar negeri resmi")

    async def test_a_tip_filed_after_choosing_keeps_the_language(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A tip sent by SMS after BASA SUNDA is filed in su, for the replies it gets later."""
        await send_sms(client, "BASA SUNDA")
        await send_sms(client, "REPORT a calo asked for 10 million")
        assert ["su"] == [r["lang"] for r in await conn.fetch("SELECT lang FROM tips")]

    async def test_a_choice_no_catalogue_has_is_ignored(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A stored language since removed from languages.toml falls back to the keyword's."""
        await send_sms(client, "BAHASA SUNDA")
        await conn.execute("UPDATE sms_languages SET lang = 'xx'")
        assert (await reply_to(client, conn, "HELP")).startswith("Work Abroad Info. Send CHECK")

    async def test_stop_opts_out_after_a_choice(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """STOP after a language choice still records the opt-out."""
        await send_sms(client, "BAHASA SUNDA")
        await send_sms(client, "STOP")
        assert 1 == await conn.fetchval("SELECT count(*) FROM opt_outs")


class TestPrecedence:
    @pytest.mark.parametrize(
        ("keyword_lang", "choice", "expected"),
        [
            ("en", None, "en"),
            ("id", None, "id"),
            ("en", "su", "su"),
            ("id", "en", "en"),
            ("en", "xx", "en"),
            ("zz", None, "id"),
        ],
        ids=["keyword-en", "keyword-id", "choice-wins", "choice-wins-id", "unknown-choice", "none"],
    )
    def test_reply_language(self, keyword_lang: str, choice: str | None, expected: str) -> None:
        """A stored choice wins over the keyword's language; unknown codes fall through to id."""
        assert expected == sms_language.reply_language(keyword_lang, choice)

    @pytest.mark.parametrize(
        ("written", "expected"),
        [
            ("SUNDA", "su"),
            ("sunda", "su"),
            ("SUDNA", "su"),
            ("SU NDA", "su"),
            ("Bahasa Sunda", "su"),
            ("EN", "en"),
            ("Indo", "id"),
            ("indonesian", "id"),
            ("JAWA", None),
            ("", None),
            ("ENGLISH PLEASE", None),
        ],
    )
    def test_named(self, written: str, expected: str | None) -> None:
        """A language is named by its code, its name, an alias, or with one typo in a long name."""
        assert expected == sms_language.named(written)
