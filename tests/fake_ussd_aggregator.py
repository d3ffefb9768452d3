"""
A test-only USSD gateway adapter in the style of local aggregators that send only the latest input.

Its protocol (invented for the test, shaped like BEGIN/CONTINUE/END gateways): POST JSON
`{"session": ..., "msisdn": ..., "shortcode": ..., "type": "BEGIN" | "CONTINUE", "input": ...}`,
one input per hop, nothing escaped; the answer is JSON `{"type": "CONTINUE" | "END", "message"}`.
It parses into the core's `UssdHop` with a `LatestInput` and renders the core's screen: everything
else (the path, free text with '*' and '#', drafts, back/home) is the core's business.
"""

from __future__ import annotations

import itertools

from aiohttp import web
from aiohttp.test_utils import TestClient

from gateway.core.messages import LatestInput, UssdHop
from gateway.ussd import USSD
from ussd_menus.model import Continue

ROUTE = "/fake-aggregator/ussd"
_sessions = itertools.count()


async def aggregator_ussd(request: web.Request) -> web.Response:
    """One hop as the aggregator posts it."""
    body = await request.json()
    hop = UssdHop(
        session_id=str(body["session"]),
        phone=str(body["msisdn"]),
        service_code=str(body.get("shortcode", "")),
        input=LatestInput(str(body.get("input", "")), new=body["type"] == "BEGIN"),
    )
    answer = await request.app[USSD].answer(hop)
    kind = "CONTINUE" if isinstance(answer.screen, Continue) else "END"
    return web.json_response({"type": kind, "message": answer.screen.text})


def register(app: web.Application) -> web.Application:
    """Mount the adapter on an app (before it starts): one route, nothing else changes."""
    app.router.add_post(ROUTE, aggregator_ussd)
    return app


async def send(
    client: TestClient, session: str, phone: str, kind: str, text: str = ""
) -> tuple[str, str]:
    """Post one hop; the answer's type and message."""
    payload = {"session": session, "msisdn": phone, "shortcode": "*123#", "type": kind}
    response = await client.post(ROUTE, json={**payload, "input": text})
    assert 200 == response.status, await response.text()
    answer = await response.json()
    return answer["type"], answer["message"]


async def dial(
    client: TestClient, inputs: list[str], phone: str, session: str | None = None
) -> tuple[str, str]:
    """BEGIN a session and send each input as its own hop; the last answer."""
    session = session or f"agg-{next(_sessions)}"
    answer = await send(client, session, phone, "BEGIN")
    for text in inputs:
        answer = await send(client, session, phone, "CONTINUE", text)
    return answer
