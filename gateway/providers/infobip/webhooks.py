"""
Infobip's SMS webhooks, parsed into core types: inbound SMS and delivery reports. Pure functions:
no HTTP, no storage. A body that is not what Infobip sends raises `InfobipPayloadError` naming the
field, which the HTTP layer answers with 400.

Facts relied on (Infobip SMS OpenAPI spec 3.210.0, webhooks `receive-inbound-sms-messages` and
`receive-outbound-sms-message-reports-v3`, as mirrored in github.com/api-evangelist/infobip
openapi/infobip-sms-openapi.json; infobip.com/docs "Message status codes"; the payloads in
github.com/nyaruka/courier handlers/infobip/handler_test.go):

- Both webhooks POST JSON `{"results": [...]}`; one request may carry several entries (delivery
  reports come in buckets, 100 by default, "maxBucketSize"), so each entry is parsed on its own.
- Inbound entry: `messageId`, `from`, `to`, `text` (full content), `cleanText` (content without
  the keyword Infobip matched, if any), `keyword`, `receivedAt` ("yyyy-MM-dd'T'HH:mm:ss.SSSZ",
  e.g. "2019-11-09T16:00:00.000+0000"), `smsCount`, `price`, `callbackData`. We want the whole
  text (our keywords are ours to parse), so `text` wins and `cleanText` is only a fallback.
- Numbers are in international form without '+' ("385916242493"); `from` may also be an
  alphanumeric sender id, which cannot be a resident and is refused here.
- Delivery-report entry: `messageId`, `to`, `sender`, `sentAt`, `doneAt`, `bulkId`,
  `status {groupId, groupName, id, name, description}`,
  `error {groupId, groupName, id, name, description, permanent}`. Status groups: 0 ACCEPTED,
  1 PENDING, 2 UNDELIVERABLE, 3 DELIVERED, 4 EXPIRED, 5 REJECTED; error `id` 0 / `name`
  NO_ERROR means no error; `permanent` says whether trying again can succeed.
- Without `webhooks.delivery.intermediateReport` (we never set it) only final reports are sent.
  DELIVERED_TO_OPERATOR (group DELIVERED) is documented as possibly intermediate; we map the
  group, and the raw status keeps the name for the delivery log.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import orjson

from gateway.core.messages import DeliveryReport, DeliveryStatus, InboundSms

# Infobip's status group -> our taxonomy. One table; anything else is UNKNOWN with the raw text.
STATUS_BY_GROUP: dict[str, DeliveryStatus] = {
    # Group 0: in Infobip's hands, not yet passed on.
    "ACCEPTED": DeliveryStatus.QUEUED,
    # Group 1: "processed and forwarded (e.g. to the operator), delivery not yet confirmed"
    # (PENDING_ENROUTE, PENDING_WAITING_DELIVERY). The send response already told us Infobip has
    # the message, so a PENDING report can only mean it is on its way: sent, not queued.
    "PENDING": DeliveryStatus.SENT,
    "DELIVERED": DeliveryStatus.DELIVERED,
    # Refined by error.permanent: False -> FAILED_TEMPORARY (see _undeliverable).
    "UNDELIVERABLE": DeliveryStatus.FAILED_PERMANENT,
    "EXPIRED": DeliveryStatus.EXPIRED,
    "REJECTED": DeliveryStatus.REJECTED,
}

_PHONE = re.compile(r"\+?[1-9]\d{6,14}")  # E.164: at most 15 digits, no leading zero
_LONG_NUMBER_DIGITS = 8  # shorter `to` values are short codes, kept as they are
_REASON_MAX = 200


class InfobipPayloadError(ValueError):
    """A webhook body Infobip would not send; `field` names where it went wrong."""

    def __init__(self, field: str, problem: str = "missing") -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class NotAPhoneError(InfobipPayloadError):
    """An inbound `from` that is not a phone number."""


def parse_inbound(body: bytes | str) -> list[InboundSms]:
    """Every SMS in one inbound webhook, in the order Infobip listed them."""
    results = _results(body)
    return [_inbound(entry, f"results[{i}]") for i, entry in enumerate(results)]


def parse_inbound_from_phones(body: bytes | str) -> tuple[list[InboundSms], list[str]]:
    """As `parse_inbound`, but an entry whose `from` is not a phone number (an alphanumeric
    sender id: an operator's notice, never a resident) is left out and named, not fatal: refusing
    the request would only make Infobip retry it, and the other entries with it."""
    messages: list[InboundSms] = []
    skipped: list[str] = []
    for i, entry in enumerate(_results(body)):
        try:
            messages.append(_inbound(entry, f"results[{i}]"))
        except NotAPhoneError as error:
            skipped.append(error.field)
    return messages, skipped


def parse_delivery_reports(body: bytes | str) -> list[DeliveryReport]:
    """Every report in one delivery-report webhook, in the order Infobip listed them."""
    results = _results(body)
    return [_report(entry, f"results[{i}]") for i, entry in enumerate(results)]


def e164(number: str) -> str:
    """Infobip's international form ('6281234567890') as E.164 ('+6281234567890')."""
    return "+" + number.strip().removeprefix("+")


def infobip_number(phone: str) -> str:
    """An E.164 number in the form Infobip wants: international, no '+'."""
    return phone.strip().removeprefix("+")


def status_for(group_name: str, permanent: bool | None) -> DeliveryStatus:
    """Our status for Infobip's status group (and, for UNDELIVERABLE, error.permanent)."""
    status = STATUS_BY_GROUP.get(group_name, DeliveryStatus.UNKNOWN)
    if status is DeliveryStatus.FAILED_PERMANENT and permanent is False:
        return DeliveryStatus.FAILED_TEMPORARY
    return status


def _results(body: bytes | str) -> list[object]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InfobipPayloadError("body", "not JSON") from None
    if not isinstance(data, dict):
        raise InfobipPayloadError("body", "not a JSON object")
    if "results" not in data:
        raise InfobipPayloadError("results")
    results = data["results"]
    if not isinstance(results, list):
        raise InfobipPayloadError("results", "not a list")
    return results


def _inbound(entry: object, where: str) -> InboundSms:
    fields = _object(entry, where)
    message_id = _required(fields, "messageId", where)
    sender = _required(fields, "from", where)
    if not _PHONE.fullmatch(sender):
        raise NotAPhoneError(f"{where}.from", "not a phone number")
    to = _required(fields, "to", where)
    text = _text(fields, "text", where)
    clean = _text(fields, "cleanText", where)
    if text is None and clean is None:
        raise InfobipPayloadError(f"{where}.text")
    our_number = e164(to) if to.isdigit() and len(to) >= _LONG_NUMBER_DIGITS else to
    return InboundSms(
        provider_message_id=message_id,
        phone=e164(sender),
        our_number=our_number,
        text=text if text else (clean or ""),
        received_at=_timestamp(fields, "receivedAt", where),
    )


def _report(entry: object, where: str) -> DeliveryReport:
    fields = _object(entry, where)
    message_id = _required(fields, "messageId", where)
    if "status" not in fields:
        raise InfobipPayloadError(f"{where}.status")
    status = _object(fields["status"], f"{where}.status")
    group = _text(status, "groupName", f"{where}.status")
    if group is None:
        raise InfobipPayloadError(f"{where}.status.groupName")
    name = _text(status, "name", f"{where}.status") or ""
    permanent: bool | None = None
    reason = ""
    error = fields.get("error")
    if error is not None:
        error_fields = _object(error, f"{where}.error")
        flag = error_fields.get("permanent")
        if flag is not None and not isinstance(flag, bool):
            raise InfobipPayloadError(f"{where}.error.permanent", "not true or false")
        permanent = flag
        reason = _error_reason(error_fields, f"{where}.error")
    return DeliveryReport(
        provider_message_id=message_id,
        status=status_for(group, permanent),
        raw_status=f"{group}/{name}" if name else group,
        reason=reason,
    )


def _error_reason(error: dict[str, object], where: str) -> str:
    name = _text(error, "name", where) or ""
    if error.get("id") == 0 or name == "NO_ERROR":
        return ""
    description = _text(error, "description", where) or ""
    reason = f"{name}: {description}" if name and description else name or description
    return reason[:_REASON_MAX]


def _object(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise InfobipPayloadError(where, "not a JSON object")
    return value


def _required(fields: dict[str, object], key: str, where: str) -> str:
    """fields[key] as a non-blank string, or an error naming it."""
    value = _text(fields, key, where)
    if value is None:
        raise InfobipPayloadError(f"{where}.{key}")
    if not value.strip():
        raise InfobipPayloadError(f"{where}.{key}", "empty")
    return value


def _text(fields: dict[str, object], key: str, where: str) -> str | None:
    """fields[key] as a string; None when absent or null."""
    value = fields.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InfobipPayloadError(f"{where}.{key}", "not a string")
    return value


def _timestamp(fields: dict[str, object], key: str, where: str) -> datetime | None:
    value = _text(fields, key, where)
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InfobipPayloadError(f"{where}.{key}", "not a date and time") from None
    # Infobip always sends an offset; a bare time is read as UTC, its platform's clock.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
