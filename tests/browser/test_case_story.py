"""The whole story of one case, as issue 14's "Done when" tells it, in a real browser against the
live app: a resident reports by USSD, the kepala desa takes it (OK) and hands it to the police
(TERUSKAN ... POLRES) by SMS, a police investigator works it in the console (diselidiki, a
question), the resident answers by USSD, the investigator closes it as tidak_terbukti. After
each step the resident's STATUS (USSD menu 3) shows that step's public line; an account of
another kecamatan finds the case nowhere (list, receipt and text search, direct URL, case
action, API, delivery and coordination CSV)."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg
from playwright.async_api import Browser, Page, expect

from storage.users import add_api_token
from tests.browser.conftest import LiveServer, Shot
from tests.browser.test_console import inbound_sms, log_in, report, ussd_walk
from tests.console_helpers import add_account
from ussd_menus.receipts import show_receipt

KADES_PONTANG = "+6281199000030"  # sample directory: Tatang Contoh, Desa Sampel, Kec. Pontang
POLRES_PPA = "+6281199000038"  # Rudi Fiktif, Kanit PPA, Polres Serang
STORY = "Calo dari PT Fiktif Jaya minta uang 8 juta untuk kerja ke Malaysia"
QUESTION = "Berapa orang yang sudah membayar kepada calo itu?"
ANSWER = "Hari Jumat kemarin sore"
CIRUAS = "36.04.09"


async def resident_status(live: LiveServer, receipt: str) -> str:
    """What the resident reads in USSD menu 3 for this receipt (the first page)."""
    return await ussd_walk(live, ["3", receipt])


async def official_sms_to(conn: asyncpg.Connection, phone: str, cause: str) -> list[str]:
    """Bodies of the SMS queued for one official with a cause LIKE this, oldest first."""
    rows = await conn.fetch(
        "SELECT o.body FROM outbox o JOIN officials f ON f.id = o.official_id"
        " WHERE f.phone = $1 AND o.cause LIKE $2 ORDER BY o.id",
        phone,
        cause,
    )
    return [r["body"] for r in rows]


async def case_form(page: Page, action: str) -> None:
    """Submit one of the case's forms on the tip page; wait for the outcome line."""
    await page.locator(f"form[action$='/case/{action}'] button[type=submit]").click()
    await expect(page.locator("#case-outcome")).to_be_visible()


async def test_case_from_report_to_closed_across_agencies(
    live: LiveServer, page: Page, browser: Browser, shot: Shot, conn: asyncpg.Connection
) -> None:
    """Report, OK, TERUSKAN POLRES, diselidiki, a question, the answer, tidak_terbukti; each
    public step on STATUS; another kecamatan's account never finds the case."""
    receipt = await report(live, STORY)
    assert "Diteruskan" in await resident_status(live, receipt)  # alerted to the local tier
    assert [] != await official_sms_to(conn, KADES_PONTANG, "alert:%")

    await inbound_sms(live, KADES_PONTANG, f"OK {receipt}")
    assert "Diterima petugas" in await resident_status(live, receipt)

    await inbound_sms(live, KADES_PONTANG, f"TERUSKAN {receipt} POLRES")
    assert "Diteruskan ke polisi" in await resident_status(live, receipt)
    assert "POLRES" == await conn.fetchval("SELECT holder FROM tips WHERE receipt = $1", receipt)
    assert [] != await official_sms_to(conn, POLRES_PPA, "alert:%")

    await add_account(conn, "penyidik-polres", "investigator")
    await log_in(page, live, "penyidik-polres")
    await page.goto(f"{live.url}/console/tips?q=Malaysia")  # found by a word of its story
    await page.locator(f"#tips tr[data-receipt='{receipt}'] a").click()
    await expect(page.locator("#tip-description")).to_have_text(STORY)
    await page.locator("form[action$='/case/status'] select[name=status]").select_option(
        "diselidiki"
    )
    await page.locator("form[action$='/case/status'] input[name=note]").fill("cek PT di Kemnaker")
    await case_form(page, "status")
    await expect(page.locator("#case-outcome")).not_to_have_class("problem")
    assert "Sedang diselidiki" in await resident_status(live, receipt)
    await shot("investigating")

    await page.locator("form[action$='/case/ask'] textarea[name=question]").fill(QUESTION)
    await case_form(page, "ask")
    await expect(page).to_have_url(re.compile(r"[?&]case=asked(&|#|$)"))  # sent, not held
    status = await resident_status(live, receipt)
    assert "Menunggu jawaban Anda" in status and "Pertanyaan petugas: Berapa" in status, status
    assert "cek PT di Kemnaker" not in status  # the internal note never reaches the resident

    answered = await ussd_walk(live, ["3", receipt, "1", ANSWER])
    assert answered.startswith("END "), answered
    await page.reload()
    await expect(page.locator("#thread")).to_contain_text(ANSWER)
    await expect(page.locator("#thread")).to_contain_text("penyidik-polres")
    await shot("answered")

    await page.locator("form[action$='/case/close'] select[name=status]").select_option(
        "tidak_terbukti"
    )
    await case_form(page, "close")
    assert "Selesai, bukti belum cukup" in await resident_status(live, receipt)
    await expect(page.locator("#case-history")).to_contain_text("penyidik-polres")
    await shot("closed")
    moves = await conn.fetch(
        "SELECT e.to_status FROM case_events e JOIN tips t ON t.id = e.tip_id"
        " WHERE t.receipt = $1 ORDER BY e.id",
        receipt,
    )
    assert [
        "diteruskan",
        "diterima",
        "diteruskan",
        "diselidiki",
        "menunggu_pelapor",
        "diselidiki",
        "tidak_terbukti",
    ] == [m["to_status"] for m in moves]

    await assert_hidden_from_another_kecamatan(live, browser, shot, conn, receipt)


