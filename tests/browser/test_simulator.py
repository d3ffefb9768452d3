"""The phone simulator in a real browser: a resident's USSD report, the official's SMS alert and
question, the resident's answer, all through the real callbacks and the built-in local gateway."""

from __future__ import annotations

import re

import asyncpg
from playwright.async_api import Page, expect

from tests.browser.conftest import LiveServer, Shot, StartServer
from ussd_menus.receipts import parse_receipt, show_receipt

RESIDENT = "+6281200000001"
CAMAT_PONTANG = "+6281199000007"  # Agus Contoh, Camat of Pontang in the sample directory
STORY = "Calo datang ke rumah, minta 15 juta untuk ke Taiwan"
QUESTION = "Kapan calo datang?"
ANSWER = "Malam hari, sekitar jam 8, di balai desa"
ALERT_WAIT_MS = 20_000


async def answer(page: Page, text: str, expected: str) -> None:
    """Type one reply on the phone, send it, and wait for the next screen."""
    await page.get_by_test_id("ussd-input").fill(text)
    await page.get_by_test_id("ussd-send").click()
    await expect(page.get_by_test_id("ussd-screen")).to_contain_text(expected)


async def dial(page: Page) -> None:
    """Dial the USSD code and wait for the main menu."""
    await page.get_by_test_id("dial-button").click()
    await expect(page.get_by_test_id("ussd-screen")).to_contain_text(
        "Layanan Info Kerja Luar Negeri"
    )
    await expect(page.get_by_test_id("ussd-state")).to_have_attribute("data-state", "open")


async def test_report_alert_question_answer(
    live: LiveServer, page: Page, shot: Shot, conn: asyncpg.Connection
) -> None:
    """Report an agency by USSD, the official is alerted and asks, the resident answers."""
    await page.goto(f"{live.url}/simulator")
    await expect(page.get_by_test_id("phone-number")).to_have_value(RESIDENT)
    await shot("simulator-opened")

    # The resident checks an agency by name and reports it.
    await dial(page)
    await shot("main-menu")
    await answer(page, "1", "Ketik nama PT penempatan")
    await answer(page, "PT Contoh Samudra Karya", "BERIZIN")
    await expect(page.get_by_test_id("ussd-screen")).to_contain_text("1 Laporkan")
    await shot("agency-checked")
    await answer(page, "1", "Nomor HP tidak disimpan:")
    await answer(page, "2", "Kecamatan (1/")
    await answer(page, "pontang", "Kecamatan Pontang?")
    await answer(page, "1", "Desa di Pontang (1/")
    await answer(page, "1", "Ceritakan singkat")
    await answer(page, STORY, "Kirim laporan rahasia?")
    await shot("confirm-report")
    await answer(page, "1", "Terkirim. Nomor laporan")
    await answer(page, "1", "Terima kasih")
    screen = page.get_by_test_id("ussd-screen")
    await expect(page.get_by_test_id("ussd-state")).to_have_attribute("data-state", "closed")
    await expect(page.get_by_test_id("ussd-input")).to_be_disabled()
    # Every hop carried the whole '*'-joined path, as AT sends it.
    await expect(page.get_by_test_id("ussd-path")).to_have_text(
        'text="1*PT Contoh Samudra Karya*1*2*pontang*1*1*' + STORY + '*1*1"'
    )
    found = re.search(r"(\d{4})-(\d{4})-(\d)", await screen.inner_text())
    assert found is not None
    receipt = "".join(found.groups())
    assert parse_receipt(receipt) == receipt
    await shot("receipt-shown")

    # The Camat of Pontang gets the alert through the local gateway, and asks a question.
    await page.get_by_test_id("official-select").select_option(CAMAT_PONTANG)
    await expect(page.get_by_test_id("official-phone")).to_have_text(CAMAT_PONTANG)
    alert = page.get_by_test_id("official-message").filter(
        has_text=f"LAPORAN {show_receipt(receipt)}"
    )
    await expect(alert).to_have_count(1, timeout=ALERT_WAIT_MS)
    await expect(alert).to_contain_text("Contoh Samudra Karya")
    await expect(alert).to_contain_text(f"Balas: OK {receipt}")
    await shot("official-alerted")
    await page.get_by_test_id("official-reply-text").fill(f"TANYA {receipt} {QUESTION}")
    await page.get_by_test_id("official-reply-send").click()
    await expect(page.get_by_test_id("official-reply-status")).to_contain_text("Terkirim")
    await expect(
        page.get_by_test_id("official-message").filter(has_text="Pertanyaan dikirim")
    ).to_have_count(1, timeout=ALERT_WAIT_MS)
    await shot("official-asked")

    # The resident dials again, reads the question under "Cek laporan saya" and answers it.
    await dial(page)
    await answer(page, "3", "Ketik nomor laporan")
    await answer(page, receipt, f"Pertanyaan petugas: {QUESTION}")
    await expect(screen).to_contain_text("1 Jawab pertanyaan")
    await shot("question-read")
    await answer(page, "1", "Ketik jawaban Anda:")
    await answer(page, ANSWER, "Jawaban terkirim ke petugas")
    await expect(page.get_by_test_id("ussd-state")).to_have_attribute("data-state", "closed")
    await shot("answer-sent")

    rows = await conn.fetch(
        "SELECT m.author, m.kind, m.body FROM tip_messages m JOIN tips t ON t.id = m.tip_id"
        " WHERE t.receipt = $1 ORDER BY m.id",
        receipt,
    )
    assert [("official", "question", QUESTION), ("reporter", "answer", ANSWER)] == [
        (r["author"], r["kind"], r["body"]) for r in rows
    ]


