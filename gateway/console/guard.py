"""
The console's guard, which the request middleware (gateway.middleware) runs for console paths
only (as a middleware of its own it cost every USSD hop about 4 µs): every console answer carries
the shared page headers
(gateway.page_security), and a POST another site made the browser send is refused before any
handler sees it.

Browsers say where a request came from: `Sec-Fetch-Site` (trusted when present), else `Origin`.
A request with neither (curl, an old browser) passes here and still meets the CSRF tokens; a
cross-site one gets 403 and a page saying what happened. Ports are not compared: a proxy may drop
them from Host, and another port of the same host is the same site to cookies anyway.

A refusal (403) or an unknown address (404) inside the console is a console page too: the
layout, the account's language when a session is known, and a link home (issue 17).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from gateway.console.auth import SESSION_KEY, current_session
from gateway.console.render import render
from gateway.page_security import harden

log = structlog.get_logger()
SAME_SITE_FETCH = ("same-origin", "none")  # "none": typed in, a bookmark
REFUSALS = ("forbidden", "csrf")  # the text of a console HTTPForbidden names its message


def is_console(path: str) -> bool:
    """Whether the path belongs to the console."""
    return path == "/console" or path.startswith("/console/")


def cross_site(request: web.Request) -> bool:
    """The browser says another site (or an opaque origin) made this request."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site.strip().lower() not in SAME_SITE_FETCH
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    try:
        origin_host = urlsplit(origin.strip()).hostname
        own_host = urlsplit("//" + request.host).hostname
    except ValueError:
        return True
    return origin_host is None or origin_host != own_host


async def console_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse cross-site console POSTs; harden every console answer, errors and redirects too
    (`request` is a console path: is_console)."""
    if request.method == "POST" and cross_site(request):
        log.warning(
            "console.cross_site_refused",
            fetch_site=request.headers.get("Sec-Fetch-Site", "")[:20],
            origin=request.headers.get("Origin", "")[:100],
        )
        refused = render(request, "cross_site.html", status=403)
        harden(refused)
        return refused
    try:
        response = await handler(request)
    except (web.HTTPForbidden, web.HTTPNotFound) as error:
        response = await _error_page(request, error)
    except web.HTTPException as error:
        harden(error)
        raise
    harden(response)
    return response


async def _error_page(request: web.Request, error: web.HTTPException) -> web.Response:
    """A 403 or 404 in the console layout, in the session's language, with a way home."""
    if SESSION_KEY not in request:  # an unknown address: no handler looked at the session
        session = await current_session(request)
        if session is not None:
            request[SESSION_KEY] = session
    if error.status == 404:
        return render(request, "not_found.html", status=404)
    message = error.text if error.text in REFUSALS else "forbidden"
    return render(request, "forbidden.html", status=403, message=message)
