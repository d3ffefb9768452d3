"""
The phone simulator at /simulator, mounted only by `hotline serve --demo` (Config.demo).

One page, no external assets: a basic phone that dials the USSD code, a box to send an SMS as
the resident, the resident's inbox, and an officials' inbox that shows the alerts the built-in
local gateway delivered to a chosen official and replies from that official's number (OK /
TANYA / SELESAI). This module owns the route, the page's settings, and the page's own small
endpoints, which speak no provider's language: the server turns each into the configured
provider's wire format (through the provider's fake) and posts it to the real callback, with the
callback token, exactly as the provider would:

    POST /simulator/ussd      {session, phone, inputs[]}            -> the USSD callback's answer
    POST /simulator/ussd/end  {session, phone, inputs[], completed, duration_ms}
    POST /simulator/sms       {phone, text}                         -> the SMS callback's status
    GET  /simulator/messages  what the local gateway was given to send: [{id, to, text, at}]

USSD always goes through Africa's Talking's form (the only USSD adapter); SMS through the
configured SMS provider. The page is `simulator_templates/simulator.html`.
"""

from __future__ import annotations

import secrets
import socket
from dataclasses import asdict

import aiohttp
import jinja2
import orjson
from aiohttp import web

from gateway import keys
from gateway.page_security import harden
from gateway.providers.africastalking.fake import (
    USSD_CALLBACK,
    USSD_END_CALLBACK,
    ussd_end_form,
    ussd_form,
)
from gateway.providers.provider import LOCAL_FAKE
from gateway.providers.registry import provider_for
from storage.officials import load_officials

DEFAULT_RESIDENT = "+6281200000001"  # fictional: +62812 0000 0xxx is never handed out here
SERVICE_CODE = "*123#"
SHORT_CODE = "12345"  # where residents and officials send SMS
# The page sends this header on every POST: a cross-site form or fetch cannot (CORS preflight).
PAGE_HEADER = "X-Simulator"
_TIMEOUT = aiohttp.ClientTimeout(total=15)
_MAX_TEXT = 1000

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("gateway", "simulator_templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


async def simulator_page(request: web.Request) -> web.Response:
    """GET /simulator: the phone, the SMS box and both inboxes."""
    config = request.app[keys.CONFIG]
    officials = [o for o in await load_officials(request.app[keys.POOL]) if o.active]
    nonce = secrets.token_urlsafe(18)
    settings = {
        "ussdCode": config.ussd_service_code or SERVICE_CODE,
        "shortCode": SHORT_CODE,
        "provider": config.sms_provider,
        "messagesUrl": "/simulator/messages" if config.local_gateway else "",
    }
    html = _ENV.get_template("simulator.html").render(
        nonce=nonce,
        settings=settings,
        officials=officials,
        default_phone=DEFAULT_RESIDENT,
        local_gateway=config.local_gateway,
    )
    response = web.Response(text=html, content_type="text/html")
    harden(
        response,
        csp=f"default-src 'self'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}';"
        " base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    )
    return response


async def ussd_hop(request: web.Request) -> web.Response:
    """POST /simulator/ussd: one hop, posted to the USSD callback as AT would."""
    data = await _page_json(request)
    config = request.app[keys.CONFIG]
    form = ussd_form(
        _text(data, "session"),
        _text(data, "phone"),
        config.ussd_service_code or SERVICE_CODE,
        "*".join(_inputs(data)),
    )
    async with (
        _session() as http,
        http.post(_callback(request, USSD_CALLBACK), data=form) as answer,
    ):
        return web.Response(status=answer.status, text=await answer.text())


async def ussd_end(request: web.Request) -> web.Response:
    """POST /simulator/ussd/end: the end-of-session notification, as AT would send it."""
    data = await _page_json(request)
    config = request.app[keys.CONFIG]
    duration = data.get("duration_ms")
    form = ussd_end_form(
        _text(data, "session"),
        _text(data, "phone"),
        config.ussd_service_code or SERVICE_CODE,
        _inputs(data),
        data.get("completed") is True,
        duration if isinstance(duration, int) else 0,
    )
    url = _callback(request, USSD_END_CALLBACK)
    async with _session() as http, http.post(url, data=form) as answer:
        return web.Response(status=answer.status, text=await answer.text())


async def sms_in(request: web.Request) -> web.Response:
    """POST /simulator/sms: the configured provider's fake delivers one SMS to our callback."""
    data = await _page_json(request)
    phone, text = _text(data, "phone"), _text(data, "text")
    if not phone or not text.strip():
        raise web.HTTPBadRequest(text="phone and text are required\n")
    provider = provider_for(request.app[keys.CONFIG])
    url = _callback(request, provider.inbound_path)
    async with _session() as http:
        status = await provider.post_inbound(http, url, phone, text, SHORT_CODE)
    return web.Response(status=200 if status == 200 else 502, text=f"{status}\n")


async def sent_messages(request: web.Request) -> web.Response:
    """GET /simulator/messages: what the local gateway took to send, in one neutral shape."""
    fake = request.app.get(LOCAL_FAKE)
    provider = provider_for(request.app[keys.CONFIG])
    listed = provider.sent_messages(fake) if fake is not None else []
    body = [{**asdict(m), "to": m.phone} for m in listed]
    return web.Response(body=orjson.dumps(body), content_type="application/json")


async def _page_json(request: web.Request) -> dict[str, object]:
    if request.headers.get(PAGE_HEADER) != "1":
        raise web.HTTPForbidden(text="only the simulator page posts here\n")
    try:
        data = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        raise web.HTTPBadRequest(text="body: not JSON\n") from None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="body: not a JSON object\n")
    return data


def _text(data: dict[str, object], key: str) -> str:
    value = data.get(key)
    return value[:_MAX_TEXT] if isinstance(value, str) else ""


def _inputs(data: dict[str, object]) -> list[str]:
    value = data.get("inputs")
    if not isinstance(value, list):
        return []
    return [str(item)[:_MAX_TEXT] for item in value[:50]]


def _callback(request: web.Request, path: str) -> str:
    """Our own callback on the socket this request came in on (never the Host header a page
    could set), with the callback token, as the provider's configured URL has it."""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    host, port = ("127.0.0.1", request.app[keys.CONFIG].port)
    if isinstance(sockname, tuple) and len(sockname) >= 2:
        port = int(sockname[1])
        if ":" in str(sockname[0]):
            host = "[::1]"
    tokens = request.app[keys.CONFIG].callback_tokens
    query = f"?token={tokens[0]}" if tokens else ""
    return f"http://{host}:{port}{path}{query}"


def _session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        timeout=_TIMEOUT, connector=aiohttp.TCPConnector(family=socket.AF_UNSPEC)
    )


def setup_simulator(app: web.Application) -> None:
    """Register the simulator's routes (the caller decides: demo mode only)."""
    app.router.add_get("/simulator", simulator_page)
    app.router.add_post("/simulator/ussd", ussd_hop)
    app.router.add_post("/simulator/ussd/end", ussd_end)
    app.router.add_post("/simulator/sms", sms_in)
    app.router.add_get("/simulator/messages", sent_messages)
