"""
Africa's Talking's SMS callbacks: its urlencoded inbound-SMS and delivery-report forms, parsed
into `InboundSms` / `DeliveryReport` and handed to the provider-neutral core
(gateway.sms_inbound, gateway.sms_delivery).

AT posts one SMS or one report per request and retries until it gets a 200. A form without the
fields AT always sends is refused with 400 naming them (it is not AT); a status word AT added
after this table was written is recorded as `unknown` with the word, answered 200.
Facts: AT's SMS docs, "Incoming messages" (from, to, text, date, id, linkId) and "Delivery
reports" (id, status, phoneNumber, networkCode, failureReason; statuses Sent, Submitted,
Buffered, Rejected, Success, Failed, AbsentSubscriber, Expired).
"""

from __future__ import annotations

import structlog
from aiohttp import web

from gateway.core.messages import DeliveryReport, DeliveryStatus, InboundSms
from gateway.forms import read_form
from gateway.phones import normalize
from gateway.sms_delivery import apply_delivery_reports
from gateway.sms_inbound import handle_inbound_sms

log = structlog.get_logger()

# AT's delivery status words -> our taxonomy: the one table. Anything else is UNKNOWN.
STATUS_BY_WORD: dict[str, DeliveryStatus] = {
    "Sent": DeliveryStatus.SENT,  # left AT's network
    "Submitted": DeliveryStatus.SENT,  # handed to the operator
    "Buffered": DeliveryStatus.SENT,  # queued by the operator: passed on, outcome to come
    "Success": DeliveryStatus.DELIVERED,
    "Rejected": DeliveryStatus.REJECTED,
    "Failed": DeliveryStatus.FAILED_PERMANENT,
    "AbsentSubscriber": DeliveryStatus.FAILED_TEMPORARY,
    "Expired": DeliveryStatus.EXPIRED,
}
INBOUND_REQUIRED = ("id", "from", "text")
REPORT_REQUIRED = ("id", "status")


def delivery_status(word: str) -> DeliveryStatus:
    """Our status for one of AT's words (UNKNOWN for a word we have never seen)."""
    return STATUS_BY_WORD.get(word, DeliveryStatus.UNKNOWN)


def parse_report(form: dict[str, str]) -> DeliveryReport | str:
    """A delivery-report form as a core report, or what is missing from it."""
    missing = [name for name in REPORT_REQUIRED if not form.get(name, "").strip()]
    if missing:
        return f"missing field: {', '.join(missing)}"
    word = form["status"].strip()
    return DeliveryReport(
        provider_message_id=form["id"].strip(),
        status=delivery_status(word),
        raw_status=word,
        reason=form.get("failureReason", "").strip(),
    )


def parse_inbound(form: dict[str, str]) -> InboundSms | str:
    """An inbound-SMS form as a core message, or what is wrong with it."""
    missing = [name for name in INBOUND_REQUIRED if name not in form]
    if missing or not form["id"].strip():
        return f"missing field: {', '.join(missing or ['id'])}"
    phone = normalize(form["from"])
    if phone is None:
        return "from: not a phone number"
    return InboundSms(
        provider_message_id=form["id"].strip(),
        phone=phone,
        our_number=form.get("to", "").strip(),
        text=form["text"],
        received_at=None,  # AT's `date` has no zone; the time we got it is what we keep
    )


async def sms_inbound_callback(request: web.Request) -> web.Response:
    """POST /at/sms/inbound: one SMS; answered 200 unless the form is not AT's."""
    parsed = parse_inbound(await read_form(request))
    if isinstance(parsed, str):
        log.warning("sms.inbound_rejected", problem=parsed)
        return web.Response(status=400, text=f"{parsed}\n")
    if not await handle_inbound_sms(request, parsed):
        return web.Response(status=400, text="from: not a phone number\n")
    return web.Response(text="")


async def sms_delivery_callback(request: web.Request) -> web.Response:
    """POST /at/sms/delivery: one delivery report; 200 for every status, known or not."""
    parsed = parse_report(await read_form(request))
    if isinstance(parsed, str):
        return web.Response(status=400, text=f"{parsed}\n")
    await apply_delivery_reports(request.app, [parsed])
    return web.Response(text="")


def setup_sms_routes(app: web.Application) -> None:
    """AT's SMS callbacks (the USSD ones are registered with the USSD service)."""
    app.router.add_post("/at/sms/inbound", sms_inbound_callback)
    app.router.add_post("/at/sms/delivery", sms_delivery_callback)
