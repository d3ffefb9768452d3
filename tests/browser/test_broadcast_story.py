"""Issue 16's broadcast story in a real browser against the live demo app (local gateway, outbox
worker running): a resident subscribes by SMS (DAFTAR INFO <desa>, then YA); one account composes
a desa broadcast and previews it, a second account approves it; the resident's phone receives it
in the simulator; BERHENTI; a second broadcast reaches another subscriber of the desa but not
them. The quiet-hours clock is set to a past noon, so the test passes at any time of day."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import datetime
from typing import Any

import aiohttp
import asyncpg
import pytest
from playwright.async_api import Browser, Page, expect

from gateway.app import create_app
from gateway.config import Config
from gateway.console.auth import hash_password
from gateway.console.broadcasts import CLOCK
from gateway.ussd import WIB
from storage.users import add_user
from tests.browser.conftest import LiveServer, Shot, free_port, load_sample_officials
from tests.browser.test_console import inbound_sms, log_in
from tests.console_helpers import PASSWORD

RESIDENT = "+6281200000101"
NEIGHBOUR = "+6281200000102"
SUKANEGARA = "36.04.12.2002"  # Desa Sukanegara, Kec. Pontang
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=WIB)  # inside the sending window, and past
FIRST = "Sosialisasi kerja ke luar negeri resmi, Sabtu 09.00 di balai desa Sukanegara."
SECOND = "Pendaftaran pelatihan calon pekerja migran dibuka di kantor desa Sukanegara."
WAIT_S = 20.0


@pytest.fixture
async def live(sample_db: str, config: Config, aiohttp_server: Any) -> LiveServer:
    """The demo app with its broadcast clock set to a past noon."""
    await load_sample_officials(sample_db)
    port = free_port()
    settings = replace(
        config, demo=True, port=port, at_username=None, at_api_key=None, at_api_url=None,
        run_worker=True, retry_base_s=0.05, broadcast_per_second=20.0,
    )  # fmt: skip
    app = create_app(settings, sample_db)
    app[CLOCK] = lambda: NOON
    server = await aiohttp_server(app, port=port)
    return LiveServer(str(server.make_url("")).rstrip("/"), sample_db, settings)


async def received(live: LiveServer, phone: str, text: str) -> bool:
    """Whether the simulator's phone `phone` got an SMS containing `text`, waiting a while."""
    deadline = time.monotonic() + WAIT_S
    async with aiohttp.ClientSession() as http:
        while True:
            async with http.get(f"{live.url}/simulator/messages") as response:
                messages = await response.json()
            if any(m["to"] == phone and text in m["text"] for m in messages):
                return True
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.3)


async def compose_and_submit(page: Page, live: LiveServer, text: str, recipients: int) -> str:
    """Compose a Sukanegara broadcast, check its preview, submit it; the broadcast's URL."""
    await page.goto(f"{live.url}/console/broadcasts")
    await page.locator("#area").fill(SUKANEGARA)
    await page.locator("#body_id").fill(text)
    await page.locator("#body_en").fill("Official work-abroad briefing at the desa office.")
    await page.locator("#compose button[type=submit]").click()
    await expect(page.locator("#recipients")).to_have_text(str(recipients))
    await expect(page.locator("#preview tr[data-lang=id] .segments")).to_have_text("1")
    await page.locator("#submit-broadcast button[type=submit]").click()
    await expect(page.locator("#status")).to_have_attribute("data-status", "pending")
    await expect(page.locator("#approve")).to_have_count(0)  # the author cannot approve
    return page.url


async def approve_as(browser: Browser, live: LiveServer, url: str, shot: Shot) -> None:
    """A second account, in its own browser profile, approves the broadcast."""
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await log_in(page, live, "penyetuju")
        await page.goto(url)
        await page.locator("#approve button[type=submit]").click()
        await expect(page.locator("#approved")).to_be_visible()
        await expect(page.locator("#status")).to_have_attribute("data-status", "queued")
        await shot("approved", page)
    finally:
        await context.close()


async def test_subscribe_broadcast_stop(
    live: LiveServer, page: Page, browser: Browser, shot: Shot, conn: asyncpg.Connection
) -> None:
    """Subscribed by SMS, the resident gets the approved desa broadcast; after BERHENTI the
    next one reaches their neighbour only."""
    await add_user(conn, "penulis", "investigator", hash_password(PASSWORD), "36.04.12")
    await add_user(conn, "penyetuju", "admin", hash_password(PASSWORD))
    await inbound_sms(live, RESIDENT, "DAFTAR INFO Sukanegara")
    assert await received(live, RESIDENT, "Balas YA")
    await inbound_sms(live, RESIDENT, "YA")
    assert await received(live, RESIDENT, "Terdaftar")

    await log_in(page, live, "penulis")
    url = await compose_and_submit(page, live, FIRST, recipients=1)
    await shot("submitted")
    await approve_as(browser, live, url, shot)
    assert await received(live, RESIDENT, FIRST)
    assert await received(live, RESIDENT, "BERHENTI")  # every broadcast says how to stop

    await inbound_sms(live, RESIDENT, "BERHENTI")
    await inbound_sms(live, NEIGHBOUR, "DAFTAR INFO 36.04.12.2002")
    await inbound_sms(live, NEIGHBOUR, "YA")
    url = await compose_and_submit(page, live, SECOND, recipients=1)
    await approve_as(browser, live, url, shot)
    assert await received(live, NEIGHBOUR, SECOND)
    assert not await received(live, RESIDENT, SECOND)
    await page.goto(url)
    await expect(page.locator("#figures tr[data-status=delivered] td")).to_have_text("1")
    await shot("delivered")
