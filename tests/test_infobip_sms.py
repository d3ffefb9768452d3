"""The hotline with HOTLINE_SMS_PROVIDER=infobip, end to end over real HTTP: Infobip's inbound
webhook files a tip, the receipt goes out through the (fake) Infobip API in batches, Infobip's
delivery-report buckets mark messages delivered, each report once, unknown statuses included."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any

import asyncpg
import orjson
import pytest
from aiohttp.test_utils import TestClient

from gateway.app import WORKER, check_serving, create_app
from gateway.config import Config, ConfigError
from gateway.outbox_worker import OutboxWorker
from gateway.providers.infobip import fake as ib
from gateway.providers.infobip.fake import FAKE_INFOBIP, FakeInfobipState, create_fake_infobip
from gateway.providers.infobip.sender import InfobipSender
from storage.outbox import QueuedSms, enqueue_sms, mark_accepted
from tests.conftest import CALLBACK_TOKEN
from tests.test_metrics import nonzero, scrape
from ussd_menus.receipts import show_receipt

KEY = "ib-key-0123456789abcdef0123456789abcdef"
SENDER_ID = "PMI-Serang"
RESIDENT = "+6281234567890"
OUR_NUMBER = "6281100000000"
STORY = "LAPOR calo minta uang 10 juta untuk berangkat ke Taiwan"


@dataclass
class Infobip:
    """The service configured for Infobip, and the running fake Infobip it sends to."""

    client: TestClient
    fake: FakeInfobipState

    @property
    def worker(self) -> OutboxWorker:
        """The service's outbox worker (tests drive it)."""
        return self.client.server.app[WORKER]


@pytest.fixture
async def infobip(
    sample_db: str, config: Config, aiohttp_server: Any, aiohttp_client: Any
) -> Infobip:
    """The app with HOTLINE_SMS_PROVIDER=infobip, sending to a fake Infobip that posts delivery
    reports back to /infobip/sms/delivery (with the callback token)."""
    fake_app = create_fake_infobip(KEY)
    server = await aiohttp_server(fake_app)
    fake_app[FAKE_INFOBIP].report_delay_s = 0.01
    settings = replace(
        config,
        sms_provider="infobip",
        infobip_base_url=str(server.make_url("")).rstrip("/"),
        infobip_api_key=KEY,
        infobip_sender=SENDER_ID,
        retry_base_s=0.05,
        # While sending is paused the worker probes every 2 x escalation_check_s (at most 60 s):
        # as in the gateway fixture, a short check keeps a paused drain from sleeping a minute.
        escalation_check_s=0.1,
    )
    client = await aiohttp_client(create_app(settings, sample_db))
    sender = client.server.app[WORKER].sender
    assert isinstance(sender, InfobipSender)
    sender.report_url = str(
        client.make_url("/infobip/sms/delivery").with_query(token=CALLBACK_TOKEN)
    )
    return Infobip(client, fake_app[FAKE_INFOBIP])


async def post_inbound(client: TestClient, body: object) -> tuple[int, str]:
    """POST an inbound webhook body as Infobip does; status and answer."""
    response = await client.post(
        "/infobip/sms/inbound",
        data=orjson.dumps(body),
        headers={"Content-Type": "application/json"},
    )
    return response.status, await response.text()


async def post_reports(client: TestClient, results: list[dict[str, object]]) -> tuple[int, str]:
    """POST a delivery-report bucket as Infobip does; status and answer."""
    response = await client.post(
        "/infobip/sms/delivery",
        data=orjson.dumps({"results": results}),
        headers={"Content-Type": "application/json"},
    )
    return response.status, await response.text()


def report(
    message_id: str, status: dict[str, object], error: dict[str, object]
) -> dict[str, object]:
    """One delivery-report entry as Infobip posts it."""
    return {
        "bulkId": "bulk-1",
        "messageId": message_id,
        "to": RESIDENT.removeprefix("+"),
        "sentAt": "2026-11-30T10:00:00.000+0000",
        "doneAt": "2026-11-30T10:00:05.000+0000",
        "messageCount": 1,
        "status": status,
        "error": error,
    }


async def drain(worker: OutboxWorker) -> None:
    """Send everything due now."""
    while await worker.drain_once():
        pass


async def settled(conn: asyncpg.Connection, expected: str, seconds: float = 3.0) -> list[str]:
    """Every outbox status, once all are `expected` (or the time is up)."""
    for _ in range(int(seconds / 0.05)):
        statuses = [r["status"] for r in await conn.fetch("SELECT status FROM outbox ORDER BY id")]
        if statuses and all(s == expected for s in statuses):
            return statuses
        await asyncio.sleep(0.05)
    return [r["status"] for r in await conn.fetch("SELECT status FROM outbox ORDER BY id")]


