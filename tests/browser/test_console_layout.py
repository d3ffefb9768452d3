"""The console at a phone's width and a desk's (issue 17): every page each role may open, at
360 and 1280 px, in Debian's Chromium. Nothing is wider than the window (the page never scrolls
sideways), chart text is at least 12 px, and a refusal or an unknown address is a console page
with a way home. One live app, one browser; a screenshot per page and width in tests/artifacts/."""

from __future__ import annotations

import re

import asyncpg
from playwright.async_api import Page, expect

from storage.registry_csv import format_agencies
from storage.sample import sample_agencies
from tests.browser.conftest import ARTIFACTS, LiveServer
from tests.browser.test_console import NEW_AGENCY, log_in, report, settled_outbox
from tests.console_helpers import add_account

WIDTHS = (360, 1280)
ALL = ("operator", "investigator", "admin")
TIPS = ("investigator", "admin")
# Every console page with the roles that may open it ({receipt} and {message}: the test's own).
PAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("/console", ALL),
    ("/console/delivery", ALL),
    ("/console/delivery/{message}", ALL),
    ("/console/registry", ALL),
    ("/console/job-orders", ALL),
    ("/console/charts", ALL),
    ("/console/charts?days=90", ALL),
    ("/console/coordination", ALL),
    ("/console/rekap", ALL),
    ("/console/checks", ALL),
    ("/console/tips", TIPS),
    ("/console/tips/{receipt}", TIPS),
    ("/console/migrants", TIPS),
    ("/console/broadcasts", TIPS),
    ("/console/officials", ("admin",)),
    ("/console/accounts", ("admin",)),
    ("/console/audit", ("admin",)),
    ("/console/no-such-page", ALL),
)
# What sticks out of the window: the document's own width, then each element's box.
OVERFLOW_JS = """() => {
  const width = window.innerWidth;
  const wide = [];
  if (document.documentElement.scrollWidth > width) {
    wide.push(`document ${document.documentElement.scrollWidth}px`);
  }
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.right > width + 0.5 || box.left < -0.5) {
      wide.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className.baseVal ?? el.className}`
        + ` ${Math.round(box.left)}..${Math.round(box.right)}`);
    }
  }
  return wide.slice(0, 5);
}"""
# The smallest chart text as drawn: its font size times the drawing's scale on screen.
CHART_TEXT_JS = """() => {
  let smallest = Infinity;
  for (const svg of document.querySelectorAll("svg.chart")) {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    for (const text of svg.querySelectorAll("text")) {
      smallest = Math.min(smallest, parseFloat(getComputedStyle(text).fontSize) * scale);
    }
  }
  return smallest;
}"""


async def upload_preview(page: Page, live: LiveServer) -> str:
    """As an admin, upload a registry CSV; the preview page's path."""
    await page.goto(f"{live.url}/console/registry")
    csv_bytes = format_agencies([*sample_agencies(), NEW_AGENCY]).encode()
    await page.locator("input[type=file]").set_input_files(
        {"name": "bp2mi.csv", "mimeType": "text/csv", "buffer": csv_bytes}
    )
    await page.locator("form[action$='/upload'] button").click()
    await expect(page).to_have_url(re.compile(r"/console/registry/uploads/\d+$"))
    return page.url.removeprefix(live.url)


async def check(page: Page, live: LiveServer, role: str, width: int, path: str) -> list[str]:
    """Open a page at this width; what is wrong with its layout (nothing when all is well)."""
    response = await page.goto(live.url + path)
    assert response is not None
    problems = []
    if response.status not in (200, 404) or (response.status == 404) != path.endswith("-page"):
        problems.append(f"status {response.status}")
    if await page.locator("header a[href='/console']").count() == 0:
        problems.append("not in the console layout")
    problems += await page.evaluate(OVERFLOW_JS)
    smallest = await page.evaluate(CHART_TEXT_JS)
    if smallest < 11.95:
        problems.append(f"chart text {smallest:.1f}px")
    name = path.strip("/").replace("/", "_").replace("?", "_").replace("=", "") or "home"
    await page.screenshot(path=str(ARTIFACTS / f"layout-{width}-{role}-{name}.png"), full_page=True)
    return [f"{role} {width}px {path}: {p}" for p in problems]


async def test_every_page_fits_360_and_1280(
    live: LiveServer, page: Page, conn: asyncpg.Connection
) -> None:
    """Each role's pages at 360 and 1280 px: nothing wider than the window, chart text >= 12 px;
    a refused page is a 403 console page with a link home."""
    receipt = await report(live, "Calo minta uang 10 juta untuk ke Taiwan", sms_receipt=True)
    await settled_outbox(conn)
    message = await conn.fetchval("SELECT min(id) FROM outbox")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    for role in ALL:
        await add_account(conn, f"{role}-1", role)
        await page.set_viewport_size({"width": 360, "height": 740})
        await page.context.clear_cookies()
        await log_in(page, live, f"{role}-1")
        paths = [p.format(receipt=receipt, message=message) for p, roles in PAGES if role in roles]
        if role == "admin":
            paths.append(await upload_preview(page, live))
        for width in WIDTHS:
            await page.set_viewport_size({"width": width, "height": 740 if width == 360 else 900})
            for path in paths:
                problems += await check(page, live, role, width, path)
    await page.context.clear_cookies()  # a forbidden page, in the operator's layout
    await log_in(page, live, "operator-1")
    await page.set_viewport_size({"width": 360, "height": 740})
    refused = await page.goto(f"{live.url}/console/accounts")
    assert refused is not None
    await page.screenshot(path=str(ARTIFACTS / "layout-360-operator-forbidden.png"))
    problems += await page.evaluate(OVERFLOW_JS)
    await expect(page.locator("#home-link")).to_be_visible()
    assert (403, []) == (refused.status, problems)
