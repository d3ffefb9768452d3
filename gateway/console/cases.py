"""
Case actions on a tip's console page, for investigators and admins within their area: change the
status, add an internal note, ask the reporter, hand over to an agency, close with an outcome,
reopen, and assign the case (to an account, an official or an agency) with a due date.

Each form is a POST with the CSRF token (auth.require) and each action is the same use case the
officials' SMS commands use (gateway/usecases/cases.py): one writer under the case's row lock, a
case_events row naming the console account, channel 'console'. What the lifecycle
(ussd_menus/cases.py) refuses changes nothing and is shown as refused. A case outside the
account's area is a 404 for every action, exactly like a receipt that does not exist; operators
are refused before anything is read.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

import structlog
from aiohttp import web

from gateway import keys
from gateway.console.auth import ROLES_TIPS, SESSION_KEY, Handler, require, session_area
from gateway.console.render import render
from gateway.usecases.cases import (
    Asked,
    HandedOver,
    NoSuchAgency,
    add_note,
    ask_reporter,
    assign,
    hand_over_to_agency,
    move,
    reopen,
)
from storage.cases import (
    Actor,
    Assignment,
    active_official_name,
    agency_codes,
    assignable_accounts,
    case_in_area,
)
from storage.db import Conn
from ussd_menus.cases import CLOSED, Refused
from ussd_menus.receipts import parse_receipt

log = structlog.get_logger()

# The statuses the plain "change status" form may set: a question (menunggu_pelapor), a handover
# (diteruskan) and a closing (an outcome) have their own forms, which carry what they need.
SETTABLE = ("diterima", "diselidiki")
ACTIONS = ("status", "note", "ask", "forward", "close", "reopen", "assign")


async def _act(
    conn: Conn, action: str, tip_id: int, receipt: str, form: dict[str, str], actor: Actor
) -> dict[str, str]:
    """Run one action; the outcome as the tip page's query (case=<outcome>, and for a refusal
    the current and wanted status)."""
    note = form.get("note", "").strip()[:1000]
    if action in ("status", "close"):
        wanted = form.get("status", "")
        allowed = SETTABLE if action == "status" else tuple(sorted(CLOSED))
        if wanted not in allowed:
            return {"case": "invalid"}
        result = await move(conn, tip_id, wanted, actor, note=note)
    elif action == "reopen":
        result = await reopen(conn, tip_id, actor, note)
    elif action == "assign":
        return await _assign(conn, tip_id, form, actor)
    elif action == "note":
        return {"case": "noted" if await add_note(conn, tip_id, actor, note) else "empty"}
    elif action == "ask":
        question = form.get("question", "").strip()
        if not question:
            return {"case": "empty"}
        asked = await ask_reporter(conn, tip_id, receipt, actor, question)
        if isinstance(asked, Asked):
            return {"case": "asked_held" if asked.held_for else "asked"}
        result = asked
    else:
        agency = form.get("agency", "").strip()
        if not agency:
            return {"case": "invalid"}
        handed = await hand_over_to_agency(conn, tip_id, receipt, agency, actor)
        if isinstance(handed, HandedOver):
            return {"case": "forwarded", "agency": handed.agency}
        if isinstance(handed, NoSuchAgency):
            return {"case": "agency_unknown", "agency": handed.agency}
        if not isinstance(handed, Refused):
            return {"case": "agency_none", "agency": handed.agency}
        result = handed
    if isinstance(result, Refused):
        return {"case": "refused", "from": result.current, "to": result.wanted}
    return {"case": "moved"}


async def _assign(conn: Conn, tip_id: int, form: dict[str, str], actor: Actor) -> dict[str, str]:
    """Assign to `to` (account:<name>, official:<id> or agency:<CODE>, each checked against the
    directory) by `due` (YYYY-MM-DD, optional)."""
    kind, _, value = form.get("to", "").partition(":")
    try:
        due = date.fromisoformat(form["due"]) if form.get("due") else None
    except ValueError:
        return {"case": "invalid"}
    if kind == "account" and value in await assignable_accounts(conn):
        assignment, label = Assignment(account=value, due_on=due), value
    elif kind == "agency" and value in await agency_codes(conn):
        assignment, label = Assignment(agency=value, due_on=due), value
    elif kind == "official" and value.isdigit():
        name = await active_official_name(conn, int(value))
        if name is None:
            return {"case": "invalid"}
        assignment, label = Assignment(official_id=int(value), due_on=due), str(name)
    else:
        return {"case": "invalid"}
    await assign(conn, tip_id, actor, assignment, label)
    return {"case": "assigned"}


def case_action(action: str) -> Handler:
    """POST /console/tips/{receipt}/case/{action}: one case action, then back to the tip page."""

    @require(ROLES_TIPS)
    async def act(request: web.Request) -> web.StreamResponse:
        receipt = parse_receipt(request.match_info["receipt"])
        if receipt is None:
            return render(request, "not_found.html", status=404)
        user = request[SESSION_KEY].user
        form = {k: str(v) for k, v in (await request.post()).items()}
        async with request.app[keys.POOL].acquire() as conn:
            tip_id = await case_in_area(conn, receipt, session_area(request))
            if tip_id is None:
                return render(request, "not_found.html", status=404)
            actor = Actor("console", account=user.name)
            outcome = await _act(conn, action, tip_id, receipt, form, actor)
        log.info("console.case_action", user=user.name, action=action, outcome=outcome["case"])
        raise web.HTTPSeeOther(f"/console/tips/{receipt}?{urlencode(outcome)}#case")

    return act


def setup_cases(app: web.Application) -> None:
    """Register the case actions' form targets."""
    for action in ACTIONS:
        app.router.add_post(
            rf"/console/tips/{{receipt:[0-9-]{{1,20}}}}/case/{action}", case_action(action)
        )
