"""The console's defences as Chromium meets them (issue 11, findings 9 and 10): a page on
another site cannot log the browser into the attacker's account, and every console page renders
under its Content-Security-Policy without a single violation."""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web
from playwright.async_api import ConsoleMessage, Page, expect

from tests.browser.conftest import LiveServer, Shot
from tests.browser.test_console import log_in, report
from tests.console_helpers import PASSWORD, add_account

# The attacker's page: their own account, their own valid form token, posted on load.
LURE = """<!doctype html><html><body>
<form id="lure" method="post" action="{action}">
<input name="name" value="penyerang"><input name="password" value="{password}">
<input name="login_csrf" value="{token}"><input name="next" value="/console">
</form><script>document.getElementById("lure").submit();</script>
</body></html>"""
HEADER_GREEN = "rgb(11, 83, 69)"  # console.css: header background


async def attackers_token(live: LiveServer) -> str:
    """A login form token the attacker fetched with their own pre-session cookie."""
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{live.url}/console/login") as response:
            match = re.search(r'name="login_csrf" value="([^"]+)"', await response.text())
    assert match is not None
    return match.group(1)


async def test_foreign_page_cannot_log_the_browser_in(
    live: LiveServer, page: Page, shot: Shot, conn: asyncpg.Connection, aiohttp_server: Any
) -> None:
    """A page served from another site (localhost vs 127.0.0.1) that auto-submits the login
    form with the attacker's account is refused, and the browser stays logged out."""
    await add_account(conn, "penyerang", "operator")
    lure = LURE.format(
        action=f"{live.url}/console/login", password=PASSWORD, token=await attackers_token(live)
    )

    async def lure_page(request: web.Request) -> web.Response:
        return web.Response(text=lure, content_type="text/html")

    foreign = web.Application()
    foreign.router.add_get("/", lure_page)
    server = await aiohttp_server(foreign)
    assert live.url.startswith("http://127.0.0.1:")

    await page.goto(f"http://localhost:{server.port}/")
    await expect(page).to_have_url(f"{live.url}/console/login")
    await expect(page.locator("#cross-site")).to_be_visible()
    await shot("cross-site-login-refused")
    assert "hotline_session" not in {c["name"] for c in await page.context.cookies()}

    await page.goto(f"{live.url}/console")
    await expect(page).to_have_url(f"{live.url}/console/login?next=/console")
    await shot("still-logged-out")


async def test_pages_render_under_the_content_security_policy(
    live: LiveServer, page: Page, shot: Shot, conn: asyncpg.Connection
) -> None:
    """An admin walks every console page: the stylesheet applies and Chromium reports no
    Content-Security-Policy violation."""
    await add_account(conn, "admin-csp", "admin")
    receipt = await report(live, "Calo minta uang 10 juta untuk ke Taiwan")
    violations: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", on_console)
    await log_in(page, live, "admin-csp")
    for path in (
        "/console",
        "/console/delivery",
        "/console/delivery/1",
        "/console/tips",
        f"/console/tips/{receipt}",
        "/console/registry",
        "/console/officials",
        "/console/charts",
        "/console/rekap",
        "/console/coordination",
        "/console/audit",
    ):
        response = await page.goto(f"{live.url}{path}")
        assert response is not None and 200 == response.status, path
        await expect(page.locator("header")).to_have_css("background-color", HEADER_GREEN)
    await shot("charts-under-csp")
    assert [] == violations
