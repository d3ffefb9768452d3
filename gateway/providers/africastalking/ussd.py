"""
Africa's Talking's USSD callback: AT posts each hop as a urlencoded form and shows our answer.

The form (sessionId, phoneNumber, serviceCode, networkCode, text) becomes a core `UssdHop` whose
input is the full '*'-joined path AT resends on every hop. The answer is always 200 text/plain
starting with 'CON ' (the session continues) or 'END ' (it closes): anything else makes AT drop
the caller silently, so an unexpected error becomes the END apology. This is the only module that
writes those prefixes.
"""

from __future__ import annotations

import structlog
from aiohttp import web

from gateway.core.messages import FullPath, UssdHop
from gateway.forms import read_form
from gateway.ussd import APOLOGY, USSD
from ussd_menus.model import Continue, Screen

log = structlog.get_logger()


def parse_hop(form: dict[str, str]) -> UssdHop | None:
    """The hop AT posted; None without a session id (nothing to answer for)."""
    session_id = form.get("sessionId", "").strip()
    if not session_id:
        return None
    return UssdHop(
        session_id=session_id,
        phone=form.get("phoneNumber", ""),
        service_code=form.get("serviceCode", ""),
        input=FullPath(form.get("text", "")),
        network=form.get("networkCode", ""),
    )


def render(screen: Screen) -> web.Response:
    """A screen as AT shows it."""
    prefix = "CON " if isinstance(screen, Continue) else "END "
    return web.Response(text=prefix + screen.text, content_type="text/plain")


async def ussd_callback(request: web.Request) -> web.Response:
    """POST /at/ussd: one hop of a USSD session."""
    try:
        hop = parse_hop(await read_form(request))
        if hop is None:
            log.warning("ussd.bad_request", missing="sessionId")
            screen: Screen = APOLOGY
        else:
            screen = (await request.app[USSD].answer(hop)).screen
    except web.HTTPRequestEntityTooLarge:
        raise
    except Exception:
        log.exception("ussd.hop_failed")
        screen = APOLOGY
    return render(screen)
