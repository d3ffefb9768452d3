"""InfobipSender against the fake Infobip over real HTTP: the request Infobip gets, batching, and
one outcome per outbox row for every way a send can end."""

from __future__ import annotations

import asyncio
import math
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from structlog.testing import capture_logs

from gateway.core.messages import (
    Accepted,
    AccountProblem,
    DeliveryStatus,
    OutgoingSms,
    Permanent,
    Retryable,
)
from gateway.providers.infobip import fake as ib
from gateway.providers.infobip.fake import FAKE_INFOBIP, FakeInfobipState, create_fake_infobip
from gateway.providers.infobip.sender import InfobipSender
from gateway.providers.infobip.webhooks import parse_delivery_reports

KEY = "ib-key-0123456789abcdef0123456789abcdef"
SENDER_ID = "PMI-Serang"
REPORT_URL = "http://127.0.0.1:9/infobip/sms/delivery?token=tok"
PHONE = "+6281234567890"


@dataclass
class Fake:
    """A running fake Infobip: its state and base URL."""

    state: FakeInfobipState
    url: str


@pytest.fixture
async def fake(aiohttp_server: Any) -> Fake:
    """The fake Infobip, expecting KEY."""
    app = create_fake_infobip(KEY)
    server: TestServer = await aiohttp_server(app)
    app[FAKE_INFOBIP].report_delay_s = 0.01
    return Fake(app[FAKE_INFOBIP], str(server.make_url("")).rstrip("/"))


@pytest.fixture
async def sender(fake: Fake) -> AsyncIterator[InfobipSender]:
    """A sender to the fake, batches of 50, reports to REPORT_URL."""
    sender = InfobipSender(fake.url, KEY, SENDER_ID, REPORT_URL)
    yield sender
    await sender.close()


def sms(outbox_id: int, number: str = PHONE, body: str = "Laporan Anda diterima") -> OutgoingSms:
    """An outbox row to `number` (E.164, or one of the fake's magic numbers)."""
    phone = number if number.startswith("+") else "+" + number
    return OutgoingSms(outbox_id=outbox_id, phone=phone, body=body)


def reasons(outcomes: list[Any]) -> list[str]:
    return [o.detail if isinstance(o, Accepted) else o.reason for o in outcomes]


async def test_request_is_what_infobip_documents(sender: InfobipSender, fake: Fake) -> None:
    """One POST /sms/3/messages: App key, JSON, one message per row, no '+', the report URL."""
    await sender.send([sms(1, body="Kode laporan: K7Q2"), sms(2, "+6285712345678", "Terima kasih")])
    assert 1 == len(fake.state.requests)
    request = fake.state.requests[0]
    assert (f"App {KEY}", "application/json", "application/json") == (
        request.authorization,
        request.content_type,
        request.accept,
    )
    webhooks = {"delivery": {"url": REPORT_URL}, "contentType": "application/json"}
    expected = {
        "messages": [
            {
                "sender": SENDER_ID,
                "destinations": [{"to": "6281234567890", "messageId": "hotline-1"}],
                "content": {"text": "Kode laporan: K7Q2"},
                "webhooks": webhooks,
            },
            {
                "sender": SENDER_ID,
                "destinations": [{"to": "6285712345678", "messageId": "hotline-2"}],
                "content": {"text": "Terima kasih"},
                "webhooks": webhooks,
            },
        ]
    }
    assert expected == request.body


async def test_no_report_url_no_webhooks(fake: Fake) -> None:
    """Without a report URL the messages carry no webhooks (the account's subscription applies)."""
    sender = InfobipSender(fake.url, KEY, SENDER_ID, None)
    try:
        await sender.send([sms(1)])
    finally:
        await sender.close()
    body = fake.state.requests[0].body
    assert isinstance(body, dict)
    assert "webhooks" not in body["messages"][0]


async def test_accepted_carries_our_message_id(sender: InfobipSender) -> None:
    """A PENDING answer is Accepted, with the messageId we gave and Infobip's status words."""
    outcomes = await sender.send([sms(41), sms(42)])
    assert [
        Accepted("hotline-41", "PENDING/PENDING_ACCEPTED: Message sent to next instance"),
        Accepted("hotline-42", "PENDING/PENDING_ACCEPTED: Message sent to next instance"),
    ] == outcomes


@pytest.mark.parametrize(("rows", "max_batch"), [(1, 50), (50, 50), (51, 50), (120, 50), (7, 3)])
async def test_batching(fake: Fake, rows: int, max_batch: int) -> None:
    """N rows go out in ceil(N / max_batch) requests, each row once, outcomes in row order."""
    sender = InfobipSender(fake.url, KEY, SENDER_ID, None, max_batch=max_batch, concurrency=2)
    try:
        outcomes = await sender.send([sms(i) for i in range(rows)])
    finally:
        await sender.close()
    assert math.ceil(rows / max_batch) == len(fake.state.requests)
    assert [f"hotline-{i}" for i in range(rows)] == [
        o.message_id for o in outcomes if isinstance(o, Accepted)
    ]
    assert sorted(f"hotline-{i}" for i in range(rows)) == sorted(
        m["messageId"] for m in fake.state.messages
    )