async def accepted(conn: asyncpg.Connection, message_id: str) -> int:
    """A resident's SMS Infobip has accepted under `message_id`; its outbox id."""
    outbox_id = await enqueue_sms(conn, QueuedSms(b"sealed", "resident", "Laporan diterima.", "t"))
    await mark_accepted(conn, outbox_id, message_id, "PENDING/PENDING_ACCEPTED")
    return outbox_id


async def report_events(conn: asyncpg.Connection, outbox_id: int) -> list[tuple[str, str]]:
    """A message's 'report' timeline events: (detail, raw)."""
    rows = await conn.fetch(
        "SELECT detail, raw FROM sms_events WHERE outbox_id = $1 AND kind = 'report' ORDER BY id",
        outbox_id,
    )
    return [(r["detail"], r["raw"]) for r in rows]


class TestDoneWhen:
    async def test_lapor_gets_its_receipt_through_infobip(
        self, infobip: Infobip, conn: asyncpg.Connection
    ) -> None:
        """An Infobip inbound LAPOR files a tip whose receipt SMS goes out through Infobip's API."""
        body = ib.inbound_payload(RESIDENT, STORY, OUR_NUMBER, "ib-in-lapor")
        assert (200, "") == await post_inbound(infobip.client, body)
        await drain(infobip.worker)
        receipt = await conn.fetchval("SELECT receipt FROM tips")
        [sent] = infobip.fake.messages
        assert ("6281234567890", SENDER_ID, True) == (
            sent["to"],
            sent["sender"],
            show_receipt(receipt) in sent["text"],
        )

    async def test_delivery_report_marks_it_delivered(
        self, infobip: Infobip, conn: asyncpg.Connection
    ) -> None:
        """Infobip's delivery report for the receipt marks that message delivered."""
        body = ib.inbound_payload(RESIDENT, STORY, OUR_NUMBER, "ib-in-delivered")
        await post_inbound(infobip.client, body)
        await drain(infobip.worker)
        assert ["delivered"] == await settled(conn, "delivered")

    async def test_report_batch_with_unknown_and_repeat(
        self, infobip: Infobip, conn: asyncpg.Connection
    ) -> None:
        """A bucket with an unknown status and a repeated report is answered 200 and changes
        each message once: delivered once, the unknown one recorded but left 'sent'."""
        first = await accepted(conn, "hotline-batch-1")
        second = await accepted(conn, "hotline-batch-2")
        delivered = report("hotline-batch-1", ib.DELIVERED_TO_HANDSET, ib.NO_ERROR)
        mystery = report("hotline-batch-2", ib.MYSTERY_STATUS, ib.NO_ERROR)
        answer = await post_reports(infobip.client, [delivered, mystery, delivered])
        statuses = await conn.fetch("SELECT id, status FROM outbox ORDER BY id")
        assert (
            (200, ""),
            [(first, "delivered"), (second, "sent")],
            [("delivered (DELIVERED/DELIVERED_TO_HANDSET)", "DELIVERED/DELIVERED_TO_HANDSET")],
            [("unknown (MYSTERY/MYSTERY_STATUS)", "MYSTERY/MYSTERY_STATUS")],
        ) == (
            answer,
            [tuple(r) for r in statuses],
            await report_events(conn, first),
            await report_events(conn, second),
        )

    async def test_repeated_bucket_changes_nothing(
        self, infobip: Infobip, conn: asyncpg.Connection
    ) -> None:
        """The same bucket again (Infobip retrying) is answered 200 and changes no row."""
        await accepted(conn, "hotline-again-1")
        bucket = [report("hotline-again-1", ib.DELIVERED_TO_HANDSET, ib.NO_ERROR)]
        await post_reports(infobip.client, bucket)
        before = [
            [tuple(r) for r in await conn.fetch(q)]
            for q in (
                "SELECT * FROM outbox",
                "SELECT * FROM sms_events",
                "SELECT * FROM delivery_reports",
            )
        ]
        answer = await post_reports(infobip.client, bucket)
        after = [
            [tuple(r) for r in await conn.fetch(q)]
            for q in (
                "SELECT * FROM outbox",
                "SELECT * FROM sms_events",
                "SELECT * FROM delivery_reports",
            )
        ]
        assert ((200, ""), before) == (answer, after)

    async def test_unknown_status_counted_in_metrics(
        self, infobip: Infobip, conn: asyncpg.Connection
    ) -> None:
        """/metrics counts reports by our status, an unknown one under 'unknown', repeats once."""
        await accepted(conn, "hotline-metrics-1")
        await accepted(conn, "hotline-metrics-2")
        delivered = report("hotline-metrics-1", ib.DELIVERED_TO_HANDSET, ib.NO_ERROR)
        mystery = report("hotline-metrics-2", ib.MYSTERY_STATUS, ib.NO_ERROR)
        await post_reports(infobip.client, [delivered, mystery, mystery])
        counted = nonzero(
            await scrape(infobip.client), "hotline_sms_delivery_reports_total", "status"
        )
        assert {"delivered": 1.0, "unknown": 1.0} == counted


