"""
Infobip's SMS webhooks over HTTP: `/infobip/sms/inbound` and `/infobip/sms/delivery`, parsed by
webhooks.py into core types and handed to the provider-neutral core (gateway.sms_inbound,
gateway.sms_delivery). Both sit behind the callback token (gateway.middleware), like `/at/...`.

Infobip retries a webhook until it gets a 2xx. A body Infobip would never send is refused with
400 naming the field (it is not Infobip, or a bug we must see); anything Infobip may send is
answered 200: repeats, unknown statuses, reports for ids we do not know yet, and an inbound
message from an alphanumeric sender id (logged and dropped: it is not a resident).
"""

from __future__ import annotations

import structlog
from aiohttp import web

from gateway.providers.infobip.webhooks import (
    InfobipPayloadError,
    parse_delivery_reports,
    parse_inbound_from_phones,
)
from gateway.sms_delivery import apply_delivery_reports
from gateway.sms_inbound import handle_inbound_sms

log = structlog.get_logger()
INBOUND_PATH = "/infobip/sms/inbound"
DELIVERY_PATH = "/infobip/sms/delivery"


async def inbound_callback(request: web.Request) -> web.Response:
    """POST /infobip/sms/inbound: one or more SMS; 200 unless the body is not Infobip's."""
    try:
        messages, skipped = parse_inbound_from_phones(await request.read())
    except InfobipPayloadError as error:
        log.warning("sms.inbound_rejected", problem=str(error))
        return web.Response(status=400, text=f"{error}\n")
    for field in skipped:
        log.warning("sms.inbound_dropped", field=field, reason="from is not a phone number")
    for message in messages:
        if not await handle_inbound_sms(request, message):
            log.warning("sms.inbound_dropped", reason="from is not a phone number")
    return web.Response(text="")


async def delivery_callback(request: web.Request) -> web.Response:
    """POST /infobip/sms/delivery: a bucket of reports, each applied once; 200 for any status."""
    try:
        reports = parse_delivery_reports(await request.read())
    except InfobipPayloadError as error:
        log.warning("sms.delivery_report_rejected", problem=str(error))
        return web.Response(status=400, text=f"{error}\n")
    await apply_delivery_reports(request.app, reports)
    return web.Response(text="")


def setup_sms_routes(app: web.Application) -> None:
    """Infobip's SMS webhooks."""
    app.router.add_post(INBOUND_PATH, inbound_callback)
    app.router.add_post(DELIVERY_PATH, delivery_callback)
