"""
A protocol-faithful stand-in for Infobip's SMS API: the tests', the benchmark's and the demo's
Infobip.

It answers `POST /sms/3/messages` as Infobip does (sender.py's docstring lists the facts and
their sources): checks `Authorization: App <key>`, validates the JSON, answers 200 with a
`bulkId` and one status per destination (PENDING_ACCEPTED, or REJECTED_* at once), 400/401/429/500
with Infobip's ApiError body, refuses a messageId it has already taken. It records every request,
waits `latency_s` before answering (for the benchmark), and later POSTs delivery reports
(`{"results": [...]}`, all reports of one request bound for one URL in one POST, as Infobip
buckets them) to each message's `webhooks.delivery.url`, retrying until it gets a 2xx.
`post_inbound` sends an inbound-SMS webhook as Infobip would.

Failures are scripted by magic destination numbers (Infobip's form, no '+') and a mode switch:

    62811000403  REJECTED / REJECTED_DESTINATION in the answer (a number that never works)
    62811000405  REJECTED / REJECTED_NOT_ENOUGH_CREDITS in the answer (an account problem)
    62811000404  accepted, then UNDELIVERABLE with EC_UNKNOWN_SUBSCRIBER (permanent)
    62811000410  accepted, then UNDELIVERABLE with EC_ABSENT_SUBSCRIBER (temporary)
    62811000422  accepted, then a report in a status group Infobip never documented
    62811000500  HTTP 500 for the whole request
    62811000400  HTTP 400 whose violation names that message (messages[i].destinations[0].to)
    62811000408  the answer comes after 5 s

    POST /fake-infobip/mode  mode=up|down|unauthorized|throttled  (500 / 401 / 429 for all)
    GET  /fake-infobip/messages                                   every accepted message (JSON)
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import orjson
from aiohttp import web

REJECTED_NUMBER = "62811000403"
NO_CREDIT = "62811000405"
UNDELIVERABLE = "62811000404"
ABSENT = "62811000410"
UNKNOWN_REPORT = "62811000422"
HTTP_500 = "62811000500"
HTTP_400 = "62811000400"
SLOW = "62811000408"
MODES = ("up", "down", "unauthorized", "throttled")

PENDING_ACCEPTED = {
    "groupId": 1,
    "groupName": "PENDING",
    "id": 26,
    "name": "PENDING_ACCEPTED",
    "description": "Message sent to next instance",
}
REJECTED_DESTINATION = {
    "groupId": 5,
    "groupName": "REJECTED",
    "id": 52,
    "name": "REJECTED_DESTINATION",
    "description": "Invalid destination address",
}
REJECTED_NOT_ENOUGH_CREDITS = {
    "groupId": 5,
    "groupName": "REJECTED",
    "id": 12,
    "name": "REJECTED_NOT_ENOUGH_CREDITS",
    "description": "Not enough credits",
}
REJECTED_DUPLICATE_MESSAGE_ID = {
    "groupId": 5,
    "groupName": "REJECTED",
    "id": 23,
    "name": "REJECTED_DUPLICATE_MESSAGE_ID",
    "description": "Duplicate message ID",
}
DELIVERED_TO_HANDSET = {
    "groupId": 3,
    "groupName": "DELIVERED",
    "id": 5,
    "name": "DELIVERED_TO_HANDSET",
    "description": "Message delivered to handset",
}
UNDELIVERABLE_NOT_DELIVERED = {
    "groupId": 2,
    "groupName": "UNDELIVERABLE",
    "id": 9,
    "name": "UNDELIVERABLE_NOT_DELIVERED",
    "description": "Message sent not delivered",
}
MYSTERY_STATUS = {
    "groupId": 9,
    "groupName": "MYSTERY",
    "id": 999,
    "name": "MYSTERY_STATUS",
    "description": "A status group this project has never seen",
}
NO_ERROR = {
    "groupId": 0,
    "groupName": "OK",
    "id": 0,
    "name": "NO_ERROR",
    "description": "No Error",
    "permanent": False,
}
EC_UNKNOWN_SUBSCRIBER = {
    "groupId": 1,
    "groupName": "HANDSET_ERRORS",
    "id": 1,
    "name": "EC_UNKNOWN_SUBSCRIBER",
    "description": "Unknown subscriber",
    "permanent": True,
}
EC_ABSENT_SUBSCRIBER = {
    "groupId": 1,
    "groupName": "HANDSET_ERRORS",
    "id": 27,
    "name": "EC_ABSENT_SUBSCRIBER",
    "description": "Absent subscriber",
    "permanent": False,
}
# Final report per magic number; every other accepted number gets DELIVERED_TO_HANDSET.
_REPORTS: dict[str, tuple[dict[str, object], dict[str, object]]] = {
    UNDELIVERABLE: (UNDELIVERABLE_NOT_DELIVERED, EC_UNKNOWN_SUBSCRIBER),
    ABSENT: (UNDELIVERABLE_NOT_DELIVERED, EC_ABSENT_SUBSCRIBER),
    UNKNOWN_REPORT: (MYSTERY_STATUS, NO_ERROR),
}
_ERRORS = {
    400: ("E400", "Request cannot be processed."),
    401: ("E401", "The request lacks valid authentication credentials for the requested resource."),
    429: ("E429", "Too many requests sent."),
    500: ("E500", "Something went wrong."),
}


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One call to /sms/3/messages as the fake received it."""

    authorization: str
    content_type: str
    accept: str
    body: object  # the decoded JSON (None when it was not JSON)


