"""The phone simulator's route and page over HTTP (the browser tests drive it in Chromium)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway.app import LOCAL_GATEWAY, create_app, make_sender
from gateway.config import Config
from gateway.phones import normalize
from gateway.simulator import MESSAGES_URL
from storage.officials import import_officials, parse_officials
from storage.regions import load_kecamatan
from storage.sample import sample_officials_csv
from storage.tips import CATEGORIES

TOKEN = "simulator-callback-token-0123"


async def demo_client(
    sample_db: str, config: Config, aiohttp_client: Any, **changes: Any
) -> TestClient:
    """The app in demo mode."""
    return await aiohttp_client(create_app(replace(config, demo=True, **changes), sample_db))


async def test_absent_without_demo(client: TestClient) -> None:
    """Outside demo mode /simulator does not exist."""
    response = await client.get("/simulator")
    assert 404 == response.status


async def test_page_lists_active_officials(
    sample_db: str, conn: asyncpg.Connection, config: Config, aiohttp_client: Any
) -> None:
    """The page offers every active official by number, not deactivated ones."""
    codes = {k.code for k in await load_kecamatan(conn)}
    officials = parse_officials(sample_officials_csv(), normalize, codes, CATEGORIES)
    await import_officials(conn, officials[:-1], sample=True)  # the last one is deactivated
    client = await demo_client(sample_db, config, aiohttp_client)
    response = await client.get("/simulator")
    html = await response.text()
    assert 200 == response.status
    offered = re.findall(r'<option value="(\+\d+)"', html)
    assert sorted(o.phone for o in officials[:-1]) == sorted(offered)
    assert officials[-1].phone not in html


async def test_inline_script_is_pinned_by_nonce(
    sample_db: str, config: Config, aiohttp_client: Any
) -> None:
    """Only the page's own script, carrying the response's nonce, may run."""
    client = await demo_client(sample_db, config, aiohttp_client)
    response = await client.get("/simulator")
    html = await response.text()
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"script-src 'nonce-([^']+)'", policy)
    assert nonce is not None
    assert f'<script nonce="{nonce.group(1)}">' in html
    assert "no-store" == response.headers["Cache-Control"]


@pytest.mark.parametrize(("token", "shown"), [(None, '"token": ""'), (TOKEN, f'"{TOKEN}"')])
async def test_callback_token_rendered_only_when_set(
    sample_db: str, config: Config, aiohttp_client: Any, token: str | None, shown: str
) -> None:
    """The page carries HOTLINE_CALLBACK_TOKEN for its callbacks when one is set."""
    client = await demo_client(sample_db, config, aiohttp_client, callback_token=token)
    html = await (await client.get("/simulator")).text()
    assert shown in html


def test_messages_url_is_the_local_gateways() -> None:
    """The inboxes read the messages list where the app mounts the local gateway."""
    assert MESSAGES_URL == f"{LOCAL_GATEWAY}/fake-at/messages"


def test_local_gateway_url_has_no_token(config: Config) -> None:
    """The SDK's base URL for the local gateway stays a plain path when a token is set."""
    sender = make_sender(replace(config, demo=True, callback_token=TOKEN, port=8123))
    try:
        assert "http://127.0.0.1:8123/local-at/version1" == sender.base_url
    finally:
        sender.close()


async def test_rotating_tokens_render_the_first(
    sample_db: str, config: Config, aiohttp_client: Any
) -> None:
    """While tokens rotate, the page carries the first one only (any one is accepted)."""
    tokens = f"{TOKEN},{TOKEN}-next"
    client = await demo_client(sample_db, config, aiohttp_client, callback_token=tokens)
    html = await (await client.get("/simulator")).text()
    assert (True, False) == (f'"token": "{TOKEN}"' in html, "-next" in html)


def test_demo_never_comes_from_the_environment() -> None:
    """Only `serve --demo` turns demo mode on, never an environment variable."""
    environ = {"HOTLINE_DEMO": "on", "DEMO": "1", "HOTLINE_SECRET": "x" * 20}
    assert Config.from_env(environ).demo is False