async def assert_hidden_from_another_kecamatan(
    live: LiveServer, browser: Browser, shot: Shot, conn: asyncpg.Connection, receipt: str
) -> None:
    """An investigator and an API client of Ciruas find the case nowhere: 404s, empty lists."""
    await add_account(conn, "penyidik-ciruas", "investigator")
    await conn.execute("UPDATE users SET area = $1 WHERE name = 'penyidik-ciruas'", CIRUAS)
    context = await browser.new_context()
    try:
        other = await context.new_page()
        await log_in(other, live, "penyidik-ciruas")
        await other.goto(f"{live.url}/console/tips")
        await expect(other.locator(f"#tips tr[data-receipt='{receipt}']")).to_have_count(0)
        await other.goto(f"{live.url}/console/tips?receipt={receipt}")
        await expect(other.locator("#tips tbody tr[data-receipt]")).to_have_count(0)
        await shot("other-kecamatan-search", other)
        direct = await other.goto(f"{live.url}/console/tips/{receipt}")
        assert direct is not None and 404 == direct.status
        assert STORY not in await other.content()
        await other.goto(f"{live.url}/console/tips?q=Malaysia")
        await expect(other.locator("#tips tbody tr[data-receipt]")).to_have_count(0)
        today = datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()
        cases_csv = await other.request.get(
            f"{live.url}/console/coordination.csv?part=cases&from={today}&to={today}"
        )
        assert 200 == cases_csv.status
        assert receipt not in await cases_csv.text()
        delivery = await other.request.get(f"{live.url}/console/delivery.csv")
        assert 200 == delivery.status
        csv_text = await delivery.text()
        assert receipt not in csv_text and show_receipt(receipt) not in csv_text
        acted = await other.request.post(
            f"{live.url}/console/tips/{receipt}/case/reopen", form={"note": "x"}
        )
        assert acted.status in (403, 404)  # no CSRF token: refused before the area, or 404
    finally:
        await context.close()

    api_token = secrets.token_urlsafe(32)
    await add_api_token(conn, api_token, "ciruas-integration", CIRUAS)
    headers = {"Authorization": f"Bearer {api_token}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.get(f"{live.url}/api/v1/tips/{receipt}") as one:
            assert 404 == one.status
        async with http.get(f"{live.url}/api/v1/tips") as listed:
            assert 200 == listed.status
            assert receipt not in await listed.text()