@dataclass(slots=True)
class FakeInfobipState:
    """What the fake has seen and how it behaves."""

    api_key: str | None
    latency_s: float = 0.0
    report_delay_s: float = 0.05
    mode: str = "up"
    requests: list[RecordedRequest] = field(default_factory=list)
    messages: list[dict[str, str]] = field(default_factory=list)
    reports_posted: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    taken_ids: set[str] = field(default_factory=set)
    ids: itertools.count[int] = field(default_factory=itertools.count)


FAKE_INFOBIP = web.AppKey("fake_infobip", FakeInfobipState)
_SESSION = web.AppKey("fake_infobip_http", aiohttp.ClientSession)
_TASKS: web.AppKey[set[asyncio.Task[None]]] = web.AppKey("fake_infobip_tasks")


def create_fake_infobip(api_key: str | None, latency_s: float = 0.0) -> web.Application:
    """The fake Infobip; `api_key` None accepts any key."""
    app = web.Application()
    app[FAKE_INFOBIP] = FakeInfobipState(api_key=api_key, latency_s=latency_s)
    app[_TASKS] = set()

    async def client(app: web.Application) -> AsyncIterator[None]:
        app[_SESSION] = aiohttp.ClientSession()
        yield
        for task in [*app[_TASKS]]:
            task.cancel()
        await app[_SESSION].close()

    app.cleanup_ctx.append(client)
    app.router.add_post("/sms/3/messages", _send)
    app.router.add_post("/fake-infobip/mode", _mode)
    app.router.add_get("/fake-infobip/messages", _messages)
    return app


def inbound_payload(
    phone: str,
    text: str,
    our_number: str,
    message_id: str | None = None,
    received_at: str = "2026-11-30T10:00:00.000+0000",
) -> dict[str, object]:
    """An inbound-SMS webhook body as Infobip sends it (numbers without '+')."""
    return {
        "results": [
            {
                "messageId": message_id or f"ib-in-{time.monotonic_ns()}",
                "from": phone.removeprefix("+"),
                "to": our_number.removeprefix("+"),
                "text": text,
                "cleanText": text,
                "keyword": text.split(" ", 1)[0].upper() if text else "",
                "receivedAt": received_at,
                "smsCount": 1,
                "price": {"pricePerMessage": 0, "currency": "IDR"},
            }
        ],
        "messageCount": 1,
        "pendingMessageCount": 0,
    }


async def post_inbound(
    session: aiohttp.ClientSession,
    url: str,
    phone: str,
    text: str,
    our_number: str,
    message_id: str | None = None,
) -> int:
    """POST one inbound SMS to `url` (include any ?token=) as Infobip would; the HTTP status."""
    body = orjson.dumps(inbound_payload(phone, text, our_number, message_id))
    headers = {"Content-Type": "application/json"}
    async with session.post(url, data=body, headers=headers) as response:
        await response.read()
        return response.status


