"""
The report journey of issue 13, as a resident meets it: danger first, the number-not-kept notice
at the start, the kecamatan step, the receipt on screen before any SMS, and what the SMS says.
Each case of tests/data/journeys_report.json runs in Indonesian and English over real HTTP, down
to the tips and the outbox in PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from gateway.app import create_app
from gateway.config import Config
from tests.dialogues import assert_shows, duplicate_labels, one_language_only
from tests.sms_client import send_sms
from tests.ussd_client import walk
from ussd_menus.model import Kecamatan
from ussd_menus.report import KECAMATAN_PAGE, kecamatan_pages

CASES = json.loads((Path(__file__).parent / "data" / "journeys_report.json").read_text())
# What a lock screen shows of an SMS; none of these words may be in it.
PREVIEW = 40
TELLING = ("laporan", "lapor", "report")


async def resident_sms(conn: asyncpg.Connection) -> list[str]:
    """The bodies of every SMS queued to a resident, oldest first."""
    rows = await conn.fetch("SELECT body FROM outbox WHERE recipient_kind = 'resident' ORDER BY id")
    return [r["body"] for r in rows]


@pytest.mark.parametrize("case", CASES, ids=[c["label"] for c in CASES])
async def test_journey(
    case: dict[str, Any],
    sample_db: str,
    config: Config,
    conn: asyncpg.Connection,
    aiohttp_client: Any,
) -> None:
    """Each journey ends on the expected screen, files what it should and queues what it should."""
    configured = dataclasses.replace(config, ussd_service_code=case.get("service_code", ""))
    client = await aiohttp_client(create_app(configured, sample_db))
    screen = ""
    if "sms_in" in case:
        await send_sms(client, case["sms_in"])
    else:
        for earlier in case.get("before", []):
            await walk(client, earlier)
        screen = await walk(client, case["inputs"])
        assert case["kind"] == screen[:3], screen
        assert_shows(case, screen)
    if "tips" in case:
        rows = await conn.fetch("SELECT category, kecamatan_code FROM tips ORDER BY id")
        assert case["tips"] == [dict(r) for r in rows]
    bodies = await resident_sms(conn)
    if "outbox" in case:
        assert case["outbox"] == len(bodies), bodies
    if "sms" in case:
        assert 1 == len(bodies), bodies
        assert [] == [f for f in case["sms"]["contains"] if f not in bodies[0]], bodies[0]
        shown = re.search(r"\d{4}-\d{4}-\d", screen)
        assert shown is None or shown.group() in bodies[0]
    previews = [b[:PREVIEW].casefold() for b in bodies]
    assert [] == [p for p in previews if any(word in p for word in TELLING)]


def test_labels_are_unique() -> None:
    """Every journey case has its own label."""
    assert [] == duplicate_labels(CASES)


def test_every_case_runs_in_both_languages() -> None:
    """Each behaviour has an Indonesian and an English case."""
    assert [] == one_language_only(CASES)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_short_names_fill_six_per_page(lang: str) -> None:
    """Where six short kecamatan names fit one screen, a page shows six."""
    short = tuple(Kecamatan(f"36.04.{n:02}", f"Kec{n:02}") for n in range(1, 19))
    assert [KECAMATAN_PAGE] * 3 == [count for _, count in kecamatan_pages(short, lang)]
