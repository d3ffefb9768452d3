"""
Prometheus metrics: one registry per app (never the global one), served at GET /metrics.

Counters and the hop histogram are updated where things happen; the outbox gauges are read with
one SQL query at scrape time, so every process reports the shared outbox as it is. The endpoint
has no authentication: expose it only to the monitoring network (firewall or reverse proxy).
A standalone `hotline worker` counts its own sends but serves no /metrics; the outbox gauges
still show its progress.

Under `hotline serve --workers N` the parent sets PROMETHEUS_MULTIPROC_DIR (a fresh directory)
before the workers start: prometheus_client then keeps every value in a file per process, and
/metrics, whichever worker answers, sums the counters and histograms of all workers (exited ones
included) and shows each scrape-time gauge as last set by a live worker (`livemostrecent`: the
answering worker sets them just before). Per-process figures (process_cpu_seconds and the like)
are left out there: summed over workers they would mean nothing.
"""

from __future__ import annotations

import asyncio
import os
from typing import Final

import structlog
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from gateway import keys
from storage.budgets import AbuseGauges, abuse_gauges
from storage.db import DATABASE_ERRORS
from storage.outbox import DELIVERY_STATUSES
from storage.reads import OutboxGauges, outbox_gauges
from storage.tips import CATEGORIES

log = structlog.get_logger()

# Most hops are answered from memory in well under a millisecond; a database round trip takes a
# few; AT gives up on an answer after about ten seconds.
HOP_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
SEND_OUTCOMES = ("accepted", "retry", "dead", "failed", "paused")
CHANNELS = ("ussd", "sms")
# Set by `hotline serve --workers N` for its workers (gateway/workers.py); read by prometheus_client
# when it is imported, so it is set in a worker's environment before it starts.
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
# A gauge read at scrape time: shown as last set by a live process (the one answering).
SCRAPED: Final = "livemostrecent"