async def test_resident_sms_reply_in_inbox(live: LiveServer, page: Page, shot: Shot) -> None:
    """An SMS sent as the resident is answered, and the reply shows in the resident's inbox."""
    await page.goto(f"{live.url}/simulator")
    await expect(page.get_by_test_id("resident-empty")).to_be_visible()
    await page.get_by_test_id("sms-text").fill("CEK contoh samudra karya")
    await page.get_by_test_id("sms-send").click()
    await expect(page.get_by_test_id("sms-status")).to_contain_text("Terkirim")
    reply = page.get_by_test_id("resident-message")
    await expect(reply).to_have_count(1, timeout=ALERT_WAIT_MS)
    await expect(reply).to_contain_text("Contoh Samudra Karya")
    # The official's inbox holds only that official's SMS.
    await page.get_by_test_id("official-select").select_option(CAMAT_PONTANG)
    await expect(page.get_by_test_id("official-empty")).to_be_visible()
    await shot("resident-reply")


async def test_callback_token_is_passed(start_server: StartServer, page: Page, shot: Shot) -> None:
    """With HOTLINE_CALLBACK_TOKEN set, the simulator's callbacks carry ?token= and work."""
    live = await start_server(callback_token="demo-callback-token-0123456789")
    await page.goto(f"{live.url}/simulator")
    await dial(page)
    await answer(page, "1", "Ketik nama PT penempatan")
    await page.get_by_test_id("sms-text").fill("INFO")
    await page.get_by_test_id("sms-send").click()
    await expect(page.get_by_test_id("sms-status")).to_contain_text("Terkirim")
    await expect(page.get_by_test_id("resident-message")).to_have_count(1, timeout=ALERT_WAIT_MS)
    await shot("token-accepted")


async def test_no_inline_script_runs_from_sms(live: LiveServer, page: Page, shot: Shot) -> None:
    """Markup in an SMS shows as text in the inbox; it is never run."""
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    await page.goto(f"{live.url}/simulator")
    await page.get_by_test_id("sms-text").fill("CEK <img src=x onerror=alert(1)>")
    await page.get_by_test_id("sms-send").click()
    reply = page.get_by_test_id("resident-message")
    await expect(reply).to_have_count(1, timeout=ALERT_WAIT_MS)
    await expect(reply).to_contain_text("<img src=x onerror=")  # echoed, cut to the query cap
    assert 0 == await page.locator("#resident-inbox img").count()
    assert [] == dialogs
    await shot("markup-as-text")
