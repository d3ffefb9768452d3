"""
Naming an official as involved in a case, from the tip's console page (investigators and admins).

The form lists the officials alerted for the case or who may be alerted for it; naming one is a
POST with the CSRF token (auth.require) and is stored with the account's name and the time
(storage.conflicts: the row is the audit). From then on that official gets none of the case's
alerts, escalations or resends. Nothing here reads or shows the tip's content.
"""

from __future__ import annotations

import structlog
from aiohttp import web

from gateway import keys
from gateway.console.auth import ROLES_TIPS, SESSION_KEY, require
from gateway.console.render import render
from storage.conflicts import case_conflict, mark_involved
from ussd_menus.receipts import parse_receipt

log = structlog.get_logger()


@require(ROLES_TIPS)
async def name_involved(request: web.Request) -> web.StreamResponse:
    """POST /console/tips/{receipt}/involved: name the form's `official` as involved."""
    receipt = parse_receipt(request.match_info["receipt"])
    if receipt is None:
        return render(request, "not_found.html", status=404)
    form = await request.post()
    official = str(form.get("official", ""))
    user = request[SESSION_KEY].user
    async with request.app[keys.POOL].acquire() as conn:
        case = await case_conflict(conn, receipt)
        if case is None:
            return render(request, "not_found.html", status=404)
        done = official.isdigit() and await mark_involved(
            conn, case.case_id, int(official), user.name
        )
    log.info(
        "console.official_named_involved",
        user=user.name,
        case_id=case.case_id,
        official_id=official if official.isdigit() else None,
        done=done,
    )
    raise web.HTTPSeeOther(f"/console/tips/{receipt}?involved={'set' if done else 'not_set'}")


def setup_conflicts(app: web.Application) -> None:
    """Register the conflict-of-interest form's target."""
    app.router.add_post(r"/console/tips/{receipt:[0-9-]{1,20}}/involved", name_involved)