class TestWebhooks:
    async def test_malformed_inbound_names_the_field(self, infobip: Infobip) -> None:
        """An inbound body without a messageId is refused with 400 naming it."""
        body = {"results": [{"from": "6281234567890", "to": OUR_NUMBER, "text": "INFO"}]}
        assert (400, "results[0].messageId: missing\n") == await post_inbound(infobip.client, body)

    async def test_malformed_report_names_the_field(self, infobip: Infobip) -> None:
        """A report without a status is refused with 400 naming it."""
        answer = await post_reports(infobip.client, [{"messageId": "hotline-x"}])
        assert (400, "results[0].status: missing\n") == answer

    async def test_sender_id_not_a_phone_is_dropped_with_200(
        self, infobip: Infobip, conn: asyncpg.Connection
    ) -> None:
        """An inbound SMS from an alphanumeric sender id is answered 200 and stores nothing."""
        body = ib.inbound_payload("TELKOMSEL", "Promo paket data", OUR_NUMBER, "ib-in-promo")
        answer = await post_inbound(infobip.client, body)
        assert ((200, ""), 0, 0) == (
            answer,
            await conn.fetchval("SELECT count(*) FROM sms_inbound"),
            await conn.fetchval("SELECT count(*) FROM outbox"),
        )

    async def test_repeated_inbound_files_once(
        self, infobip: Infobip, conn: asyncpg.Connection
    ) -> None:
        """The same inbound webhook twice (Infobip retrying) files one tip and one reply."""
        body = ib.inbound_payload(RESIDENT, STORY, OUR_NUMBER, "ib-in-twice")
        await post_inbound(infobip.client, body)
        await post_inbound(infobip.client, body)
        assert (1, 1) == (
            await conn.fetchval("SELECT count(*) FROM tips"),
            await conn.fetchval("SELECT count(*) FROM outbox WHERE recipient_kind = 'resident'"),
        )

    @pytest.mark.parametrize("path", ["/infobip/sms/inbound", "/infobip/sms/delivery"])
    async def test_callback_token_required(self, infobip: Infobip, path: str) -> None:
        """Infobip's callbacks without the callback token are refused with 403."""
        response = await infobip.client.post(path, data=b"{}", params={"token": "wrong"})
        assert 403 == response.status


class TestBatching:
    async def test_worker_sends_rows_in_one_request(
        self, infobip: Infobip, conn: asyncpg.Connection
    ) -> None:
        """Three residents' receipts due at once go to Infobip in one request."""
        for n in range(3):
            phone = f"+62812345678{n:02d}"
            await post_inbound(
                infobip.client, ib.inbound_payload(phone, STORY, OUR_NUMBER, f"ib-in-b{n}")
            )
        await drain(infobip.worker)
        [request] = infobip.fake.requests
        assert isinstance(request.body, dict)
        assert (3, f"App {KEY}") == (len(request.body["messages"]), request.authorization)

    async def test_message_ids_are_prefix_and_outbox_id(
        self, infobip: Infobip, conn: asyncpg.Connection
    ) -> None:
        """Each row goes out with messageId = prefix + outbox id, which its report carries."""
        await post_inbound(infobip.client, ib.inbound_payload(RESIDENT, STORY, OUR_NUMBER, "ib-id"))
        await drain(infobip.worker)
        outbox_id, provider_id = await conn.fetchrow("SELECT id, provider_id FROM outbox")
        assert f"hotline-{outbox_id}" == provider_id


