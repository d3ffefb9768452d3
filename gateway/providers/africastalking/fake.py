"""
A protocol-faithful stand-in for Africa's Talking's messaging API: the demo's local gateway and
the tests' fake.

It answers `POST /version1/messaging` as AT does (201, JSON with the exact `application/json`
content type the SDK needs, per-recipient status codes), checks the `apiKey` header, records every
request, and posts delivery reports back to the service. Failures are scripted by magic recipient
numbers and by a mode switch, so tests and demos can show outages without patching code:

    +62811000403  InvalidPhoneNumber (403)      +62811000500  HTTP 500
    +62811000406  UserInBlacklist (406)         +62811000501  GatewayError (501)
    +62811000405  InsufficientBalance (405)     +62811000408  slow answer (5 s)
    +62811000404  accepted, then a Failed delivery report

    POST /fake-at/mode  mode=up|down|unauthorized|echo   (down: HTTP 503 for everything;
                        echo: HTTP 400 quoting the request back, recipient included)
    GET  /fake-at/messages                          every accepted message (JSON)

It also speaks for AT's other side: `inbound_sms_form` / `post_inbound_sms` deliver a resident's
SMS to our callback as AT does, and `ussd_form` is one USSD hop's form (the phone simulator uses
both, so no AT field name lives outside this package).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import aiohttp
import orjson
from aiohttp import web

CODES = {
    "+62811000403": (403, "InvalidPhoneNumber"),
    "+62811000406": (406, "UserInBlacklist"),
    "+62811000405": (405, "InsufficientBalance"),
    "+62811000501": (501, "GatewayError"),
}
HTTP_500 = "+62811000500"
SLOW = "+62811000408"
UNDELIVERABLE = "+62811000404"
AUTH_FAILED = "The supplied authentication is invalid"
# Where AT posts USSD hops and end-of-session notifications (the simulator posts as AT there).
USSD_CALLBACK = "/at/ussd"
USSD_END_CALLBACK = "/at/ussd/events"


@dataclass(slots=True)
class FakeAtState:
    """What the fake has seen and how it behaves."""

    api_key: str | None
    report_url: str | None
    latency_s: float = 0.0
    report_delay_s: float = 0.05
    mode: str = "up"
    requests: list[dict[str, str]] = field(default_factory=list)
    messages: list[dict[str, str]] = field(default_factory=list)
    ids: itertools.count[int] = field(default_factory=itertools.count)


FAKE_AT = web.AppKey("fake_at", FakeAtState)
_SESSION = web.AppKey("fake_at_http", aiohttp.ClientSession)
_TASKS: web.AppKey[set[asyncio.Task[None]]] = web.AppKey("fake_at_tasks")


def create_fake_at(
    api_key: str | None,
    report_url: str | None,
    latency_s: float = 0.0,
) -> web.Application:
    """The fake gateway; `report_url` receives delivery reports (None: send none)."""
    app = web.Application()
    app[FAKE_AT] = FakeAtState(api_key=api_key, report_url=report_url, latency_s=latency_s)
    tasks: set[asyncio.Task[None]] = set()
    app[_TASKS] = tasks

    async def client(app: web.Application) -> AsyncIterator[None]:
        app[_SESSION] = aiohttp.ClientSession()
        yield
        pending: set[asyncio.Task[None]] = app[_TASKS]
        for task in [*pending]:
            task.cancel()
        await app[_SESSION].close()

    app.cleanup_ctx.append(client)
    app.router.add_post("/version1/messaging", _messaging)
    app.router.add_post("/fake-at/mode", _mode)
    app.router.add_get("/fake-at/messages", _messages)
    return app


def _json(data: object, status: int) -> web.Response:
    # Exactly 'application/json', no charset: the SDK decodes JSON only then.
    return web.Response(
        body=orjson.dumps(data), status=status, headers={"Content-Type": "application/json"}
    )


async def _messaging(request: web.Request) -> web.Response:
    state = request.app[FAKE_AT]
    raw = (await request.read()).decode("utf-8", "replace")
    form = dict(parse_qsl(raw, keep_blank_values=True))
    state.requests.append({**form, "apiKey": request.headers.get("apiKey", "")})
    if state.latency_s:
        await asyncio.sleep(state.latency_s)
    if state.mode == "down":
        return web.Response(status=503, text="Service Unavailable")
    if state.mode == "echo":  # some gateways quote the whole request in an error
        return web.Response(status=400, text=f"Bad request: {raw}")
    if state.mode == "unauthorized" or (
        state.api_key is not None and request.headers.get("apiKey") != state.api_key
    ):
        return web.Response(status=401, text=AUTH_FAILED)
    missing = [f for f in ("username", "to", "message") if not form.get(f)]
    if missing:
        return web.Response(
            status=400, text="The request contains bad syntax or cannot be fulfilled"
        )
    to = form["to"].split(",")[0].strip()
    if to == HTTP_500:
        return web.Response(status=500, text="Internal Server Error")
    if to == SLOW:
        await asyncio.sleep(5)
    if to in CODES:
        code, status = CODES[to]
        recipient = {
            "statusCode": code,
            "number": to,
            "status": status,
            "cost": "0",
            "messageId": "None",
        }
        return _json({"SMSMessageData": {"Message": "Sent to 0/1", "Recipients": [recipient]}}, 201)
    message_id = f"ATXid_fake{next(state.ids):08d}"
    state.messages.append(
        {
            "id": message_id,
            "to": to,
            "message": form["message"],
            "from": form.get("from", ""),
            "at": str(time.time()),
        }
    )
    recipient = {
        "statusCode": 101,
        "number": to,
        "status": "Success",
        "cost": "IDR 300.0000",
        "messageId": message_id,
    }
    if state.report_url:
        status = "Failed" if to == UNDELIVERABLE else "Success"
        task = asyncio.create_task(_report(request.app, message_id, to, status))
        request.app[_TASKS].add(task)
        task.add_done_callback(request.app[_TASKS].discard)
    return _json(
        {
            "SMSMessageData": {
                "Message": "Sent to 1/1 Total Cost: IDR 300",
                "Recipients": [recipient],
            }
        },
        201,
    )


async def _report(app: web.Application, message_id: str, to: str, status: str) -> None:
    state = app[FAKE_AT]
    await asyncio.sleep(state.report_delay_s)
    form = {"id": message_id, "status": status, "phoneNumber": to, "networkCode": "51010"}
    if status == "Failed":
        form["failureReason"] = "UserDoesNotExist"
    assert state.report_url is not None
    for attempt in range(5):  # AT retries a report until it gets a 200
        try:
            async with app[_SESSION].post(state.report_url, data=form) as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2 * (attempt + 1))


async def _mode(request: web.Request) -> web.Response:
    mode = (await request.post()).get("mode", "")
    if mode not in ("up", "down", "unauthorized", "echo"):
        return web.Response(status=400, text="mode must be up, down, unauthorized or echo")
    request.app[FAKE_AT].mode = str(mode)
    return web.Response(text=f"mode {mode}\n")


async def _messages(request: web.Request) -> web.Response:
    return _json(request.app[FAKE_AT].messages, 200)


def inbound_sms_form(
    phone: str, text: str, our_number: str, message_id: str | None = None
) -> dict[str, str]:
    """The form AT posts for one inbound SMS."""
    return {
        "from": phone,
        "to": our_number,
        "text": text,
        "date": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        "id": message_id or f"ATXid_in_{time.monotonic_ns()}",
        "linkId": "",
    }


async def post_inbound_sms(
    session: aiohttp.ClientSession,
    url: str,
    phone: str,
    text: str,
    our_number: str,
    message_id: str | None = None,
) -> int:
    """POST one inbound SMS to `url` (with any ?token=) as AT would; the HTTP status."""
    form = inbound_sms_form(phone, text, our_number, message_id)
    async with session.post(url, data=form) as response:
        await response.read()
        status: int = response.status
        return status


def ussd_form(
    session_id: str, phone: str, service_code: str, text: str, network_code: str = "99999"
) -> dict[str, str]:
    """The form AT posts for one USSD hop: `text` is every input so far, joined by '*'."""
    return {
        "sessionId": session_id,
        "phoneNumber": phone,
        "serviceCode": service_code,
        "networkCode": network_code,
        "text": text,
    }


def ussd_end_form(
    session_id: str,
    phone: str,
    service_code: str,
    inputs: list[str],
    completed: bool,
    duration_ms: int,
    network_code: str = "99999",
) -> dict[str, str]:
    """AT's end-of-session notification for a session that ended (`completed`: by our END) or
    was abandoned by the caller."""
    return {
        "sessionId": session_id,
        "serviceCode": service_code,
        "networkCode": network_code,
        "phoneNumber": phone,
        "status": "Success" if completed else "Incomplete",
        "input": "*".join(inputs),
        "hopsCount": str(len(inputs) + 1),
        "durationInMillis": str(max(duration_ms, 0)),
        "date": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
    }
