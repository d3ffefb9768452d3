"""GET /metrics: what the service counts, read back as Prometheus reads it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg
import prometheus_client
import pytest
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from gateway.app import create_app
from gateway.config import Config
from gateway.metrics import METRICS
from tests.conftest import Gateway
from tests.sms_client import send_sms

PHONE = "+6281234567890"
STORY = "Calo minta uang 10 juta untuk ke Taiwan"
# A calo tip in Pontang, desa Kubang Puji (typed, confirmed), no agency.
TIP_JOURNEY = ["2", "2", "pontang", "1", "Kubang Puji", "1", "1", STORY, "1"]
INVALID_NUMBER = "+62811000403"  # the fake AT answers InvalidPhoneNumber

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    """Every sample of a scrape, by name and labels."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    """One sample's value, None when the scrape does not have it."""
    return samples.get((name, frozenset(labels.items())))


def nonzero(samples: Samples, name: str, label: str) -> dict[str, float]:
    """A labelled counter's non-zero values by one label."""
    return {dict(k)[label]: v for (n, k), v in samples.items() if n == name and v}


async def scrape(client: TestClient) -> Samples:
    """GET /metrics, parsed."""
    response = await client.get("/metrics")
    assert 200 == response.status
    return parse(await response.text())


async def hop(client: TestClient, text: str, session_id: str) -> str:
    """Post one USSD hop as AT does; the body."""
    form = {
        "sessionId": session_id,
        "phoneNumber": PHONE,
        "networkCode": "51010",
        "serviceCode": "*123*45#",
        "text": text,
    }
    response = await client.post("/at/ussd", data=form)
    assert 200 == response.status, await response.text()
    return await response.text()


async def walk(client: TestClient, inputs: list[str], session_id: str) -> int:
    """Dial and answer each input in turn within one session; how many hops were posted."""
    await hop(client, "", session_id)
    for n in range(1, len(inputs) + 1):
        await hop(client, "*".join(inputs[:n]), session_id)
    return len(inputs) + 1


async def session_ended(client: TestClient, session_id: str, status: str, path: str) -> None:
    """Post AT's end-of-session notification."""
    form = {
        "sessionId": session_id,
        "phoneNumber": PHONE,
        "networkCode": "51010",
        "serviceCode": "*123*45#",
        "status": status,
        "date": "2026-11-30 10:00:00",
        "durationInMillis": "20000",
        "hopsCount": "2",
        "input": path,
        "lastAppResponse": "CON",
        "errorMessage": "",
    }
    response = await client.post("/at/ussd/events", data=form)
    assert 200 == response.status, await response.text()


async def send_everything(gateway: Gateway, conn: asyncpg.Connection) -> None:
    """Drain the outbox and wait (briefly) for the fake AT's delivery reports."""
    # Reports come well after the worker recorded each acceptance (see tests/test_api.py).
    gateway.fake.report_delay_s = 0.2
    while await gateway.worker.drain_once():
        pass
    deadline = asyncio.get_running_loop().time() + 5
    while await conn.fetchval("SELECT count(*) FROM outbox WHERE status = 'sent'"):
        assert asyncio.get_running_loop().time() < deadline, "delivery reports did not arrive"
        await asyncio.sleep(0.02)


@dataclass(frozen=True, slots=True)
class Activity:
    """A morning's traffic, and the scrapes before and after the outbox was drained."""

    hops: int
    messages: int
    queued: Samples
    sent: Samples


@pytest.fixture
async def activity(gateway: Gateway, conn: asyncpg.Connection) -> Activity:
    """A USSD tip, an SMS tip and a dropped session; scraped, then everything sent, scraped."""
    client = gateway.client
    hops = await walk(client, TIP_JOURNEY, "ATUid_metrics_tip")
    hops += await walk(client, ["5"], "ATUid_metrics_lang")
    await session_ended(client, "ATUid_metrics_lang", "Incomplete", "5")
    await send_sms(client, "LAPOR biaya penempatan diminta 30 juta")
    messages = await conn.fetchval("SELECT count(*) FROM outbox")
    queued = await scrape(client)
    await send_everything(gateway, conn)
    return Activity(hops, messages, queued, await scrape(client))


class TestEndpoint:
    async def test_is_prometheus_text_format(self, client: TestClient) -> None:
        """/metrics answers in Prometheus' text exposition format 0.0.4."""
        response = await client.get("/metrics")
        assert "text/plain; version=0.0.4; charset=utf-8" == response.headers["Content-Type"]

    async def test_needs_no_token(self, client: TestClient) -> None:
        """/metrics answers without credentials (it is to be firewalled, not authenticated)."""
        assert 200 == (await client.get("/metrics")).status

    def test_apps_keep_their_own_registries(self, config: Config) -> None:
        """Two apps in one process count apart, each in its own registry."""
        first = create_app(config, "postgresql://unused/first")
        second = create_app(config, "postgresql://unused/second")
        assert first[METRICS].registry is not second[METRICS].registry

    def test_nothing_in_the_global_registry(self, config: Config) -> None:
        """No hotline metric is registered in prometheus_client's global registry."""
        create_app(config, "postgresql://unused/app")
        names = [m.name for m in prometheus_client.REGISTRY.collect()]
        assert [] == [n for n in names if n.startswith("hotline")]


