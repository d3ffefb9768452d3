"""Infobip's inbound-SMS and delivery-report webhooks parse into core types, or name what is wrong.

The cases live in tests/data/infobip_webhooks.json: bodies in Infobip's documented shape (its
OpenAPI examples, courier's test payloads, our own), each with the parsed values or the error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.core.messages import DeliveryReport, DeliveryStatus, InboundSms
from gateway.providers.infobip.fake import inbound_payload, post_inbound
from gateway.providers.infobip.webhooks import (
    STATUS_BY_GROUP,
    InfobipPayloadError,
    e164,
    infobip_number,
    parse_delivery_reports,
    parse_inbound,
)

CASES = json.loads((Path(__file__).parent / "data" / "infobip_webhooks.json").read_text())
INBOUND = CASES["inbound"]
DELIVERY = CASES["delivery"]


def encoded(body: object) -> bytes:
    """A case's body as it comes over the wire (a string case is sent as it is)."""
    return body.encode() if isinstance(body, str) else orjson.dumps(body)


def inbound_fields(sms: InboundSms) -> dict[str, Any]:
    return {
        "provider_message_id": sms.provider_message_id,
        "phone": sms.phone,
        "our_number": sms.our_number,
        "text": sms.text,
        "received_at": sms.received_at.isoformat() if sms.received_at else None,
    }


def report_fields(report: DeliveryReport) -> dict[str, Any]:
    return {
        "provider_message_id": report.provider_message_id,
        "status": str(report.status),
        "raw_status": report.raw_status,
        "reason": report.reason,
    }


@pytest.mark.parametrize(
    "case", [c for c in INBOUND if "expected" in c], ids=lambda c: str(c["label"])
)
def test_inbound_parses(case: dict[str, Any]) -> None:
    """Each SMS in an inbound webhook becomes an InboundSms with E.164 numbers, time aware."""
    parsed = parse_inbound(encoded(case["body"]))
    assert case["expected"] == [inbound_fields(sms) for sms in parsed]


@pytest.mark.parametrize(
    "case", [c for c in INBOUND if "error" in c], ids=lambda c: str(c["label"])
)
def test_inbound_refused(case: dict[str, Any]) -> None:
    """A malformed inbound webhook raises one error naming the field."""
    with pytest.raises(InfobipPayloadError) as refused:
        parse_inbound(encoded(case["body"]))
    assert case["error"] == str(refused.value)


@pytest.mark.parametrize(
    "case", [c for c in DELIVERY if "expected" in c], ids=lambda c: str(c["label"])
)
def test_delivery_reports_parse(case: dict[str, Any]) -> None:
    """Each report becomes a DeliveryReport in our taxonomy, keeping Infobip's status words."""
    parsed = parse_delivery_reports(encoded(case["body"]))
    assert case["expected"] == [report_fields(report) for report in parsed]


@pytest.mark.parametrize(
    "case", [c for c in DELIVERY if "error" in c], ids=lambda c: str(c["label"])
)
def test_delivery_reports_refused(case: dict[str, Any]) -> None:
    """A malformed delivery-report webhook raises one error naming the field."""
    with pytest.raises(InfobipPayloadError) as refused:
        parse_delivery_reports(encoded(case["body"]))
    assert case["error"] == str(refused.value)


def test_every_documented_group_is_mapped() -> None:
    """Infobip's six documented status groups all have a status of ours other than unknown."""
    documented = {"ACCEPTED", "PENDING", "UNDELIVERABLE", "DELIVERED", "EXPIRED", "REJECTED"}
    assert documented == set(STATUS_BY_GROUP)
    assert DeliveryStatus.UNKNOWN not in STATUS_BY_GROUP.values()


def test_payload_error_names_its_field() -> None:
    """The error carries the field and the problem apart, for the HTTP layer's 400 answer."""
    with pytest.raises(InfobipPayloadError) as refused:
        parse_delivery_reports(b'{"results": [{"status": {"groupName": "DELIVERED"}}]}')
    assert ("results[0].messageId", "missing") == (refused.value.field, refused.value.problem)


def test_numbers_round_trip() -> None:
    """E.164 with '+' and Infobip's international form without it convert both ways."""
    assert "6281234567890" == infobip_number("+6281234567890")
    assert "+6281234567890" == e164(infobip_number("+6281234567890"))


async def test_fake_inbound_webhook_parses_over_http(aiohttp_server: Any) -> None:
    """The fake's inbound webhook, posted over HTTP, parses back into what was sent."""
    received: list[InboundSms] = []

    async def inbound(request: web.Request) -> web.Response:
        received.extend(parse_inbound(await request.read()))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/infobip/sms/inbound", inbound)
    server: TestServer = await aiohttp_server(app)

    async with aiohttp.ClientSession() as session:
        status = await post_inbound(
            session,
            str(server.make_url("/infobip/sms/inbound?token=t")),
            "+6281234567890",
            "LAPOR PT Contoh tanpa izin",
            "+6281100009999",
            message_id="ib-in-7",
        )
    assert 200 == status
    assert ["ib-in-7"] == [sms.provider_message_id for sms in received]
    assert ("+6281234567890", "+6281100009999", "LAPOR PT Contoh tanpa izin") == (
        received[0].phone,
        received[0].our_number,
        received[0].text,
    )


def test_fake_inbound_payload_uses_infobip_number_form() -> None:
    """The fake writes numbers as Infobip does: international, without '+'."""
    entry = inbound_payload("+6281234567890", "INFO", "+6281100009999")["results"]
    assert isinstance(entry, list)
    assert ("6281234567890", "6281100009999") == (entry[0]["from"], entry[0]["to"])
