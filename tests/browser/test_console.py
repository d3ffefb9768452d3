"""The operator console in a real browser: logging in, the delivery log's status filter, a tip's
page for investigators only, a registry CSV upload previewed and applied, and the security checks
a browser can see (markup shown as text, HttpOnly session cookie, CSRF refusal)."""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import re
import time
from dataclasses import replace
from datetime import date

import aiohttp
import asyncpg
from playwright.async_api import Browser, Page, expect

from storage.registry import Agency, load_agencies
from storage.registry_csv import format_agencies
from storage.sample import sample_agencies
from tests.browser.conftest import LiveServer, Shot
from tests.console_helpers import PASSWORD, add_account

RESIDENT = "+6281200000001"
REJECTED_NUMBER = "+62811000403"  # the local gateway answers InvalidPhoneNumber: a failed SMS
SCRIPT_STORY = "<script>document.title='pwned'</script><b>tebal</b> Calo minta 5 juta"
NEW_AGENCY = Agency(
    "99000000000000077",
    "PT Fiktif Baru Sentosa",
    "aktif",
    valid_until=date(2030, 1, 1),
    head_office_city="Kota Serang",
    head_office_province="Banten",
    branch_cities=("Kabupaten Serang",),
)
SETTLE_S = 20.0
_sessions = itertools.count()


def token(live: LiveServer) -> dict[str, str]:
    """The query AT's configured callback URLs carry (the server's first callback token)."""
    return {"token": live.config.callback_tokens[0]} if live.config.callback_tokens else {}


async def ussd_walk(live: LiveServer, inputs: list[str], phone: str = RESIDENT) -> str:
    """One USSD session posted to the live server as AT does; the last screen."""
    session_id = f"ATUid_console_{next(_sessions)}"
    screen = ""
    async with aiohttp.ClientSession() as http:
        for n in range(len(inputs) + 1):
            form = {
                "sessionId": session_id,
                "phoneNumber": phone,
                "networkCode": "99999",
                "serviceCode": "*123#",
                "text": "*".join(inputs[:n]),
            }
            async with http.post(f"{live.url}/at/ussd", params=token(live), data=form) as response:
                assert 200 == response.status
                screen = await response.text()
    return screen


async def inbound_sms(live: LiveServer, sender: str, text: str) -> None:
    """One SMS from a resident, posted as AT does."""
    form = {"from": sender, "to": "12345", "text": text, "id": f"ATXid_console_{next(_sessions)}"}
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{live.url}/at/sms/inbound", params=token(live), data=form
        ) as response:
            assert 200 == response.status


async def report(live: LiveServer, story: str, sms_receipt: bool = False) -> str:
    """File a calo tip in Pontang by USSD (desa and agency skipped); its receipt."""
    screen = await ussd_walk(
        live, ["2", "2", "pontang", "1", "1", "1", story, "1", "2" if sms_receipt else "1"]
    )
    assert screen.startswith("END "), screen
    return "".join(c for c in screen.split("Nomor laporan:")[1].split("\n")[0] if c.isdigit())


async def settled_outbox(conn: asyncpg.Connection) -> dict[str, int]:
    """Outbox rows by status once none is waiting for the worker or a delivery report."""
    deadline = time.monotonic() + SETTLE_S
    while True:
        rows = await conn.fetch("SELECT status, count(*) AS n FROM outbox GROUP BY status")
        counts = {r["status"]: int(r["n"]) for r in rows}
        if counts and not {"queued", "sending", "sent"} & set(counts):
            return counts
        assert time.monotonic() < deadline, f"outbox did not settle: {counts}"
        await asyncio.sleep(0.2)


async def log_in(page: Page, live: LiveServer, name: str, password: str = PASSWORD) -> None:
    """Log in through the login form; lands on the console's home page."""
    await page.goto(f"{live.url}/console/login")
    await page.locator("input[name=name]").fill(name)
    await page.locator("input[name=password]").fill(password)
    await page.locator("main button[type=submit]").click()
    await expect(page).to_have_url(f"{live.url}/console")
    await expect(page.locator("header .who")).to_contain_text(name)


