"""The public pages in a real browser (Chromium at a cheap phone's width, 360 px): axe-core finds
no serious or critical accessibility violation, nothing overflows the screen, and each page's
weight as the browser received it stays under 100 KB."""

from __future__ import annotations

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page

from tests.browser.conftest import LiveServer, Shot

PAGES = ["/info", "/info/36.04.12", "/info/36.04.12.2008", "/info/36.04.12.2008/poster"]
SERIOUS = {"serious", "critical"}
WEIGHT_LIMIT = 100 * 1024


@pytest.mark.parametrize("path", PAGES)
async def test_accessible_and_light_on_a_phone(
    live: LiveServer, page: Page, shot: Shot, path: str
) -> None:
    """No serious axe-core violation, no horizontal scrolling at 360 px, under 100 KB."""
    await page.set_viewport_size({"width": 360, "height": 740})
    received: list[int] = []
    page.on("response", lambda r: received.append(int(r.headers.get("content-length", "0"))))
    response = await page.goto(f"{live.url}{path}?q=Sampel")
    assert response is not None and 200 == response.status
    body = await response.body()
    await shot("page")
    results = await Axe().run(page)
    serious = [
        (v["id"], v["help"]) for v in results.response["violations"] if v["impact"] in SERIOUS
    ]
    assert [] == serious
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    wide = await page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right"
        " > window.innerWidth).map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 5)"
    )
    assert overflow <= 0, wide
    assert (1, True) == (len(received), len(body) <= WEIGHT_LIMIT), (received, len(body))
