"""
Africa's Talking's SMS delivery reports: each one lands in its message's timeline.

A repeated report changes nothing; a report for an id we do not know yet is kept (it may have
overtaken the send's own answer) and answered 200, as AT would otherwise retry it for hours. The
failure reason is stored with phone numbers masked (a gateway may quote the recipient).
"""

from __future__ import annotations

import structlog
from aiohttp import web

from gateway import keys
from gateway.forms import read_form
from gateway.metrics import METRICS
from gateway.phones import mask_quoted
from storage.outbox import DELIVERY_STATUSES, record_delivery_report

log = structlog.get_logger()


async def sms_delivery_callback(request: web.Request) -> web.Response:
    """POST /at/sms/delivery: one delivery report."""
    form = await read_form(request)
    missing = [name for name in ("id", "status") if not form.get(name, "").strip()]
    if missing:
        return web.Response(status=400, text=f"missing field: {', '.join(missing)}\n")
    status = form["status"].strip()
    if status not in DELIVERY_STATUSES:
        accepted = ", ".join(DELIVERY_STATUSES)
        return web.Response(
            status=400, text=f"unknown status {status[:30]!r}; accepted: {accepted}\n"
        )
    provider_id = form["id"].strip()[:100]
    reason = mask_quoted(form.get("failureReason", "").strip())[:60]
    async with request.app[keys.POOL].acquire() as conn:
        new, outbox_id = await record_delivery_report(conn, provider_id, status, reason)
    if new:
        request.app[METRICS].sms_delivery_reports.labels(status).inc()
    if outbox_id is None:
        log.info("sms.delivery_report_unknown_id", provider_id=provider_id, status=status)
    else:
        log.info(
            "sms.delivery_reported",
            outbox_id=outbox_id,
            status=status,
            failure_reason=reason,
            duplicate=not new,
        )
    return web.Response(text="")
