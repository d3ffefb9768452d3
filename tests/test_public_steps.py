"""
What a reporter reads of each step of their case (issue 14 item 2), as data: the cases in
tests/data/public_steps.json, over real HTTP and a real PostgreSQL. Officials move the case by
SMS as they do in the field; the reporter reads it through USSD menu 3 (Indonesian and English)
and SMS STATUS.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.conftest import Gateway
from tests.console_helpers import file_test_tip
from tests.dialogues import assert_shows, duplicate_labels
from tests.sms_client import reply_to, send_sms
from tests.ussd_client import walk
from ussd_menus.sms_catalogue import sms_length

DATA = json.loads((Path(__file__).parent / "data" / "public_steps.json").read_text())
CASES = DATA["cases"]
LANGUAGE_FIRST = {"id": [], "en": ["5", "2"]}  # the USSD menu's language switch


async def case_after(gateway: Gateway, conn: asyncpg.Connection, case: dict[str, Any]) -> str:
    """A calo tip in Pontang moved by the case's official commands; its receipt."""
    receipt = await file_test_tip(conn, f"ussd:ATUid_steps_{case['label']}")
    for who, command in case["commands"]:
        await send_sms(gateway.client, command.format(receipt=receipt), DATA["officials"][who])
    return receipt


def text(screen: str) -> str:
    """A USSD screen's words without CON/END and its numbered options (pages join up)."""
    lines = screen.removeprefix("CON ").removeprefix("END ").split("\n")
    return " ".join(line for line in lines if not re.match(r"\d+ ", line))


def test_labels_are_unique() -> None:
    """Each case has its own label, so a failure names one case."""
    assert [] == duplicate_labels(CASES)


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("case", CASES, ids=[c["label"] for c in CASES])
async def test_ussd_status_shows_the_public_steps(
    case: dict[str, Any], lang: str, gateway: Gateway, conn: asyncpg.Connection
) -> None:
    """USSD menu 3 shows the case's current step and, once it has moved, its history."""
    receipt = await case_after(gateway, conn, case)
    pages: list[str] = []
    while not pages or "\n99 " in pages[-1]:  # page on to the last page
        more = ["99"] * len(pages)
        pages.append(await walk(gateway.client, [*LANGUAGE_FIRST[lang], "3", receipt, *more]))
    everything = " ".join(text(page) for page in pages)
    assert_shows(case["ussd"][lang], everything)


@pytest.mark.parametrize("case", CASES, ids=[c["label"] for c in CASES])
async def test_sms_status_shows_the_public_steps(
    case: dict[str, Any], gateway: Gateway, conn: asyncpg.Connection
) -> None:
    """SMS STATUS answers in one SMS with the current step and the newest steps that fit."""
    receipt = await case_after(gateway, conn, case)
    reply = await reply_to(gateway.client, conn, f"STATUS {receipt}")
    assert sms_length(reply)[0] <= 160, reply
    assert_shows(case["sms"], reply)
