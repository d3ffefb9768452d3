"""
Browser-test fixtures: the real app on a live port (demo mode, sample registry and officials, the
built-in local gateway, the outbox worker running), Debian's Chromium driven by Playwright, and
one screenshot per test step in tests/artifacts/.

Chromium is never downloaded: it is /usr/bin/chromium (`apt-get install chromium`, done by
.ci/run). Without it every browser test is skipped with a reason saying so.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from gateway.app import create_app
from gateway.config import Config
from gateway.phones import normalize
from storage.officials import import_officials, parse_officials
from storage.regions import load_kecamatan
from storage.sample import sample_officials_csv
from storage.tips import CATEGORIES
from tests.processes import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
STEP_TIMEOUT_MS = 15_000

expect.set_options(timeout=STEP_TIMEOUT_MS)


@dataclass(frozen=True)
class LiveServer:
    """The app listening on a real port, and the database behind it."""

    url: str
    database_url: str
    config: Config


StartServer = Callable[..., Awaitable[LiveServer]]
Shot = Callable[..., Awaitable[Path]]


async def load_sample_officials(database_url: str) -> None:
    """The fictional officials directory, as `serve --demo` loads it."""
    conn = await asyncpg.connect(database_url)
    try:
        codes = {k.code for k in await load_kecamatan(conn)}
        officials = parse_officials(sample_officials_csv(), normalize, codes, CATEGORIES)
        await import_officials(conn, officials, sample=True)
    finally:
        await conn.close()


@pytest.fixture
async def start_server(sample_db: str, config: Config, aiohttp_server: Any) -> StartServer:
    """Starts the demo app on a free port; keyword arguments change its Config."""

    async def start(**changes: Any) -> LiveServer:
        await load_sample_officials(sample_db)
        port = free_port()
        settings = replace(
            config,
            demo=True,
            port=port,  # the local gateway's URLs and its delivery reports point at this server
            at_username=None,
            at_api_key=None,
            at_api_url=None,
            run_worker=True,
            retry_base_s=0.05,
            escalation_check_s=0.2,
            **changes,
        )
        assert settings.local_gateway
        server = await aiohttp_server(create_app(settings, sample_db), port=port)
        return LiveServer(str(server.make_url("")).rstrip("/"), sample_db, settings)

    return start


@pytest.fixture
async def live(start_server: StartServer) -> LiveServer:
    """The demo app with the default test configuration."""
    return await start_server()


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium; every browser test is skipped, saying why, when it is absent."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"browser tests need Debian's Chromium at {CHROMIUM}"
            " (apt-get install -y chromium; .ci/run installs it)"
        )
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium_path: Path) -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, launched once for the whole run."""
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS
        )
        yield chromium
        await chromium.close()


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile (no cookies) per test."""
    ctx = await browser.new_context(viewport={"width": 1366, "height": 900}, locale="id-ID")
    ctx.set_default_timeout(STEP_TIMEOUT_MS)
    yield ctx
    await ctx.close()


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    """One tab of the test's profile."""
    return await context.new_page()


@pytest.fixture
def shot(page: Page, request: pytest.FixtureRequest) -> Shot:
    """Saves a full-page screenshot per step: tests/artifacts/<test>-<nn>-<step>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"[^A-Za-z0-9_-]+", "_", request.node.name).strip("_")
    steps = iter(range(1, 100))

    async def take(step: str, target: Page | None = None) -> Path:
        path = ARTIFACTS / f"{test}-{next(steps):02d}-{step}.png"
        await (target or page).screenshot(path=str(path), full_page=True)
        return path

    return take
