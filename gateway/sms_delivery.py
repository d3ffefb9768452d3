"""
Delivery reports, from any provider: each lands once in its message's timeline.

Every provider's delivery callback parses its own format into `DeliveryReport`s (our status
taxonomy plus the provider's raw words) and hands them here, several per request if the provider
batches them. A repeated report changes nothing; a report for an id we do not know yet is kept (it
may have overtaken the send's own answer); a status the provider invented after we wrote its
adapter is recorded as `unknown` with its raw words. None of these is an error to the provider:
refusing them would only make it retry for hours. The failure reason is stored with phone numbers
masked (a gateway may quote the recipient).
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from aiohttp import web

from gateway import keys
from gateway.core.messages import DeliveryReport
from gateway.forms import clean_text
from gateway.metrics import METRICS
from gateway.phones import mask_quoted
from storage.outbox import record_delivery_report

log = structlog.get_logger()
_ID_MAX = 100
_RAW_MAX = 60
_REASON_MAX = 100


def storable(text: str) -> str:
    """Text PostgreSQL can store, whatever a provider sent: no NUL or other control characters,
    no lone surrogates (a JSON body may escape one)."""
    return clean_text(text).encode("utf-8", "replace").decode("utf-8")


async def apply_delivery_reports(app: web.Application, reports: Sequence[DeliveryReport]) -> None:
    """Record each report once and apply it to its message; counts new ones in /metrics."""
    for report in reports:
        await _apply(app, report)


async def _apply(app: web.Application, report: DeliveryReport) -> None:
    provider_id = storable(report.provider_message_id).strip()[:_ID_MAX]
    status = report.status.value
    raw = mask_quoted(storable(report.raw_status).strip())[:_RAW_MAX]
    reason = mask_quoted(storable(report.reason).strip())[:_REASON_MAX]
    async with app[keys.POOL].acquire() as conn:
        new, outbox_id = await record_delivery_report(conn, provider_id, status, raw, reason)
    if new:
        app[METRICS].sms_delivery_reports.labels(status).inc()
    if outbox_id is None:
        log.info("sms.delivery_report_unknown_id", provider_id=provider_id, status=status, raw=raw)
        return
    event = "sms.delivery_status_unknown" if status == "unknown" else "sms.delivery_reported"
    log.info(
        event,
        outbox_id=outbox_id,
        status=status,
        raw=raw,
        failure_reason=reason,
        duplicate=not new,
    )
