"""
Reliability under hostile or unlucky input, and what stays at rest: control characters in
callbacks, messages PostgreSQL refuses, sealed recipients after delivery, phone numbers in gateway
errors and in tip text. (The frozen-database test lives in tests/test_faults.py, next to its
stoppable PostgreSQL.)
"""

from __future__ import annotations

import io
import itertools
import json

import asyncpg
from aiohttp.test_utils import TestClient

from tests.ussd_client import walk

PHONE = "+6281234567890"
STORY = "Calo datang ke rumah, minta uang 5 juta, katanya visa ziarah"
TO_CONFIRM = ["2", "2", "pontang", "1", "1"]
_ids = itertools.count()


def sms_form(text: str, sender: str = PHONE) -> dict[str, str]:
    """The fields AT posts for one inbound SMS."""
    return {
        "from": sender,
        "to": "98765",
        "text": text,
        "date": "2026-11-30 10:00:00",
        "id": f"ATXid_reliability_{next(_ids)}",
        "linkId": "SampleLinkId123",
        "networkCode": "51010",
    }


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