class Metrics:
    """Every metric of one app, in its own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        # What /metrics serves: this registry, or every worker's values (see the docstring).
        self.served = registry
        shared = os.environ.get(MULTIPROC_DIR)
        if shared:
            self.served = CollectorRegistry()
            MultiProcessCollector(self.served, path=shared)  # type: ignore[no-untyped-call]
        else:
            ProcessCollector(registry=registry)
        self.ussd_hop_seconds = Histogram(
            "hotline_ussd_hop_seconds",
            "Time to answer one USSD hop (POST /at/ussd).",
            buckets=HOP_BUCKETS,
            registry=registry,
        )
        self.ussd_sessions_ended = Counter(
            "hotline_ussd_sessions_ended",
            "USSD sessions ended (AT's end-of-session notification), by status and last step.",
            ["status", "last_step"],
            registry=registry,
        )
        self.tips_filed = Counter(
            "hotline_tips_filed",
            "Tips filed (retries of the same session or SMS not counted).",
            ["category", "channel"],
            registry=registry,
        )
        self.sms_send_outcomes = Counter(
            "hotline_sms_send_outcomes",
            "Outbound SMS send attempts by outcome: accepted, retry, dead, failed, paused.",
            ["outcome"],
            registry=registry,
        )
        self.sms_delivery_reports = Counter(
            "hotline_sms_delivery_reports",
            "Delivery reports received from the SMS provider (repeats not counted), by our status"
            " taxonomy ('unknown': a status the provider's adapter does not know).",
            ["status"],
            registry=registry,
        )
        self.escalations = Counter(
            "hotline_alert_escalations",
            "Tips escalated past unacknowledged or failed alerts, by tier reached ('none': no"
            " higher tier left).",
            ["to_tier"],
            registry=registry,
        )
        self.outbox_depth = Gauge(
            "hotline_outbox_depth",
            "Outbound SMS not yet handed to the provider, by status (read at scrape time).",
            ["status"],
            multiprocess_mode=SCRAPED,
            registry=registry,
        )
        self.outbox_oldest_queued_age = Gauge(
            "hotline_outbox_oldest_queued_age_seconds",
            "Age of the oldest queued outbound SMS, 0 when none (read at scrape time).",
            multiprocess_mode=SCRAPED,
            registry=registry,
        )
        self.sms_sending_paused = Gauge(
            "hotline_sms_sending_paused",
            "1 while an account-level problem pauses all sending (read at scrape time).",
            multiprocess_mode=SCRAPED,
            registry=registry,
        )
        self.sms_claimed_this_hour = Gauge(
            "hotline_sms_claimed_this_hour",
            "Outbound SMS attempts claimed this clock hour, against HOTLINE_SMS_PER_HOUR.",
            multiprocess_mode=SCRAPED,
            registry=registry,
        )
        self.sms_budget_exhausted = Gauge(
            "hotline_sms_budget_exhausted",
            "1 while this hour's outbound SMS budget is used up: messages wait (alarm).",
            multiprocess_mode=SCRAPED,
            registry=registry,
        )
        self.alerts_held = Gauge(
            "hotline_alerts_held",
            "Official alerts held by the tip flood detector until released (alarm when > 0).",
            multiprocess_mode=SCRAPED,
            registry=registry,
        )
        self.receipt_lookups_paused = Gauge(
            "hotline_receipt_lookups_paused",
            "1 while failed receipt lookups have used up their budget (alarm: guessing).",
            multiprocess_mode=SCRAPED,
            registry=registry,
        )
        for category in CATEGORIES:
            for channel in CHANNELS:
                self.tips_filed.labels(category, channel)
        for outcome in SEND_OUTCOMES:
            self.sms_send_outcomes.labels(outcome)
        for status in DELIVERY_STATUSES:
            self.sms_delivery_reports.labels(status)

    def set_outbox(self, gauges: OutboxGauges | None) -> None:
        """The outbox gauges from a fresh reading; NaN when the database did not answer."""
        nan = float("nan")
        self.outbox_depth.labels("queued").set(gauges.queued if gauges else nan)
        self.outbox_depth.labels("sending").set(gauges.sending if gauges else nan)
        self.outbox_oldest_queued_age.set(gauges.oldest_queued_s if gauges else nan)
        self.sms_sending_paused.set(float(gauges.paused) if gauges else nan)

    def set_abuse(self, gauges: AbuseGauges | None, sms_per_hour: int) -> None:
        """The budget gauges from a fresh reading; NaN when the database did not answer."""
        nan = float("nan")
        claimed = gauges.sms_claimed_this_hour if gauges else nan
        self.sms_claimed_this_hour.set(claimed)
        self.sms_budget_exhausted.set(float(claimed >= sms_per_hour) if gauges else nan)
        self.alerts_held.set(gauges.held_alerts if gauges else nan)
        self.receipt_lookups_paused.set(float(gauges.receipt_lookups_paused) if gauges else nan)


# The app's metrics; declared here, next to what it holds (gateway.keys imports nothing of ours).
METRICS = web.AppKey("metrics", Metrics)


async def metrics_endpoint(request: web.Request) -> web.Response:
    """GET /metrics: the Prometheus text format (no authentication: firewall it)."""
    metrics = request.app[METRICS]
    config = request.app[keys.CONFIG]
    try:
        gauges: OutboxGauges | None = await asyncio.wait_for(
            outbox_gauges(request.app[keys.POOL]), timeout=config.db_timeout_s
        )
    except DATABASE_ERRORS as error:
        log.warning("metrics.outbox_unavailable", error=type(error).__name__)
        gauges = None
    metrics.set_outbox(gauges)
    try:
        budgets: AbuseGauges | None = await asyncio.wait_for(
            abuse_gauges(request.app[keys.POOL]), timeout=config.db_timeout_s
        )
    except DATABASE_ERRORS as error:
        log.warning("metrics.budgets_unavailable", error=type(error).__name__)
        budgets = None
    metrics.set_abuse(budgets, config.sms_per_hour)
    return web.Response(
        body=generate_latest(metrics.served), headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4}
    )
