"""
The phone simulator at /simulator, mounted only by `hotline serve --demo` (Config.demo).

One page, no external assets: a basic phone that dials the USSD code and posts every hop to the
real `/at/ussd` callback exactly as Africa's Talking does (urlencoded, the whole `*`-joined path
each time, a fresh sessionId per dial), a box to send an SMS as the resident to `/at/sms/inbound`,
the resident's inbox, and an officials' inbox that shows the alerts the built-in local gateway
delivered to a chosen official and replies from that official's number (OK / TANYA / SELESAI).
Inboxes read `/local-at/fake-at/messages`. This module owns the route and the page's settings;
the page itself is `simulator_templates/simulator.html`.
"""

from __future__ import annotations

import secrets

import jinja2
from aiohttp import web

from gateway import keys
from gateway.page_security import harden
from storage.officials import load_officials

DEFAULT_RESIDENT = "+6281200000001"  # fictional: +62812 0000 0xxx is never handed out here
SERVICE_CODE = "*123#"
NETWORK_CODE = "99999"  # no real operator has it
SHORT_CODE = "12345"  # where residents and officials send SMS
# gateway.app mounts the local gateway at /local-at (that module imports this one).
MESSAGES_URL = "/local-at/fake-at/messages"

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
        "serviceCode": config.ussd_service_code or SERVICE_CODE,
        "networkCode": NETWORK_CODE,
        "shortCode": SHORT_CODE,
        # Demo only: the page must pass the callbacks' token like AT's configured URLs do.
        "token": next(iter(config.callback_tokens), ""),
        "messagesUrl": MESSAGES_URL if config.local_gateway else "",
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


def setup_simulator(app: web.Application) -> None:
    """Register the simulator's route (the caller decides: demo mode only)."""
    app.router.add_get("/simulator", simulator_page)