async def filter_status(page: Page, status: str) -> None:
    """Pick a status in the delivery log's filter and apply it."""
    await page.locator("select[name=status]").select_option(status)
    await page.locator("nav.filters button[type=submit]").click()
    await expect(page).to_have_url(re.compile(rf"/console/delivery\?(.*&)?status={status}(&|$)"))


async def test_delivery_log_filters_by_status(
    live: LiveServer, page: Page, shot: Shot, conn: asyncpg.Connection
) -> None:
    """An operator filters the delivery log to failed, then delivered SMS; no number is shown."""
    await add_account(conn, "operator-1", "operator")
    await report(live, "Calo minta uang 10 juta untuk ke Taiwan", sms_receipt=True)
    await inbound_sms(live, REJECTED_NUMBER, "INFO")
    counts = await settled_outbox(conn)
    assert counts.get("failed", 0) == 1 and counts.get("delivered", 0) >= 2, counts

    await log_in(page, live, "operator-1")
    await shot("logged-in")
    await page.goto(f"{live.url}/console/delivery")
    rows = page.locator("#delivery-log tbody tr")
    await expect(rows).to_have_count(sum(counts.values()))
    await shot("all-messages")

    await filter_status(page, "failed")
    await expect(rows).to_have_count(1)
    await expect(rows.locator("td.status-failed")).to_have_text("Gagal (permanen)")
    await expect(rows.locator("td").nth(2)).to_have_text("warga")
    await shot("failed-only")

    await filter_status(page, "delivered")
    await expect(rows).to_have_count(counts["delivered"])
    await expect(rows.locator("td.status-delivered")).to_have_count(counts["delivered"])
    await shot("delivered-only")
    content = await page.content()
    assert "811000403" not in content and "81200000001" not in content


async def test_tip_page_for_investigators_only(
    live: LiveServer, page: Page, browser: Browser, shot: Shot, conn: asyncpg.Connection
) -> None:
    """An investigator reads a tip (its markup shown as text, the read audited); an operator
    is refused with 403 and leaves no audit row."""
    await add_account(conn, "penyidik", "investigator")
    await add_account(conn, "operator-2", "operator")
    receipt = await report(live, SCRIPT_STORY)

    await log_in(page, live, "penyidik")
    await page.goto(f"{live.url}/console/tips")
    row = page.locator(f"#tips tr[data-receipt='{receipt}']")
    await expect(row).to_be_visible()
    await shot("tips-list")
    await row.locator("a").click()
    await expect(page).to_have_url(f"{live.url}/console/tips/{receipt}")
    description = page.locator("#tip-description")
    await expect(description).to_have_text(SCRIPT_STORY)
    assert 0 == await description.locator("b, script").count()
    assert "pwned" != await page.title()
    await shot("tip-read-as-text")
    readers = await conn.fetch("SELECT reader, purpose FROM tip_reads")
    assert [("penyidik", "console")] == [(r["reader"], r["purpose"]) for r in readers]

    operator = await browser.new_context()
    try:
        other = await operator.new_page()
        await log_in(other, live, "operator-2")
        await expect(other.locator("header a[href='/console/tips']")).to_have_count(0)
        response = await other.goto(f"{live.url}/console/tips/{receipt}")
        assert response is not None and 403 == response.status
        await expect(other.locator("#refused")).to_have_text(
            "Anda tidak berhak membuka halaman ini."
        )
        assert "Calo minta" not in await other.content()
        await shot("operator-refused", other)
    finally:
        await operator.close()
    assert 1 == await conn.fetchval("SELECT count(*) FROM tip_reads")


