"""The phone simulator's route and page over HTTP (the browser tests drive it in Chromium)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway.app import WORKER, create_app, make_sender
from gateway.config import Config
from gateway.phones import normalize
from storage.officials import import_officials, parse_officials
from storage.regions import load_kecamatan
from storage.sample import sample_officials_csv
from storage.tips import CATEGORIES
from tests.browser.conftest import free_port

TOKEN = "simulator-callback-token-0123"
PHONE = "+6281200000001"


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


async def test_page_never_carries_the_callback_token(
    sample_db: str, config: Config, aiohttp_client: Any
) -> None:
    """The page posts to its own endpoints; the callback token stays on the server."""
    client = await demo_client(sample_db, config, aiohttp_client, callback_token=TOKEN)
    html = await (await client.get("/simulator")).text()
    assert TOKEN not in html


@pytest.mark.parametrize(
    ("provider", "base_url"),
    [
        ("africastalking", "http://127.0.0.1:8123/local-at/version1"),
        ("infobip", "http://127.0.0.1:8123/local-infobip"),
    ],
)
async def test_local_gateway_url_has_no_token(config: Config, provider: str, base_url: str) -> None:
    """The sender's base URL for the local gateway stays a plain path when a token is set."""
    settings = replace(config, demo=True, callback_token=TOKEN, port=8123, sms_provider=provider)
    sender = make_sender(settings)
    try:
        assert base_url == getattr(sender, "base_url", None)
    finally:
        await sender.close()


def test_infobip_reports_come_back_with_the_token(config: Config) -> None:
    """The local Infobip fake is told to post reports to our callback, token included."""
    settings = replace(config, demo=True, callback_token=TOKEN, port=8123, sms_provider="infobip")
    sender = make_sender(settings)
    assert f"http://127.0.0.1:8123/infobip/sms/delivery?token={TOKEN}" == getattr(
        sender, "report_url", None
    )


async def live_demo(
    sample_db: str, config: Config, aiohttp_server: Any, aiohttp_client: Any, provider: str
) -> TestClient:
    """The demo on a real port (the local gateway's URLs point at it), for `provider`."""
    port = free_port()
    settings = replace(config, demo=True, port=port, sms_provider=provider, callback_token=TOKEN)
    server = await aiohttp_server(create_app(settings, sample_db), port=port)
    client: TestClient = await aiohttp_client(server)
    return client


async def simulate(client: TestClient, path: str, body: dict[str, Any]) -> tuple[int, str]:
    """POST to one of the simulator's endpoints as its page does."""
    response = await client.post(path, json=body, headers={"X-Simulator": "1"})
    return response.status, await response.text()


@pytest.mark.parametrize("provider", ["africastalking", "infobip"])
async def test_sms_reaches_the_service_and_reply_shows(
    sample_db: str,
    config: Config,
    conn: asyncpg.Connection,
    aiohttp_server: Any,
    aiohttp_client: Any,
    provider: str,
) -> None:
    """An SMS from the page reaches the provider's callback in its format, and the reply the
    local gateway took shows in /simulator/messages."""
    client = await live_demo(sample_db, config, aiohttp_server, aiohttp_client, provider)
    answer = await simulate(client, "/simulator/sms", {"phone": PHONE, "text": "INFO"})
    while await client.server.app[WORKER].drain_once():
        pass
    listed = await (await client.get("/simulator/messages")).json()
    assert ((200, "200\n"), 1, [PHONE]) == (
        answer,
        await conn.fetchval("SELECT count(*) FROM sms_inbound"),
        [m["to"] for m in listed],
    )


async def test_ussd_hop_through_the_simulator(
    sample_db: str, config: Config, aiohttp_server: Any, aiohttp_client: Any
) -> None:
    """A dial from the page reaches the USSD callback and answers its first screen."""
    client = await live_demo(sample_db, config, aiohttp_server, aiohttp_client, "infobip")
    status, text = await simulate(
        client, "/simulator/ussd", {"session": "sim-1", "phone": PHONE, "inputs": []}
    )
    assert (200, "CON ") == (status, text[:4])


@pytest.mark.parametrize("path", ["/simulator/sms", "/simulator/ussd", "/simulator/ussd/end"])
async def test_posts_without_the_page_header_refused(
    sample_db: str, config: Config, aiohttp_client: Any, path: str
) -> None:
    """A post without the page's header (a cross-site form cannot send it) is refused."""
    client = await demo_client(sample_db, config, aiohttp_client)
    response = await client.post(path, json={"phone": PHONE, "text": "INFO"})
    assert 403 == response.status


def test_demo_never_comes_from_the_environment() -> None:
    """Only `serve --demo` turns demo mode on, never an environment variable."""
    environ = {"HOTLINE_DEMO": "on", "DEMO": "1", "HOTLINE_SECRET": "x" * 20}
    assert Config.from_env(environ).demo is False
