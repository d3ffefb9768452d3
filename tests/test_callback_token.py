"""HOTLINE_CALLBACK_TOKEN: AT's callbacks must carry it; health checks need none.

Tests' clients add the app's token to `/at/...` themselves (tests/conftest.py AtTestClient); the
clients here turn that off to send exactly the token each test names.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway.app import create_app
from gateway.config import Config
from tests.conftest import AtTestClient

TOKEN = "tok-0123456789abcdef"
PHONE = "+6281234567890"
CALLBACKS = [
    # (path, a form AT would post there)
    (
        "/at/ussd",
        {
            "sessionId": "ATUid_token",
            "phoneNumber": PHONE,
            "networkCode": "51010",
            "serviceCode": "*123*45#",
            "text": "",
        },
    ),
    (
        "/at/ussd/events",
        {
            "sessionId": "ATUid_token",
            "phoneNumber": PHONE,
            "status": "Success",
            "date": "2026-11-30 10:00:00",
            "input": "",
        },
    ),
    (
        "/at/sms/inbound",
        {
            "from": PHONE,
            "to": "98765",
            "text": "INFO",
            "date": "2026-11-30 10:00:00",
            "id": "ATXid_token",
        },
    ),
    ("/at/sms/delivery", {"id": "ATXid_token", "status": "Success"}),
]
PATHS = [path for path, _ in CALLBACKS]


async def unsigned(aiohttp_client: Any, config: Config, database_url: str) -> AtTestClient:
    """A client of the app with this config that sends only the tokens a test gives."""
    client: AtTestClient = await aiohttp_client(create_app(config, database_url))
    client.sign_callbacks = False
    return client


@pytest.fixture
async def guarded(sample_db: str, config: Config, aiohttp_client: Any) -> TestClient:
    """The app with a callback token set."""
    return await unsigned(
        aiohttp_client, dataclasses.replace(config, callback_token=TOKEN), sample_db
    )


class TestRefused:
    @pytest.mark.parametrize(("path", "form"), CALLBACKS, ids=PATHS)
    async def test_without_token(
        self, guarded: TestClient, path: str, form: dict[str, str]
    ) -> None:
        """A callback without ?token= is refused with 403."""
        response = await guarded.post(path, data=form)
        assert 403 == response.status

    @pytest.mark.parametrize(
        "token",
        ["wrong-0123456789abcdef", TOKEN[:-1], TOKEN + "0", TOKEN.upper(), ""],
        ids=["wrong", "prefix", "longer", "other-case", "empty"],
    )
    @pytest.mark.parametrize(("path", "form"), CALLBACKS, ids=PATHS)
    async def test_with_wrong_token(
        self, guarded: TestClient, path: str, form: dict[str, str], token: str
    ) -> None:
        """A callback with any token but the right one is refused with 403."""
        response = await guarded.post(path, params={"token": token}, data=form)
        assert 403 == response.status

    async def test_refusal_says_why(self, guarded: TestClient) -> None:
        """The 403 says the token is missing or wrong, and nothing more."""
        response = await guarded.post("/at/sms/delivery", data=CALLBACKS[3][1])
        assert "callback token missing or wrong\n" == await response.text()

    async def test_refused_callback_has_no_effect(
        self, guarded: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A refused inbound SMS is not handled: nothing recorded, no reply queued."""
        path, form = CALLBACKS[2]
        await guarded.post(path, params={"token": "wrong-0123456789abcdef"}, data=form)
        assert (0, 0) == (
            await conn.fetchval("SELECT count(*) FROM sms_inbound"),
            await conn.fetchval("SELECT count(*) FROM outbox"),
        )


class TestAccepted:
    @pytest.mark.parametrize(("path", "form"), CALLBACKS, ids=PATHS)
    async def test_with_right_token(
        self, guarded: TestClient, path: str, form: dict[str, str]
    ) -> None:
        """A callback with the right token is handled (200)."""
        response = await guarded.post(path, params={"token": TOKEN}, data=form)
        assert 200 == response.status, await response.text()

    async def test_ussd_answers_menu(self, guarded: TestClient) -> None:
        """With the right token, /at/ussd answers with the main menu."""
        path, form = CALLBACKS[0]
        response = await guarded.post(path, params={"token": TOKEN}, data=form)
        assert (await response.text()).startswith("CON Layanan Info Kerja Luar Negeri")

    @pytest.mark.parametrize("path", ["/healthz", "/readyz"])
    async def test_health_needs_no_token(self, guarded: TestClient, path: str) -> None:
        """Health checks answer without a token."""
        response = await guarded.get(path)
        assert 200 == response.status


class TestUnsetInTheDemo:
    @pytest.mark.parametrize(("path", "form"), CALLBACKS, ids=PATHS)
    async def test_no_token_needed(
        self, sample_db: str, config: Config, aiohttp_client: Any, path: str, form: dict[str, str]
    ) -> None:
        """In the demo without HOTLINE_CALLBACK_TOKEN, callbacks need no token."""
        demo = dataclasses.replace(config, demo=True, callback_token=None)
        client = await unsigned(aiohttp_client, demo, sample_db)
        response = await client.post(path, data=form)
        assert 200 == response.status, await response.text()
