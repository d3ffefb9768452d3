"""Abuse of the SMS budget, the tip limits and the receipts, tried as an attacker would: forged
callbacks in bulk and in parallel over real HTTP, against a real PostgreSQL (issue 11: findings 3,
4, 7 and D)."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway.alerting import alert_text
from gateway.app import create_app
from gateway.config import Config
from gateway.identity import Identity
from storage.alerts import escalate_due, release_held
from storage.budgets import record_receipt_miss
from tests.conftest import Gateway
from tests.console_helpers import csrf_token, load_sample_officials, sign_in
from tests.sms_client import send_sms
from tests.test_metrics import scrape, value
from tests.test_outbox_worker import worker_like
from tests.test_sms_inbound import receipt_in
from tests.ussd_client import hop, walk
from ussd_menus.receipts import check_digit, show_receipt

PHONE = "+6281234567890"
SECRET = "test-secret-0123456789"  # the config fixture's HOTLINE_SECRET
KADES_PONTANG = "+6281199000030"  # alerted for a calo tip in Pontang (sample officials)
STORY = "Calo minta uang 10 juta untuk ke Taiwan"
CALO_PONTANG = ["2", "2", "pontang", "1", "Kubang Puji", "1", "1", STORY, "1"]
AGENCY_REPORT = ["1", "PT Contoh Samudra Karya", "1", "2", "pontang", "1", "1", STORY, "1"]
BUSY = "dibatasi"  # in the SMS and USSD answers while receipt lookups are paused
_ids = itertools.count()

AppWith = Callable[..., Awaitable[TestClient]]


@pytest.fixture
def app_with(sample_db: str, config: Config, aiohttp_client: Any) -> AppWith:
    """The real app on the sample registry and officials, with some settings changed."""

    async def make(**changes: object) -> TestClient:
        connection = await asyncpg.connect(sample_db)
        try:
            await load_sample_officials(connection)
        finally:
            await connection.close()
        app = create_app(dataclasses.replace(config, **changes), sample_db)
        client: TestClient = await aiohttp_client(app)
        return client

    return make


def number(n: int) -> str:
    """A distinct, valid Indonesian mobile number."""
    return f"+62857{n:08d}"


async def replies(conn: asyncpg.Connection) -> list[str]:
    """Every reply queued to a resident, oldest first."""
    rows = await conn.fetch("SELECT body FROM outbox WHERE cause LIKE 'reply:%' ORDER BY id")
    return [r["body"] for r in rows]


def unknown_code(n: int) -> str:
    """A well-formed receipt (valid check digit) that no tip has."""
    body = f"{10_000_000 + n:08d}"
    return body + check_digit(body)


def events(log_output: Any, name: str) -> list[dict[str, Any]]:
    """The JSON log lines with this event name."""
    lines = [json.loads(line) for line in log_output.getvalue().splitlines() if line]
    return [line for line in lines if line.get("event") == name]


async def same_minute(conn: asyncpg.Connection) -> None:
    """Wait, if need be, so that the next few seconds fall in one clock minute of the database."""
    second = await conn.fetchval("SELECT extract(second FROM now())")
    if second > 50:
        await asyncio.sleep(61 - float(second))


class TestReplyBudget:
    async def test_forged_helps_get_one_reply_a_day(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """200 parallel HELPs from one number queue exactly one reply."""
        await asyncio.gather(*(send_sms(client, "HELP") for _ in range(200)))
        assert 1 == len(await replies(conn))

    async def test_forged_helps_are_all_recorded(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A suppressed reply still records the inbound message (and answered AT 200)."""
        await asyncio.gather(*(send_sms(client, "HELP") for _ in range(30)))
        assert 30 == await conn.fetchval("SELECT count(*) FROM sms_inbound")

    async def test_replies_stop_at_the_hourly_budget(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """50 parallel agency checks from one number get exactly the budget (10) of replies."""
        await asyncio.gather(*(send_sms(client, "CEK PT Contoh") for _ in range(50)))
        assert 10 == len(await replies(conn))

    async def test_budget_is_per_sender(self, client: TestClient, conn: asyncpg.Connection) -> None:
        """Another number still gets its reply after one number used up its budget."""
        for _ in range(12):
            await send_sms(client, "CEK PT Contoh")
        await send_sms(client, "CEK PT Contoh", number(1))
        assert 11 == len(await replies(conn))

    async def test_suppressed_reply_is_logged(self, client: TestClient, log_output: Any) -> None:
        """Each reply not queued is logged as sms.reply_suppressed with its reason."""
        await send_sms(client, "HELP")
        await send_sms(client, "HELP")
        suppressed = events(log_output, "sms.reply_suppressed")
        assert ["help_daily"] == [e["reason"] for e in suppressed]

    async def test_receipt_of_a_new_tip_always_goes(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """After the budget is used up, a report still gets its receipt."""
        for _ in range(10):
            await send_sms(client, "CEK PT Contoh")
        await send_sms(client, f"LAPOR {STORY}")
        assert "Diterima, terima kasih. Kode: " in (await replies(conn))[-1]

    async def test_number_that_only_sends_junk_gets_nothing(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """After more than 3 unknown keywords and nothing else, not even the daily help is sent."""
        key = Identity(SECRET).reporter_key(PHONE)
        for n in range(3):
            await conn.execute(
                "INSERT INTO sms_inbound (id, sender_key, keyword, received_at)"
                " VALUES ($1, $2, 'unknown', now() - interval '2 days')",
                f"old-{n}",
                key,
            )
        await send_sms(client, "blah")
        assert [] == await replies(conn)

    async def test_number_that_used_a_keyword_gets_help(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A number that once sent a real keyword still gets the daily help for gibberish."""
        key = Identity(SECRET).reporter_key(PHONE)
        for n, keyword in enumerate(["unknown", "unknown", "unknown", "check"]):
            await conn.execute(
                "INSERT INTO sms_inbound (id, sender_key, keyword, received_at)"
                " VALUES ($1, $2, $3, now() - interval '2 days')",
                f"old-{n}",
                key,
                keyword,
            )
        await send_sms(client, "blah")
        assert 1 == len(await replies(conn))


class TestOutboundBudget:
    async def test_worker_stops_at_the_hourly_budget(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """With a budget of 5 an hour, 5 of 8 queued SMS are sent and 3 stay queued."""
        for n in range(8):
            await send_sms(gateway.client, "CEK PT Contoh", number(n))
        worker = worker_like(gateway, sms_per_hour=5)
        while await worker.drain_once():
            pass
        statuses = await conn.fetch("SELECT status FROM outbox ORDER BY id")
        assert 3 == sum(1 for s in statuses if s["status"] == "queued")

    async def test_exhausted_budget_logs_an_alarm(self, gateway: Gateway, log_output: Any) -> None:
        """Using up the budget logs sms.hourly_budget_exhausted once, as an alarm."""
        for n in range(3):
            await send_sms(gateway.client, "CEK PT Contoh", number(n))
        worker = worker_like(gateway, sms_per_hour=2)
        for _ in range(3):
            await worker.drain_once()
        alarms = events(log_output, "sms.hourly_budget_exhausted")
        assert [True] == [a["alarm"] for a in alarms]

    async def test_metrics_show_the_exhausted_budget(
        self, app_with: AppWith, conn: asyncpg.Connection
    ) -> None:
        """/metrics says hotline_sms_budget_exhausted 1 once the hour's budget is claimed."""
        client = await app_with(sms_per_hour=3)
        await conn.execute(
            "INSERT INTO usage_counters (scope, window_start, used)"
            " VALUES ('sms_sent', date_trunc('hour', now()), 3)"
        )
        assert 1.0 == value(await scrape(client), "hotline_sms_budget_exhausted")

    async def test_console_warns_of_the_exhausted_budget(
        self, app_with: AppWith, conn: asyncpg.Connection
    ) -> None:
        """The delivery page shows a warning while the hour's budget is used up."""
        client = await app_with(sms_per_hour=3)
        await conn.execute(
            "INSERT INTO usage_counters (scope, window_start, used)"
            " VALUES ('sms_sent', date_trunc('hour', now()), 3)"
        )
        await sign_in(client, conn, "operator")
        page = await (await client.get("/console/delivery")).text()
        assert 'id="sms-budget-warning"' in page


async def file_calo_tip(client: TestClient, phone: str = PHONE) -> str:
    """File a calo tip in Pontang over USSD; its receipt (9 digits)."""
    screen = await walk(client, CALO_PONTANG, phone)
    match = re.search(r"(\d{4})-(\d{4})-(\d)\b", screen)
    assert match is not None, screen
    return "".join(match.groups())


class TestInfoResend:
    async def test_parallel_info_resends_once(
        self, app_with: AppWith, conn: asyncpg.Connection
    ) -> None:
        """200 parallel INFO <receipt> from the alerted official queue one resend."""
        client = await app_with()
        receipt = await file_calo_tip(client)
        await asyncio.gather(
            *(send_sms(client, f"INFO {receipt}", KADES_PONTANG) for _ in range(200))
        )
        resent = await conn.fetchval("SELECT count(*) FROM outbox WHERE cause = 'alert:resend'")
        assert 1 == resent

    async def test_info_resends_again_after_an_hour(
        self, app_with: AppWith, conn: asyncpg.Connection
    ) -> None:
        """An INFO an hour after the last resend sends the alert again."""
        client = await app_with()
        receipt = await file_calo_tip(client)
        await send_sms(client, f"INFO {receipt}", KADES_PONTANG)
        await conn.execute("UPDATE outbox SET created_at = now() - interval '61 minutes'")
        await send_sms(client, f"INFO {receipt}", KADES_PONTANG)
        resent = await conn.fetchval("SELECT count(*) FROM outbox WHERE cause = 'alert:resend'")
        assert 2 == resent


class TestFloodHold:
    async def flood(self, app_with: AppWith, conn: asyncpg.Connection, tips: int) -> TestClient:
        """File `tips` urgent SMS tips from different numbers with a flood threshold of 3."""
        client = await app_with(tip_flood_per_minute=3)
        await same_minute(conn)
        for n in range(tips):
            await send_sms(client, "LAPOR bahaya disekap di penampungan", number(n))
        return client

    async def test_alerts_past_the_threshold_are_held(
        self, app_with: AppWith, conn: asyncpg.Connection
    ) -> None:
        """With a threshold of 3 tips a minute, the 4th and 5th tips' alerts are held."""
        await self.flood(app_with, conn, 5)
        rows = await conn.fetch(
            "SELECT t.id, bool_and(o.status = 'held') AS held FROM tips t"
            " JOIN outbox o ON o.tip_id = t.id AND o.recipient_kind = 'official'"
            " GROUP BY t.id ORDER BY t.id"
        )
        assert [False, False, False, True, True] == [r["held"] for r in rows]

    async def test_flooded_tips_still_get_their_receipts(
        self, app_with: AppWith, conn: asyncpg.Connection
    ) -> None:
        """Every tip of a flood is stored and its reporter gets the receipt."""
        await self.flood(app_with, conn, 5)
        receipts = {receipt_in(body) for body in await replies(conn)}
        stored = {r["receipt"] for r in await conn.fetch("SELECT receipt FROM tips")}
        assert (5, stored) == (len(stored), receipts)

    async def test_flood_hold_is_logged(
        self, app_with: AppWith, conn: asyncpg.Connection, log_output: Any
    ) -> None:
        """Each held tip is logged as alerts.flood_held, an alarm."""
        await self.flood(app_with, conn, 5)
        assert 2 == len(events(log_output, "alerts.flood_held"))

    async def test_held_alerts_show_in_metrics(
        self, app_with: AppWith, conn: asyncpg.Connection
    ) -> None:
        """hotline_alerts_held counts the held alerts."""
        client = await self.flood(app_with, conn, 4)
        held = await conn.fetchval("SELECT count(*) FROM outbox WHERE status = 'held'")
        assert (True, float(held)) == (held > 0, value(await scrape(client), "hotline_alerts_held"))

    async def test_held_alerts_never_escalate(
        self, app_with: AppWith, conn: asyncpg.Connection
    ) -> None:
        """A held alert past its acknowledgement time does not escalate."""
        await self.flood(app_with, conn, 4)
        await conn.execute("UPDATE alerts SET ack_due_at = now() - interval '1 minute'")
        escalated = await escalate_due(conn, alert_text)
        held_tip = await conn.fetchval("SELECT max(id) FROM tips")
        assert held_tip not in {e.tip_id for e in escalated}

    async def test_release_queues_held_alerts(
        self, app_with: AppWith, conn: asyncpg.Connection
    ) -> None:
        """Releasing queues every held alert and the tip counts as forwarded."""
        await self.flood(app_with, conn, 4)
        released = await release_held(conn)
        left = await conn.fetchval("SELECT count(*) FROM outbox WHERE status = 'held'")
        status = await conn.fetchval("SELECT status FROM tips ORDER BY id DESC LIMIT 1")
        assert (True, 0, "diteruskan") == (released > 0, left, status)

    async def test_admin_releases_from_the_console(
        self, app_with: AppWith, conn: asyncpg.Connection
    ) -> None:
        """An admin's button on the delivery page releases the held alerts."""
        client = await self.flood(app_with, conn, 4)
        await sign_in(client, conn, "admin")
        token = await csrf_token(client, "/console/delivery")
        response = await client.post(
            "/console/delivery/release-held", data={"csrf": token}, allow_redirects=False
        )
        left = await conn.fetchval("SELECT count(*) FROM outbox WHERE status = 'held'")
        assert (303, 0) == (response.status, left)


class TestParallelReports:
    async def test_parallel_lapor_files_exactly_the_limit(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """20 parallel LAPOR from one number file exactly HOTLINE_TIPS_PER_HOUR (5) tips."""
        await asyncio.gather(*(send_sms(client, f"LAPOR {STORY} {n}") for n in range(20)))
        assert 5 == await conn.fetchval("SELECT count(*) FROM tips")

    async def test_parallel_agency_tips_are_all_flagged(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """20 tips about one agency confirmed at once: its day's flag counts all 20."""
        sessions = [f"ATUid_agency_{next(_ids)}" for _ in range(20)]
        for n, session in enumerate(sessions):
            await hop(client, "", session, number(n))
            for k in range(1, len(AGENCY_REPORT)):
                await hop(client, "*".join(AGENCY_REPORT[:k]), session, number(n))
        final = "*".join(AGENCY_REPORT)
        await asyncio.gather(*(hop(client, final, s, number(n)) for n, s in enumerate(sessions)))
        flagged = await conn.fetchval("SELECT tips FROM tip_flags WHERE kind = 'agency_burst'")
        assert (20, 20) == (await conn.fetchval("SELECT count(*) FROM tips"), flagged)


class TestCallersWithoutNumber:
    async def test_bogus_numbers_share_one_limit(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Reports from 7 callers with invalid numbers file only the per-reporter limit (5)."""
        for n in range(1, 8):
            await walk(client, CALO_PONTANG, f"bogus{n}")
        assert 5 == await conn.fetchval("SELECT count(*) FROM tips")

    async def test_bogus_number_past_the_limit_is_told(self, client: TestClient) -> None:
        """The sixth caller without a number is told the limit at once, politely."""
        for n in range(1, 6):
            await walk(client, CALO_PONTANG, f"bogus{n}")
        screen = await walk(client, ["2"], "bogus6")
        assert "Maaf, Anda sudah mengirim 5 laporan dalam 1 jam" in screen


class TestReceiptEnumeration:
    async def test_third_miss_ends_the_session(self, client: TestClient) -> None:
        """A USSD session that tries 3 unknown receipts is ended."""
        inputs = ["3", unknown_code(1), "1", unknown_code(2), "1", unknown_code(3)]
        screen = await walk(client, inputs)
        assert screen.startswith("END Nomor laporan tidak ditemukan 3 kali.")

    async def test_two_misses_may_try_again(self, client: TestClient) -> None:
        """After 2 unknown receipts the caller may still try again."""
        screen = await walk(client, ["3", unknown_code(1), "1", unknown_code(2)])
        assert screen.startswith("CON Nomor laporan")

    async def test_replayed_miss_counts_once(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Hops that replay an earlier miss do not count it against the budget again."""
        await walk(client, ["3", unknown_code(1), "1", "0", "0"])
        assert 1 == await conn.fetchval("SELECT misses FROM receipt_guard")

    async def budget_used(self, app_with: AppWith) -> TestClient:
        """An app whose failed-lookup budget (5 an hour) was just used up by SMS guesses."""
        client = await app_with(receipt_misses_per_hour=5)
        for n in range(5):
            await send_sms(client, f"STATUS {unknown_code(n)}", number(n))
        return client

    async def test_used_budget_pauses_sms_lookups(
        self, app_with: AppWith, conn: asyncpg.Connection
    ) -> None:
        """Past the budget, STATUS of a real receipt answers 'try later', not the status."""
        client = await self.budget_used(app_with)
        receipt = await file_calo_tip(client, number(99))
        await send_sms(client, f"STATUS {receipt}", number(98))
        assert BUSY in (await replies(conn))[-1]

    async def test_used_budget_pauses_ussd_lookups(self, app_with: AppWith) -> None:
        """Past the budget, USSD 'check my report' answers 'try later' and ends."""
        client = await self.budget_used(app_with)
        receipt = await file_calo_tip(client, number(99))
        screen = await walk(client, ["3", receipt], number(98))
        assert screen.startswith("END Maaf, cek nomor laporan sedang dibatasi.")

    async def test_used_budget_raises_an_alarm(self, app_with: AppWith, log_output: Any) -> None:
        """The miss that uses up the budget logs receipts.lookup_budget_exhausted."""
        await self.budget_used(app_with)
        alarms = events(log_output, "receipts.lookup_budget_exhausted")
        assert [True] == [a["alarm"] for a in alarms]

    async def test_used_budget_shows_in_metrics(self, app_with: AppWith) -> None:
        """hotline_receipt_lookups_paused is 1 while lookups are paused."""
        client = await self.budget_used(app_with)
        assert 1.0 == value(await scrape(client), "hotline_receipt_lookups_paused")

    async def test_pause_doubles_when_guessing_resumes(self, conn: asyncpg.Connection) -> None:
        """A second exhaustion right after the first pause pauses for 2 hours, not 1."""
        for _ in range(3):
            await record_receipt_miss(conn, 3)
        await conn.execute(
            "UPDATE receipt_guard SET blocked_until = now() - interval '1 minute',"
            " window_start = now() - interval '61 minutes'"
        )
        for _ in range(3):
            await record_receipt_miss(conn, 3)
        hours = await conn.fetchval(
            "SELECT round(extract(epoch FROM blocked_until - now()) / 3600) FROM receipt_guard"
        )
        assert 2 == hours

    async def test_hit_shows_only_the_status_line(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A guessed receipt's STATUS reply says its status, never the story or the place."""
        receipt = await file_calo_tip(client, number(99))
        await send_sms(client, f"STATUS {receipt}")
        reply = (await replies(conn))[-1]
        assert f"Laporan {show_receipt(receipt)}: Diterima." == reply