async def test_rejected_destination_is_permanent(sender: InfobipSender) -> None:
    """A message REJECTED at once for its number fails for good; the rest of the batch goes."""
    outcomes = await sender.send([sms(1), sms(2, ib.REJECTED_NUMBER), sms(3)])
    assert [Accepted, Permanent, Accepted] == [type(o) for o in outcomes]
    assert "REJECTED/REJECTED_DESTINATION: Invalid destination address" == reasons(outcomes)[1]


async def test_no_credit_is_account_problem(sender: InfobipSender) -> None:
    """REJECTED_NOT_ENOUGH_CREDITS needs an operator: an account problem, not a failed message."""
    [outcome] = await sender.send([sms(1, ib.NO_CREDIT)])
    assert AccountProblem("REJECTED/REJECTED_NOT_ENOUGH_CREDITS: Not enough credits") == outcome


async def test_resend_after_lost_answer_is_not_sent_twice(
    sender: InfobipSender, fake: Fake
) -> None:
    """Sending a row again (its first answer lost) is refused as a duplicate id: Accepted, once."""
    await sender.send([sms(7)])
    [again] = await sender.send([sms(7)])
    assert Accepted("hotline-7", "already submitted (REJECTED_DUPLICATE_MESSAGE_ID)") == again
    assert 1 == len(fake.state.messages)


async def test_http_500_is_retryable_for_the_batch(sender: InfobipSender) -> None:
    """Infobip's 500 refuses the whole request: every row in it may be tried again."""
    outcomes = await sender.send([sms(1), sms(2, ib.HTTP_500)])
    assert [Retryable("HTTP 500 E500 Something went wrong.")] * 2 == outcomes


async def test_400_naming_a_message_fails_only_that_one(sender: InfobipSender, fake: Fake) -> None:
    """A 400 whose violation names messages[i] fails row i for good; the others are retried."""
    outcomes = await sender.send([sms(1), sms(2, ib.HTTP_400), sms(3)])
    assert [Retryable, Permanent, Retryable] == [type(o) for o in outcomes]
    assert (
        "HTTP 400 messages[1].destinations[0].to: invalid destination address"
        == reasons(outcomes)[1]
    )
    assert [] == fake.state.messages


async def test_400_without_a_message_named_fails_the_batch(aiohttp_server: Any) -> None:
    """A 400 that names no message fails every row in the request."""

    async def refuse(request: web.Request) -> web.Response:
        body = {
            "errorCode": "E400",
            "description": "Request cannot be processed.",
            "violations": [],
        }
        return web.json_response(body, status=400)

    app = web.Application()
    app.router.add_post("/sms/3/messages", refuse)
    server: TestServer = await aiohttp_server(app)
    sender = InfobipSender(str(server.make_url("")), KEY, SENDER_ID, None)
    try:
        outcomes = await sender.send([sms(1), sms(2)])
    finally:
        await sender.close()
    assert [Permanent("HTTP 400 E400 Request cannot be processed.")] * 2 == outcomes


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("unauthorized", AccountProblem),
        ("throttled", Retryable),
        ("down", Retryable),
    ],
)
async def test_modes(fake: Fake, sender: InfobipSender, mode: str, expected: type) -> None:
    """401 stops sending for an operator; 429 and 500 are tried again later."""
    fake.state.mode = mode
    outcomes = await sender.send([sms(1), sms(2)])
    assert [expected, expected] == [type(o) for o in outcomes]


async def test_wrong_key_is_account_problem(fake: Fake) -> None:
    """A key Infobip refuses (401 E401) is an account problem naming the setting to check."""
    sender = InfobipSender(fake.url, "not-the-key", SENDER_ID, None)
    try:
        [outcome] = await sender.send([sms(1)])
    finally:
        await sender.close()
    assert isinstance(outcome, AccountProblem)
    assert outcome.reason.startswith("HTTP 401 E401")
    assert outcome.reason.endswith("check INFOBIP_API_KEY")


async def test_timeout_is_retryable(fake: Fake) -> None:
    """No answer within the timeout: Retryable (the duplicate-id refusal guards the resend)."""
    fake.state.latency_s = 2.0
    sender = InfobipSender(fake.url, KEY, SENDER_ID, None, timeout_s=0.2)
    try:
        outcomes = await sender.send([sms(1), sms(2)])
    finally:
        await sender.close()
    assert [Retryable("no answer from Infobip in time")] * 2 == outcomes