async def test_registry_upload_preview_and_apply(
    live: LiveServer, page: Page, shot: Shot, conn: asyncpg.Connection
) -> None:
    """An admin uploads a registry CSV, sees what it adds, changes and removes, applies it, and a
    resident's USSD check finds the new agency."""
    await add_account(conn, "admin-1", "admin")
    agencies = sample_agencies()
    changed, removed = agencies[0], agencies[1]
    new_file = [replace(changed, head_office_city="Kota Cilegon"), *agencies[2:], NEW_AGENCY]
    before = await load_agencies(conn)

    await log_in(page, live, "admin-1")
    await page.goto(f"{live.url}/console/registry")
    await shot("registry")
    await page.locator("input[type=file][name=file]").set_input_files(
        files=[
            {
                "name": "registry-2026-11.csv",
                "mimeType": "text/csv",
                "buffer": format_agencies(new_file).encode(),
            }
        ]
    )
    await page.locator("form[action='/console/registry/upload'] button[type=submit]").click()
    await expect(page).to_have_url(re.compile(r"/console/registry/uploads/\d+$"))
    await expect(page.locator("section#added li")).to_have_text([NEW_AGENCY.name])
    await expect(page.locator("section#changed li")).to_have_text(
        [f"{changed.name} (head_office_city)"]
    )
    await expect(page.locator("section#removed li")).to_have_text([removed.name])
    await shot("preview")
    assert before == await load_agencies(conn)

    await page.locator("form[action$='/apply'] button").click()
    await expect(page.locator("main")).to_contain_text("Perubahan sudah diterapkan.")
    await expect(page.locator("form[action$='/apply']")).to_have_count(0)
    await shot("applied")
    names = {a.name for a in await load_agencies(conn)}
    assert NEW_AGENCY.name in names and removed.name not in names

    deadline = time.monotonic() + 10
    screen = ""
    while "BERIZIN sampai 01-01-2030" not in screen:
        assert time.monotonic() < deadline, screen
        await asyncio.sleep(0.2)
        screen = await ussd_walk(live, ["1", "Fiktif Baru Sentosa"])


async def test_registry_upload_with_problems_changes_nothing(
    live: LiveServer, page: Page, shot: Shot, conn: asyncpg.Connection
) -> None:
    """A CSV with a bad row previews its problem by line and field and cannot be applied."""
    await add_account(conn, "admin-2", "admin")
    rows = list(csv.DictReader(io.StringIO(format_agencies(sample_agencies()))))
    rows[1]["status"] = "bogus"  # file line 3
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    before = await load_agencies(conn)

    await log_in(page, live, "admin-2")
    await page.goto(f"{live.url}/console/registry")
    await page.locator("input[type=file][name=file]").set_input_files(
        files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": out.getvalue().encode()}]
    )
    await page.locator("form[action='/console/registry/upload'] button[type=submit]").click()
    problem = page.locator("#problems tbody tr")
    await expect(problem).to_have_count(1)
    await expect(problem.locator("td").nth(0)).to_have_text("3")
    await expect(problem.locator("td").nth(1)).to_have_text("status")
    await expect(page.locator("form[action$='/apply']")).to_have_count(0)
    await shot("problems-listed")
    assert before == await load_agencies(conn)


async def test_security_visible_in_the_browser(
    live: LiveServer, page: Page, shot: Shot, conn: asyncpg.Connection
) -> None:
    """Pages need a login, a wrong password is refused, the session cookie is out of scripts'
    reach, and a form with a forged CSRF token is refused."""
    await add_account(conn, "operator-3", "operator")
    await page.goto(f"{live.url}/console/delivery")
    await expect(page).to_have_url(f"{live.url}/console/login?next=/console/delivery")
    await shot("login-required")

    await page.locator("input[name=name]").fill("operator-3")
    await page.locator("input[name=password]").fill("not the password")
    await page.locator("main button[type=submit]").click()
    await expect(page.locator("p.problem")).to_have_text("Nama atau kata sandi salah.")
    await shot("wrong-password")

    await log_in(page, live, "operator-3")
    cookies = {c["name"]: c for c in await page.context.cookies()}
    assert cookies["hotline_session"]["httpOnly"] is True
    assert "Strict" == cookies["hotline_session"]["sameSite"]
    assert "hotline_session" not in await page.evaluate("document.cookie")

    await page.locator("form[action='/console/lang'] input[name=csrf]").evaluate(
        "input => { input.value = 'forged-token'; }"
    )
    await page.locator("form[action='/console/lang'] button").click()
    await expect(page.locator("#refused")).to_have_text("Formulir kedaluwarsa. Muat ulang halaman.")
    await shot("csrf-refused")
    await page.goto(f"{live.url}/console")
    await expect(page.locator("html")).to_have_attribute("lang", "id")
