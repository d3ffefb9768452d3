"""The agency check as residents meet it (issue 13, items 1, 2, 3, 12, 16), on USSD and by SMS.

The dialogues are data (tests/data/journeys_agency.json): each names the issue item it shows, its
channel, what is dialled or sent, and what the answer must and must not say, in both languages.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway import keys
from gateway.agency_index import AgencyIndex
from storage.registry import replace_registry
from storage.sample import sample_agencies
from tests.sms_client import reply_to
from tests.ussd_client import walk
from ussd_menus.agency_check import place
from ussd_menus.model import Context, Env, Frame
from ussd_menus.tree import build_nodes

JOURNEYS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "journeys_agency.json").read_text()
)
USSD = [c for c in JOURNEYS if c["channel"] == "ussd"]
SMS = [c for c in JOURNEYS if c["channel"] == "sms"]
NODES = build_nodes()


def detail(index: AgencyIndex, licence: str, lang: str) -> str:
    """An agency's detail screen body as the menus word it, read from this index."""
    ctx = Context(lang, Env(agencies=index, today=date(2026, 11, 30)))
    return NODES["check_detail"].view(Frame("check_detail", licence), ctx).body


class TestJourneys:
    @pytest.mark.parametrize("case", USSD, ids=[c["label"] for c in USSD])
    async def test_ussd(self, client: TestClient, case: dict[str, Any]) -> None:
        """Each USSD journey, hop by hop as Africa's Talking sends it, ends on the expected
        screen, which says what it must and not what it must not."""
        body = await walk(client, case["inputs"])
        assert (case["kind"], [], []) == (
            body[:3],
            [f for f in case["contains"] if f not in body],
            [f for f in case["absent"] if f in body],
        ), body

    @pytest.mark.parametrize("case", SMS, ids=[c["label"] for c in SMS])
    async def test_sms(
        self, client: TestClient, conn: asyncpg.Connection, case: dict[str, Any]
    ) -> None:
        """Each SMS check is answered in one SMS that says what it must and not what it must not."""
        reply = await reply_to(client, conn, case["text"])
        assert (True, [], []) == (
            len(reply) <= 160,
            [f for f in case["contains"] if f not in reply],
            [f for f in case["absent"] if f in reply],
        ), reply

    def test_labels_are_unique(self) -> None:
        """Every journey has its own label."""
        labels = [c["label"] for c in JOURNEYS]
        assert sorted(set(labels)) == sorted(labels)

    def test_every_item_in_both_languages(self) -> None:
        """Each issue item these journeys show is shown in Indonesian and in English."""
        langs: dict[int, set[str]] = {}
        for case in JOURNEYS:
            langs.setdefault(case["item"], set()).add(case["label"].split("-")[0])
        assert {item: {"id", "en"} for item in (1, 2, 3, 12, 16)} == langs


class TestRegistryDate:
    async def test_a_new_import_dates_the_answers(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """After an import with a newer snapshot, the answers give its date (item 3)."""
        newer = [replace(a, snapshot_date=date(2026, 12, 1)) for a in sample_agencies()]
        await replace_registry(conn, newer, "update.csv")
        assert await _index_dated(client, date(2026, 12, 1))
        body = await walk(client, ["1", "PT Maju Terus Jaya"])
        assert "Data per 01-12-2026." in body

    async def test_an_undated_registry_says_no_date(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A registry imported without a snapshot date gives no date rather than a wrong one."""
        undated = [replace(a, snapshot_date=None) for a in sample_agencies()]
        await replace_registry(conn, undated, "undated.csv")
        assert await _index_dated(client, None)
        screen = await walk(client, ["1", "PT Contoh Samudra Karya"])
        reply = await reply_to(client, conn, "CEK PT Maju Terus Jaya")
        assert ("Data per" not in screen, "Data per" not in reply) == (True, True), (screen, reply)


async def _index_dated(client: TestClient, expected: object) -> bool:
    """Whether the running app's index reaches this snapshot date within 5 seconds."""
    for _ in range(50):
        if client.server.app[keys.DIRECTORY].index.snapshot_date == expected:
            return True
        await asyncio.sleep(0.1)
    return False


class TestHeadOffice:
    @pytest.mark.parametrize("lang", ["id", "en"])
    def test_never_cut_mid_word(self, lang: str) -> None:
        """On every agency's detail the head office is whole or cut between words (item 12)."""
        index = AgencyIndex(sample_agencies())
        label = {"id": "Pusat: ", "en": "HQ: "}[lang]
        cut_mid_word = []
        for agency in index.agencies:
            lines = detail(index, agency.licence_number, lang).split("\n")
            shown = [line.removeprefix(label) for line in lines if line.startswith(label)]
            whole = place(agency.head_office_city)
            if shown and not (shown[0] == whole or whole.startswith(shown[0][:-2] + " ")):
                cut_mid_word.append((whole, shown[0]))
        assert [] == cut_mid_word