def _json(data: object, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")


def _api_error(status: int, violations: list[dict[str, str]] | None = None) -> web.Response:
    code, description = _ERRORS[status]
    body = {
        "errorCode": code,
        "description": description,
        "action": "Check the syntax, violations and adjust the request.",
        "violations": violations or [],
        "resources": [],
    }
    return _json(body, status)


async def _send(request: web.Request) -> web.Response:
    state = request.app[FAKE_INFOBIP]
    raw = await request.read()
    try:
        body: object = orjson.loads(raw)
    except orjson.JSONDecodeError:
        body = None
    state.requests.append(
        RecordedRequest(
            authorization=request.headers.get("Authorization", ""),
            content_type=request.headers.get("Content-Type", ""),
            accept=request.headers.get("Accept", ""),
            body=body,
        )
    )
    if state.latency_s:
        await asyncio.sleep(state.latency_s)
    if state.mode == "down":
        return _api_error(500)
    expected = f"App {state.api_key}"
    if state.mode == "unauthorized" or (
        state.api_key is not None and request.headers.get("Authorization") != expected
    ):
        return _api_error(401)
    if state.mode == "throttled":
        return _api_error(429)
    messages, violations = _validated(body)
    if violations:
        return _api_error(400, violations)
    numbers = [str(d["to"]) for m in messages for d in _destinations(m)]
    if HTTP_500 in numbers:
        return _api_error(500)
    if HTTP_400 in numbers:
        index = next(i for i, m in enumerate(messages) if HTTP_400 in _numbers(m))
        violation = {
            "property": f"messages[{index}].destinations[0].to",
            "violation": "invalid destination address",
        }
        return _api_error(400, [violation])
    if SLOW in numbers:
        await asyncio.sleep(5)
    return _json(_accept(request.app, messages))


def _accept(app: web.Application, messages: list[dict[str, object]]) -> dict[str, object]:
    """Infobip's 200 answer; accepted messages get their delivery reports scheduled."""
    state = app[FAKE_INFOBIP]
    bulk_id = f"fake-bulk-{next(state.ids):08d}"
    answers: list[dict[str, object]] = []
    reports: dict[str, list[dict[str, object]]] = {}
    for message in messages:
        text = str(_object(message.get("content")).get("text", ""))
        hooks = _object(message.get("webhooks"))
        report_url = str(_object(hooks.get("delivery")).get("url", ""))
        for destination in _destinations(message):
            to = str(destination["to"])
            given = destination.get("messageId")
            message_id = given if isinstance(given, str) else f"fake-{next(state.ids):08d}"
            if message_id in state.taken_ids:
                status = REJECTED_DUPLICATE_MESSAGE_ID
            elif to == REJECTED_NUMBER or not to.isdigit():
                status = REJECTED_DESTINATION
            elif to == NO_CREDIT:
                status = REJECTED_NOT_ENOUGH_CREDITS
            else:
                status = PENDING_ACCEPTED
                state.taken_ids.add(message_id)
                state.messages.append(
                    {
                        "messageId": message_id,
                        "bulkId": bulk_id,
                        "to": to,
                        "text": text,
                        "sender": str(message.get("sender", "")),
                        "at": str(time.time()),
                    }
                )
                if report_url:
                    reports.setdefault(report_url, []).append(
                        _report(bulk_id, message_id, to, str(message.get("sender", "")))
                    )
            answers.append(
                {
                    "messageId": message_id,
                    "status": status,
                    "destination": to,
                    "details": {"messageCount": 1},
                }
            )
    for url, results in reports.items():
        task = asyncio.create_task(_post_reports(app, url, results))
        app[_TASKS].add(task)
        task.add_done_callback(app[_TASKS].discard)
    return {"bulkId": bulk_id, "messages": answers}


def _report(bulk_id: str, message_id: str, to: str, sender: str) -> dict[str, object]:
    status, error = _REPORTS.get(to, (DELIVERED_TO_HANDSET, NO_ERROR))
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime())
    return {
        "bulkId": bulk_id,
        "messageId": message_id,
        "to": to,
        "sender": sender,
        "sentAt": now,
        "doneAt": now,
        "messageCount": 1,
        "price": {"pricePerMessage": 0.0, "currency": "IDR"},
        "status": status,
        "error": error,
    }


async def _post_reports(app: web.Application, url: str, results: list[dict[str, object]]) -> None:
    state = app[FAKE_INFOBIP]
    await asyncio.sleep(state.report_delay_s)
    payload: dict[str, object] = {"results": results}
    state.reports_posted.append((url, payload))
    for attempt in range(5):  # Infobip retries a report until it gets a 2xx
        try:
            async with app[_SESSION].post(url, json=payload) as response:
                if 200 <= response.status < 300:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2 * (attempt + 1))


def _validated(body: object) -> tuple[list[dict[str, object]], list[dict[str, str]]]:
    """The messages of a request, or Infobip-style violations naming what is wrong."""
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        return [], [{"property": "messages", "violation": "must not be empty"}]
    messages: list[dict[str, object]] = []
    violations: list[dict[str, str]] = []
    for i, message in enumerate(body["messages"]):
        if not isinstance(message, dict):
            violations.append({"property": f"messages[{i}]", "violation": "must be an object"})
            continue
        destinations = message.get("destinations")
        if not isinstance(destinations, list) or not destinations:
            violations.append(
                {"property": f"messages[{i}].destinations", "violation": "must not be empty"}
            )
        else:
            for j, destination in enumerate(destinations):
                if not isinstance(destination, dict) or not isinstance(destination.get("to"), str):
                    violations.append(
                        {
                            "property": f"messages[{i}].destinations[{j}].to",
                            "violation": "must not be null",
                        }
                    )
        if not isinstance(_object(message.get("content")).get("text"), str):
            violations.append(
                {"property": f"messages[{i}].content.text", "violation": "must not be null"}
            )
        messages.append(message)
    return messages, violations


def _destinations(message: dict[str, object]) -> list[dict[str, object]]:
    destinations = message.get("destinations")
    if not isinstance(destinations, list):
        return []
    return [d for d in destinations if isinstance(d, dict)]


def _numbers(message: dict[str, object]) -> list[str]:
    return [str(d.get("to", "")) for d in _destinations(message)]


def _object(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


async def _mode(request: web.Request) -> web.Response:
    mode = str((await request.post()).get("mode", ""))
    if mode not in MODES:
        return web.Response(status=400, text=f"mode must be one of {', '.join(MODES)}\n")
    request.app[FAKE_INFOBIP].mode = mode
    return web.Response(text=f"mode {mode}\n")


async def _messages(request: web.Request) -> web.Response:
    return _json(request.app[FAKE_INFOBIP].messages)
