"""
The reporter's conflict-of-interest step, as a resident meets it: on the summary before sending,
"a village official is involved?" yes or no (USSD), or `LAPOR APARAT <cerita>` by SMS. Each case
of tests/data/journeys_conflict.json runs over real HTTP down to the tip row and the alerts in
PostgreSQL; every behaviour has an Indonesian and an English case.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.conftest import Gateway
from tests.dialogues import assert_shows, duplicate_labels, one_language_only
from tests.sms_client import send_sms
from tests.ussd_client import walk

CASES = json.loads((Path(__file__).parent / "data" / "journeys_conflict.json").read_text())


async def resident_replies(conn: asyncpg.Connection) -> list[str]:
    """The bodies of every SMS queued to a resident, oldest first."""
    rows = await conn.fetch("SELECT body FROM outbox WHERE recipient_kind = 'resident' ORDER BY id")
    return [r["body"] for r in rows]


@pytest.mark.parametrize("case", CASES, ids=[c["label"] for c in CASES])
async def test_journey(case: dict[str, Any], gateway: Gateway, conn: asyncpg.Connection) -> None:
    """Each journey shows what it should, files the tip marked or not, and alerts whom it should."""
    client = gateway.client
    if "sms_in" in case:
        await send_sms(client, case["sms_in"])
        replies = await resident_replies(conn)
        assert 1 == len(replies), replies
        assert_shows(case, replies[0], "reply")
    else:
        screen = await walk(client, case["inputs"])
        assert case["kind"] == screen[:3], screen
        assert_shows(case, screen)
    if "tips" in case:
        rows = await conn.fetch(
            "SELECT category, kecamatan_code, involves_village_official FROM tips ORDER BY id"
        )
        assert case["tips"] == [dict(r) for r in rows]
    if "story" in case:
        assert case["story"] == await conn.fetchval("SELECT description FROM tips")
    if "alerted" in case:
        rows = await conn.fetch(
            "SELECT o.phone FROM outbox x JOIN officials o ON o.id = x.official_id ORDER BY o.phone"
        )
        assert case["alerted"] == [r["phone"] for r in rows]


def test_labels_are_unique() -> None:
    """Every case has its own label."""
    assert [] == duplicate_labels(CASES)


def test_every_case_runs_in_both_languages() -> None:
    """Each USSD behaviour has an Indonesian and an English case."""
    assert [] == one_language_only(CASES)