class TestUssd:
    async def test_every_hop_is_timed(self, activity: Activity) -> None:
        """The hop histogram has one observation per POST /at/ussd."""
        assert activity.hops == value(activity.sent, "hotline_ussd_hop_seconds_count")

    async def test_hops_fall_in_millisecond_buckets(self, activity: Activity) -> None:
        """The histogram has buckets below 10 ms, where answered hops fall."""
        buckets = [
            float(dict(labels)["le"])
            for (name, labels), _ in activity.sent.items()
            if name == "hotline_ussd_hop_seconds_bucket"
        ]
        assert 3 <= len([b for b in buckets if b <= 0.01])

    async def test_sessions_by_status_and_step(self, activity: Activity) -> None:
        """An ended session is counted under its status and the step it ended on."""
        assert {"lang": 1.0} == nonzero(
            activity.sent, "hotline_ussd_sessions_ended_total", "last_step"
        )

    async def test_repeated_session_end_counted_once(self, client: TestClient) -> None:
        """AT repeating an end-of-session notification is not counted again."""
        await session_ended(client, "ATUid_metrics_repeat", "Failed", "")
        await session_ended(client, "ATUid_metrics_repeat", "Failed", "")
        samples = await scrape(client)
        assert 1.0 == value(
            samples, "hotline_ussd_sessions_ended_total", status="failed", last_step="main"
        )


class TestTips:
    async def test_ussd_tip_by_category(self, activity: Activity) -> None:
        """A tip filed by USSD is counted under its category and channel."""
        samples = activity.sent
        assert 1.0 == value(samples, "hotline_tips_filed_total", category="calo", channel="ussd")

    async def test_sms_tip_by_category(self, activity: Activity) -> None:
        """A tip filed by SMS is counted under its category and channel."""
        samples = activity.sent
        assert 1.0 == value(samples, "hotline_tips_filed_total", category="biaya", channel="sms")

    async def test_resent_final_hop_not_counted(self, client: TestClient) -> None:
        """AT resending the hop that filed a tip does not count it twice."""
        await walk(client, TIP_JOURNEY, "ATUid_metrics_resent")
        await hop(client, "*".join(TIP_JOURNEY), "ATUid_metrics_resent")
        samples = await scrape(client)
        assert 1.0 == value(samples, "hotline_tips_filed_total", category="calo", channel="ussd")


class TestSms:
    async def test_outbox_depth_before_sending(self, activity: Activity) -> None:
        """Before the worker runs, the depth gauge shows every message queued."""
        queued = value(activity.queued, "hotline_outbox_depth", status="queued")
        assert activity.messages == queued

    async def test_oldest_queued_age_before_sending(self, activity: Activity) -> None:
        """Before the worker runs, the oldest queued message has an age."""
        age = value(activity.queued, "hotline_outbox_oldest_queued_age_seconds")
        assert age is not None and age > 0

    async def test_outbox_empty_after_sending(self, activity: Activity) -> None:
        """Once everything is sent, depth and oldest age are 0."""
        samples = activity.sent
        assert (0.0, 0.0) == (
            value(samples, "hotline_outbox_depth", status="queued"),
            value(samples, "hotline_outbox_oldest_queued_age_seconds"),
        )

    async def test_sends_by_outcome(self, activity: Activity) -> None:
        """Every message the fake AT accepted is counted as accepted, and nothing else."""
        counted = nonzero(activity.sent, "hotline_sms_send_outcomes_total", "outcome")
        assert {"accepted": activity.messages} == counted

    async def test_delivery_reports_by_status(self, activity: Activity) -> None:
        """Every delivery report is counted under our status (AT's Success: delivered)."""
        counted = nonzero(activity.sent, "hotline_sms_delivery_reports_total", "status")
        assert {"delivered": activity.messages} == counted

    async def test_permanent_failure_counted(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A send AT refuses for good is counted as failed."""
        await walk(gateway.client, TIP_JOURNEY, "ATUid_metrics_invalid")
        await conn.execute(
            "UPDATE officials SET phone = $1 WHERE id ="
            " (SELECT min(official_id) FROM outbox WHERE official_id IS NOT NULL)",
            INVALID_NUMBER,
        )
        await send_everything(gateway, conn)
        samples = await scrape(gateway.client)
        assert 1.0 == value(samples, "hotline_sms_send_outcomes_total", outcome="failed")

    async def test_pause_gauge(self, client: TestClient, conn: asyncpg.Connection) -> None:
        """While an account-level problem pauses sending, the pause gauge is 1."""
        await conn.execute("UPDATE sender_state SET paused = true, reason = 'no balance'")
        samples = await scrape(client)
        assert 1.0 == value(samples, "hotline_sms_sending_paused")


class TestEscalation:
    async def test_escalation_counted_by_tier(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """An unacknowledged alert passed on to the next tier is counted under that tier."""
        await walk(gateway.client, TIP_JOURNEY, "ATUid_metrics_escalate")
        await conn.execute("UPDATE alerts SET ack_due_at = now() - interval '1 minute'")
        await gateway.worker.escalate_once()
        samples = await scrape(gateway.client)
        assert {"2": 1.0} == nonzero(samples, "hotline_alert_escalations_total", "to_tier")
