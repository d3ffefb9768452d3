"""
The app's one middleware: fresh log context per request, one summary line, no unhandled 500 pages,
the callback token on every provider callback (`/at/...`, `/infobip/...`: every registered
provider's prefix; any of HOTLINE_CALLBACK_TOKEN's tokens, so a rotation has no gap), and the
console's guard on console paths. One middleware, not two: aiohttp wraps each one around every
request, and a second cost each USSD hop about 4 µs.
"""

from __future__ import annotations

import hmac
import time

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from gateway import logs
from gateway.console.guard import console_guard, is_console
from gateway.keys import CONFIG
from gateway.providers.registry import callback_prefixes

log = structlog.get_logger()
CALLBACK_PREFIXES = callback_prefixes()


def token_accepted(sent: str, tokens: tuple[str, ...]) -> bool:
    """Whether `sent` is one of `tokens`: each is compared in constant time, none skipped, so
    the answer's timing tells neither which token matched nor how much of one."""
    given = sent.encode()
    return any([hmac.compare_digest(given, token.encode()) for token in tokens])


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Start the request's log context (request_id, route), and log `http.request_finished`
    once per request with what the handler bound (gateway.logs.bind)."""
    route = request.match_info.route.resource
    logs.new_request(route.canonical if route is not None else "unmatched")
    started = time.perf_counter()
    status = 500
    try:
        tokens = request.config_dict[CONFIG].callback_tokens
        if (
            tokens
            and request.path.startswith(CALLBACK_PREFIXES)
            and not token_accepted(request.query.get("token", ""), tokens)
        ):
            log.warning("http.callback_token_refused")
            raise web.HTTPForbidden(text="callback token missing or wrong\n")
        if is_console(request.path):
            response = await console_guard(request, handler)
        else:
            response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as error:
        status = error.status
        raise
    except Exception:
        log.exception("http.unhandled_error")
        return web.Response(status=500, text="internal error\n")
    finally:
        logs.summary(
            "http.request_finished",
            method=request.method,
            status=status,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
        )
