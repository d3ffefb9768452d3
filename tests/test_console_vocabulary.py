"""Plain language over real HTTP: every console page, for every role and in both languages,
shows stored codes only in words (gateway/console/vocabulary.py), never raw; the codes are taken
from the code's own enums and from what the seeded database actually holds, not typed here."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway.console.auth import ROLES_ALL
from gateway.console.charts import JOURNEY
from gateway.console.texts import CONSOLE_TEXTS
from gateway.console.vocabulary import FAILURES, HINTS, MENU_STEPS, SMS_CAUSES, SMS_EVENTS, label
from gateway.core.messages import DeliveryStatus
from storage.outbox import (
    claim_due,
    mark_accepted,
    mark_failed,
    mark_retry,
    record_delivery_report,
)
from storage.reads import OUTBOX_STATUSES
from storage.tips import CATEGORIES
from storage.ussd_events import SessionEvent, record_session_event
from tests.console_helpers import csrf_token, file_test_tip, load_sample_officials, sign_in
from ussd_menus import catalogue
from ussd_menus.cases import CHANNELS, STATUSES

PAGES = (
    "/console",
    "/console/delivery",
    "/console/tips",
    "/console/registry",
    "/console/job-orders",
    "/console/officials",
    "/console/accounts",
    "/console/audit",
    "/console/charts",
    "/console/rekap",
    "/console/checks",
    "/console/coordination",
    "/console/broadcasts",
    "/console/migrants",
)


@dataclass(frozen=True, slots=True)
class Seeded:
    """What the pages show: a case moved through several statuses, delivered, failed and
    dead SMS, alerts, and a USSD session that ended on a menu step."""

    receipt: str
    delivered: int
    failed: int
    dead: int


async def _claimed(conn: asyncpg.Connection) -> list[int]:
    return sorted(row.id for row in await claim_due(conn, 20, 60))


async def _act(client: TestClient, receipt: str, action: str, form: dict[str, str]) -> None:
    data = {**form, "csrf": await csrf_token(client, f"/console/tips/{receipt}")}
    response = await client.post(
        f"/console/tips/{receipt}/case/{action}", data=data, allow_redirects=False
    )
    assert 303 == response.status, action


@pytest.fixture
async def seeded(client: TestClient, conn: asyncpg.Connection) -> Seeded:
    """Cases moved by an admin, SMS driven to different ends, a USSD session's last step."""
    await load_sample_officials(conn)
    receipt = await file_test_tip(conn, "ussd:ATUid_vocab_a", kecamatan_code="36.04.12")
    other = await file_test_tip(
        conn, "ussd:ATUid_vocab_b", kecamatan_code="36.04.12", category="dokumen"
    )
    claimed = await _claimed(conn)
    delivered, failed, dead = claimed[0], claimed[1], claimed[2]
    await mark_accepted(conn, delivered, "ATXid_vocab", "101 Success")
    await record_delivery_report(conn, "ATXid_vocab", "delivered", "Success", "")
    await mark_failed(conn, failed, "403 InvalidPhoneNumber")
    await mark_retry(conn, dead, "gateway error: 501 GatewayError", 0, 1)
    await sign_in(client, conn, "admin", "admin-seed")
    await _act(client, receipt, "status", {"status": "diselidiki", "note": "mulai"})
    await _act(client, receipt, "ask", {"question": "Kapan orang itu datang?"})
    await _act(client, receipt, "close", {"status": "tidak_terbukti", "note": "selesai"})
    await _act(client, other, "forward", {"agency": "POLRES"})
    token = await csrf_token(client)
    await client.post("/console/logout", data={"csrf": token}, allow_redirects=False)
    for step in ("report_kec_pick", "check_none", "main"):
        event = SessionEvent(f"ATUid_vocab_{step}", "incomplete", step, 3, 1000, "51010", "", None)
        await record_session_event(conn, event)
    return Seeded(receipt, delivered, failed, dead)


