"""
The search box in every page's header, for roles that may read cases: a receipt goes to its case,
any other text to the case search (the tips list's words filter, issue 10).

A receipt that does not exist, lies outside the account's area, or is mistyped (its check digit
fails) gets one and the same "not found, or not in your area" page: the box cannot be used to
learn whether a case exists in another area.
"""

from __future__ import annotations

from urllib.parse import urlencode

import structlog
from aiohttp import web

from gateway import keys
from gateway.console.auth import ROLES_TIPS, SESSION_KEY, require, session_area
from gateway.console.params import MAX_TEXT
from gateway.console.render import render
from storage.cases import case_in_area
from ussd_menus.receipts import looks_like_receipt, parse_receipt

log = structlog.get_logger()


@require(ROLES_TIPS)
async def find(request: web.Request) -> web.StreamResponse:
    """GET /console/find?q=: a receipt to its case page, words to the tips list's search."""
    typed = request.query.get("q", "").strip()[:MAX_TEXT]
    if not typed:
        raise web.HTTPSeeOther("/console/tips")
    if not looks_like_receipt(typed):
        raise web.HTTPSeeOther(f"/console/tips?{urlencode({'q': typed})}")
    receipt = parse_receipt(typed)
    found = receipt is not None and (
        await case_in_area(request.app[keys.POOL], receipt, session_area(request)) is not None
    )
    if receipt is None or not found:
        log.info("console.find_not_found", user=request[SESSION_KEY].user.name)
        return render(request, "find_none.html", status=404, typed=typed)
    raise web.HTTPSeeOther(f"/console/tips/{receipt}")


def setup_find(app: web.Application) -> None:
    """Register the search box's target."""
    app.router.add_get("/console/find", find)