async def test_connection_refused_is_retryable() -> None:
    """Nobody listening: Retryable for every row."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sender = InfobipSender(f"http://127.0.0.1:{port}", KEY, SENDER_ID, None)
    try:
        outcomes = await sender.send([sms(1), sms(2)])
    finally:
        await sender.close()
    assert [Retryable] * 2 == [type(o) for o in outcomes]
    assert reasons(outcomes)[0].startswith("Infobip unreachable: ")


async def test_number_without_plus_is_not_sent(sender: InfobipSender, fake: Fake) -> None:
    """A row whose phone is not E.164 fails for good without reaching Infobip; the rest go."""
    outcomes = await sender.send(
        [OutgoingSms(1, "081234567890", "x"), sms(2), OutgoingSms(3, "", "y")]
    )
    assert [Permanent, Accepted, Permanent] == [type(o) for o in outcomes]
    body = fake.state.requests[0].body
    assert isinstance(body, dict)
    assert 1 == len(body["messages"])


async def test_delivery_reports_come_back_bucketed(aiohttp_server: Any, fake: Fake) -> None:
    """The fake posts the reports of one request in one webhook; they parse to our statuses."""
    bodies: list[bytes] = []
    arrived = asyncio.Event()

    async def delivery(request: web.Request) -> web.Response:
        bodies.append(await request.read())
        arrived.set()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/infobip/sms/delivery", delivery)
    receiver: TestServer = await aiohttp_server(app)
    sender = InfobipSender(
        fake.url, KEY, SENDER_ID, str(receiver.make_url("/infobip/sms/delivery?token=t"))
    )
    numbers = [PHONE, ib.UNDELIVERABLE, ib.ABSENT, ib.UNKNOWN_REPORT]
    try:
        await sender.send([sms(i, number) for i, number in enumerate(numbers)])
        await asyncio.wait_for(arrived.wait(), 5)
    finally:
        await sender.close()
    assert 1 == len(bodies)
    reports = parse_delivery_reports(bodies[0])
    assert [
        ("hotline-0", DeliveryStatus.DELIVERED),
        ("hotline-1", DeliveryStatus.FAILED_PERMANENT),
        ("hotline-2", DeliveryStatus.FAILED_TEMPORARY),
        ("hotline-3", DeliveryStatus.UNKNOWN),
    ] == [(r.provider_message_id, r.status) for r in reports]
    assert "MYSTERY/MYSTERY_STATUS" == reports[3].raw_status


async def test_api_key_never_in_outcomes_or_logs(aiohttp_server: Any, fake: Fake) -> None:
    """Even when an answer echoes the Authorization header, no reason and no log has the key."""

    async def echo(request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization", "")
        body = {"errorCode": "E401", "description": f"bad credentials {auth}", "violations": []}
        return web.Response(body=orjson.dumps(body), status=401, content_type="application/json")

    app = web.Application()
    app.router.add_post("/sms/3/messages", echo)
    echoing: TestServer = await aiohttp_server(app)
    outcomes = []
    with capture_logs() as captured:
        for url, number in [
            (str(echoing.make_url("")), PHONE),
            (fake.url, ib.HTTP_500),
            (fake.url, ib.HTTP_400),
            (fake.url, ib.NO_CREDIT),
            (fake.url, ib.REJECTED_NUMBER),
            ("http://127.0.0.1:9", PHONE),
        ]:
            sender = InfobipSender(url, KEY, SENDER_ID, REPORT_URL)
            try:
                outcomes += await sender.send([sms(1, number)])
            finally:
                await sender.close()
    assert (
        AccountProblem("HTTP 401 E401 bad credentials App [api key]: check INFOBIP_API_KEY")
        == (outcomes[0])
    )
    assert all(KEY not in text for text in reasons(outcomes))
    assert {"infobip.request_refused", "infobip.request_failed"} <= {e["event"] for e in captured}
    assert KEY not in repr(captured)


def test_is_local_and_base_url() -> None:
    """Loopback bases count as local; Infobip's scheme-less account base gets https."""
    remote = InfobipSender("xyz123.api.infobip.com/", KEY, SENDER_ID, None)
    assert ("https://xyz123.api.infobip.com/sms/3/messages", False) == (
        remote.url,
        remote.is_local,
    )
    assert InfobipSender("http://127.0.0.1:8080", KEY, SENDER_ID, None).is_local


async def test_fake_mode_switch_over_http(fake: Fake, sender: InfobipSender) -> None:
    """POST /fake-infobip/mode changes how the fake answers; an unknown mode is refused."""
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{fake.url}/fake-infobip/mode", data={"mode": "sideways"}) as r:
            assert 400 == r.status
        async with http.post(f"{fake.url}/fake-infobip/mode", data={"mode": "down"}) as r:
            assert 200 == r.status
    [outcome] = await sender.send([sms(1)])
    assert Retryable("HTTP 500 E500 Something went wrong.") == outcome


async def test_fake_retries_a_refused_report(aiohttp_server: Any, fake: Fake) -> None:
    """Like Infobip, the fake posts a report again until the webhook answers 2xx."""
    answers = [503, 200]
    bodies: list[bytes] = []
    done = asyncio.Event()

    async def delivery(request: web.Request) -> web.Response:
        bodies.append(await request.read())
        status = answers.pop(0)
        if status == 200:
            done.set()
        return web.Response(status=status)

    app = web.Application()
    app.router.add_post("/dlr", delivery)
    receiver: TestServer = await aiohttp_server(app)
    sender = InfobipSender(fake.url, KEY, SENDER_ID, str(receiver.make_url("/dlr")))
    try:
        await sender.send([sms(1)])
        await asyncio.wait_for(done.wait(), 5)
    finally:
        await sender.close()
    assert 2 == len(bodies)
    assert bodies[0] == bodies[1]