async def stored_codes(conn: asyncpg.Connection) -> set[str]:
    """Every code a page could show: the enums, and the codes the database holds."""
    codes = {*OUTBOX_STATUSES, *STATUSES, *CATEGORIES, *CHANNELS, *ROLES_ALL, *JOURNEY}
    codes |= {str(s) for s in DeliveryStatus}
    for query in (
        "SELECT DISTINCT cause FROM outbox",
        "SELECT DISTINCT split_part(cause, ':', 1) || ':' || split_part(cause, ':', 2)"
        " FROM outbox WHERE cause LIKE '%:%'",
        "SELECT DISTINCT kind FROM sms_events",
        "SELECT DISTINCT recipient_kind FROM outbox",
        "SELECT DISTINCT 'alert:' || reason FROM alerts",
        "SELECT DISTINCT channel FROM tips",
        "SELECT DISTINCT channel FROM case_events",
        "SELECT DISTINCT to_status FROM case_events",
    ):
        codes |= {r[0] for r in await conn.fetch(query) if r[0]}
    return {c for c in codes if not c.isdigit()}


def ordinary_words(lang: str) -> set[str]:
    """Lowercase words of the interface's own sentences in this language: a code that is also
    such a word ('baru', 'status', 'delivered') is an ordinary word, not a leak."""
    index = 0 if lang == "id" else 1
    texts: list[str] = [pair[index] for pair in CONSOLE_TEXTS.values()]
    for table in (SMS_CAUSES, SMS_EVENTS, MENU_STEPS, FAILURES):
        texts += [pair[index] for pair in table.values()]
    texts += [pair[index] for pair in HINTS.values()]
    content = catalogue.active().texts[lang]
    texts += [text for key, text in content.items() if key.startswith(("status.", "cat."))]
    return {w for text in texts for w in re.findall(r"[a-z_:]+", text)}


class _Visible(HTMLParser):
    """The text a person reads: no attributes, no style or script."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return "\n".join(parser.parts)


def raw_codes(text: str, codes: Iterable[str]) -> list[str]:
    """The codes found as whole words (a code's own ':' and '_' count as part of a word)."""
    return sorted(c for c in codes if re.search(rf"(?<![\w:]){re.escape(c)}(?![\w:])", text))


async def switch_language(client: TestClient, lang: str) -> None:
    data = {"csrf": await csrf_token(client), "lang": lang, "next": "/console"}
    response = await client.post("/console/lang", data=data, allow_redirects=False)
    assert 303 == response.status


@pytest.mark.parametrize("role", ["operator", "investigator", "admin"])
async def test_no_page_shows_a_raw_code(
    client: TestClient, conn: asyncpg.Connection, seeded: Seeded, role: str
) -> None:
    """Every console page a role opens, in Indonesian and English, names codes in words."""
    codes = await stored_codes(conn)
    assert {"report_kec_pick", "alert:new", "tidak_terbukti", "delivered"} <= codes
    await sign_in(client, conn, role, "akun-uji")  # a name that is no code
    pages = [
        *PAGES,
        f"/console/tips/{seeded.receipt}",
        *(f"/console/delivery/{i}" for i in (seeded.delivered, seeded.failed, seeded.dead)),
    ]
    leaks: dict[str, list[str]] = {}
    for lang in ("id", "en"):
        await switch_language(client, lang)
        banned = codes - ordinary_words(lang)
        for path in pages:
            response = await client.get(path)
            assert response.status in (200, 403), path
            found = raw_codes(visible_text(await response.text()), banned)
            if found:
                leaks[f"{lang} {path}"] = found
    assert not leaks, "\n".join(f"{page}: {codes}" for page, codes in leaks.items())


async def test_seeded_codes_reach_the_pages(
    client: TestClient, conn: asyncpg.Connection, seeded: Seeded
) -> None:
    """The seeded states do show, in words: a failed SMS, a closed case, a chart step."""
    await sign_in(client, conn, "admin")
    text = visible_text(await (await client.get(f"/console/delivery/{seeded.failed}")).text())
    tip = visible_text(await (await client.get(f"/console/tips/{seeded.receipt}")).text())
    chart = await (await client.get("/console/charts")).text()
    assert (True, True, True) == (
        label("sms_status", "failed", "id") in text,
        label("case_status", "tidak_terbukti", "id") in tip,
        label("step", "report_kec_pick", "id") in chart,
    )