class TestSettings:
    def test_incomplete_settings_name_what_is_missing(self) -> None:
        """HOTLINE_SMS_PROVIDER=infobip with only a base URL stops start-up naming the rest."""
        env = {"HOTLINE_SMS_PROVIDER": "infobip", "INFOBIP_BASE_URL": "https://x.api.infobip.com"}
        with pytest.raises(ConfigError) as error:
            Config.from_env(env)
        assert ["INFOBIP_API_KEY, INFOBIP_SENDER: required with the other Infobip settings"] == (
            error.value.problems
        )

    def test_no_settings_outside_demo_refused(self, config: Config) -> None:
        """HOTLINE_SMS_PROVIDER=infobip without its settings does not serve outside the demo."""
        with pytest.raises(ConfigError) as error:
            check_serving(replace(config, sms_provider="infobip"))
        assert "INFOBIP_BASE_URL, INFOBIP_API_KEY, INFOBIP_SENDER" in error.value.problems[0]

    def test_unknown_provider_refused(self) -> None:
        """A provider name not in the registry is refused, naming the known ones."""
        with pytest.raises(ConfigError) as error:
            Config.from_env({"HOTLINE_SMS_PROVIDER": "twilio"})
        assert "must be one of africastalking, infobip" in error.value.problems[0]

    def test_demo_without_account_uses_local_fake(self, config: Config) -> None:
        """The demo with HOTLINE_SMS_PROVIDER=infobip and no account sends to the local fake."""
        demo = replace(config, sms_provider="infobip", demo=True)
        assert (True, True) == (demo.local_gateway, demo.sms_enabled)


async def outbox(conn: asyncpg.Connection) -> list[tuple[str, str]]:
    """Every outbox row's status and last error, oldest first."""
    rows = await conn.fetch("SELECT status, last_error FROM outbox ORDER BY id")
    return [(r["status"], r["last_error"]) for r in rows]


class TestWorkerOutcomes:
    async def test_rejected_number_fails_alone(
        self, infobip: Infobip, conn: asyncpg.Connection
    ) -> None:
        """In one request, the row Infobip rejects fails for good; the other is sent."""
        for n, phone in enumerate((RESIDENT, "+" + ib.REJECTED_NUMBER)):
            body = ib.inbound_payload(phone, "INFO", OUR_NUMBER, f"ib-in-rej{n}")
            await post_inbound(infobip.client, body)
        await drain(infobip.worker)
        taken = [status in ("sent", "delivered") for status, _ in await outbox(conn)]
        assert (1, [True, False], "failed") == (
            len(infobip.fake.requests),
            taken,
            (await outbox(conn))[1][0],
        )

    async def test_bad_key_pauses_sending(self, infobip: Infobip, conn: asyncpg.Connection) -> None:
        """A refused API key pauses all sending and puts the row back, unsent."""
        infobip.fake.mode = "unauthorized"
        await post_inbound(infobip.client, ib.inbound_payload(RESIDENT, "INFO", OUR_NUMBER))
        await drain(infobip.worker)
        paused = await conn.fetchrow("SELECT paused, reason FROM sender_state")
        assert (True, True, [("queued", "")]) == (
            paused["paused"] if paused else None,
            "INFOBIP_API_KEY" in (paused["reason"] if paused else ""),
            await outbox(conn),
        )

    async def test_server_error_is_retried(
        self, infobip: Infobip, conn: asyncpg.Connection
    ) -> None:
        """Infobip answering 500 schedules a retry with the reason kept."""
        infobip.fake.mode = "down"
        await post_inbound(infobip.client, ib.inbound_payload(RESIDENT, "INFO", OUR_NUMBER))
        await infobip.worker.drain_once()
        [(status, reason)] = await outbox(conn)
        assert ("queued", True) == (status, reason.startswith("HTTP 500"))

    async def test_delivered_resident_number_is_forgotten(
        self, infobip: Infobip, conn: asyncpg.Connection
    ) -> None:
        """Once Infobip reports the receipt delivered, the resident's sealed number is blanked."""
        await post_inbound(infobip.client, ib.inbound_payload(RESIDENT, STORY, OUR_NUMBER))
        await drain(infobip.worker)
        await settled(conn, "delivered")
        sealed = await conn.fetchval("SELECT recipient_sealed FROM outbox")
        assert b"" == bytes(sealed)


class TestUnstorableText:
    async def test_nul_in_a_report_is_dropped_not_a_500(
        self, infobip: Infobip, conn: asyncpg.Connection
    ) -> None:
        """A NUL in a report's fields (found by the fuzzer: PostgreSQL refuses U+0000) is
        removed and the report recorded, answered 200."""
        outbox_id = await accepted(conn, "hotline-nul-1")
        error = {**ib.EC_ABSENT_SUBSCRIBER, "name": "EC_\x00ABSENT"}
        answer = await post_reports(
            infobip.client, [report("hotline-nul-1", ib.UNDELIVERABLE_NOT_DELIVERED, error)]
        )
        events = await report_events(conn, outbox_id)
        assert ((200, ""), True) == (answer, "EC_ABSENT: Absent subscriber" in events[0][0])
