"""USSD from a gateway that sends only the latest input (tests/fake_ussd_aggregator.py): the core
serves the same menus, free text with '*' and '#', resume and back/home, across processes."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway.app import create_app
from gateway.config import Config
from tests.fake_ussd_aggregator import dial, register, send

DATA = Path(__file__).parent / "data"
SAME_MENUS = json.loads((DATA / "ussd_dialogues.json").read_text())
LATEST_ONLY = json.loads((DATA / "ussd_latest_input_dialogues.json").read_text())
KINDS = {"CON": "CONTINUE", "END": "END"}
STORY = "Calo*sponsor #1 minta uang 5 juta di desa"
_phones = itertools.count(1)


def phone() -> str:
    """A caller of its own, so no draft or limit crosses between cases."""
    return f"+62812300{next(_phones):05d}"


@pytest.fixture
async def aggregator(sample_db: str, config: Config, aiohttp_client: Any) -> TestClient:
    """The app with the last-input-only adapter mounted, nothing else changed."""
    client: TestClient = await aiohttp_client(register(create_app(config, sample_db)))
    return client


class TestSameMenus:
    @pytest.mark.parametrize("case", SAME_MENUS, ids=[c["label"] for c in SAME_MENUS])
    async def test_every_dialogue_ends_on_the_same_screen(
        self, aggregator: TestClient, case: dict[str, Any]
    ) -> None:
        """Each dialogue of tests/data/ussd_dialogues.json, one input per hop, ends as with AT."""
        kind, message = await dial(aggregator, case["inputs"], phone())
        assert KINDS[case["kind"]] == kind
        assert [] == [f for f in case["contains"] if f not in message]
        assert [] == [f for f in case.get("absent", []) if f in message]


class TestLatestInputDialogues:
    @pytest.mark.parametrize("case", LATEST_ONLY, ids=[c["label"] for c in LATEST_ONLY])
    async def test_dialogue(self, aggregator: TestClient, case: dict[str, Any]) -> None:
        """Each case's sessions, dialled in turn by one caller, end on the expected screen."""
        caller = phone()
        for inputs in case["sessions"]:
            kind, message = await dial(aggregator, inputs, caller)
        assert case["kind"] == kind
        assert [] == [f for f in case["contains"] if f not in message]

    def test_labels_are_unique(self) -> None:
        """Every case has its own label."""
        labels = [c["label"] for c in LATEST_ONLY]
        assert sorted(set(labels)) == sorted(labels)


class TestStoredWhole:
    async def test_story_with_star_and_hash_is_filed_intact(
        self, aggregator: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The tip's description is the story as typed, '*' and '#' included."""
        await dial(aggregator, ["2", "2", "pontang", "1", "1", "1", STORY, "1"], phone())
        assert [STORY] == [
            r["description"] for r in await conn.fetch("SELECT description FROM tips")
        ]

    async def test_inputs_are_kept_in_postgresql(
        self, aggregator: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The core keeps the session's '*'-joined path itself, one row per session."""
        await dial(aggregator, ["1", "zz*top", "1"], phone(), session="agg-kept")
        row = await conn.fetchrow(
            "SELECT path, inputs FROM ussd_inputs WHERE session_id = $1", "agg-kept"
        )
        assert ("1*zz*top*1", 3) == (row["path"], row["inputs"])

    async def test_a_new_dial_starts_a_fresh_path(
        self, aggregator: TestClient, conn: asyncpg.Connection
    ) -> None:
        """BEGIN on a session id seen before starts over at the main menu."""
        caller = phone()
        await dial(aggregator, ["1", "zz*top"], caller, session="agg-again")
        kind, message = await dial(aggregator, [], caller, session="agg-again")
        assert ("CONTINUE", True) == (kind, message.startswith("Layanan Info Kerja"))


class TestSeveralProcesses:
    async def test_alternating_processes_answer_like_one(
        self, aggregator: TestClient, sample_db: str, config: Config, aiohttp_client: Any
    ) -> None:
        """Hops of one session alternating between two gateway processes give the screens one
        process gives: the path and the free-text spans are shared through PostgreSQL."""
        other: TestClient = await aiohttp_client(register(create_app(config, sample_db)))
        inputs = ["1", "zz*top", "1", "Contoh*Samudra", "0", "00", "2", "2", "pontang", "1", "1"]
        alone = [await send(aggregator, "agg-alone", "+6281230099901", "BEGIN")]
        shared = [await send(aggregator, "agg-shared", "+6281230099902", "BEGIN")]
        for n, text in enumerate(inputs, start=1):
            alone.append(await send(aggregator, "agg-alone", "+6281230099901", "CONTINUE", text))
            gateway = other if n % 2 else aggregator
            shared.append(await send(gateway, "agg-shared", "+6281230099902", "CONTINUE", text))
        assert alone == shared
