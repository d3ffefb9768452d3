"""
The tips pages, for investigators and admins only: the list (what each tip is about, never what
it says) and one tip's page (its content, anonymous thread and its alerts' delivery).

Opening a tip's page reads its content through storage.tips.read_tip, which writes the audit row
(reader = the user's name, purpose "console") in the same transaction. Other roles are refused
before anything is read, so they leave no audit row and see nothing. Nothing on these pages says
who reported a tip; they do say which official asked or closed by SMS. An official's message that
asks who the reporter is waits here, held, until an investigator or admin releases it to the
reporter or rejects it (POST with the CSRF token; the decision is stored with the reviewer's name).
"""

from __future__ import annotations

from urllib.parse import urlencode

import structlog
from aiohttp import web

from gateway import keys
from gateway.console.auth import ROLES_TIPS, SESSION_KEY, Handler, require, session_area
from gateway.console.cases import SETTABLE
from gateway.console.params import query_choice, query_date, query_text
from gateway.console.render import render
from storage.cases import (
    agency_codes,
    assignable_accounts,
    assignment_of,
    case_history,
    case_in_area,
)
from storage.conflicts import case_conflict
from storage.keyset import Cursor, decode_cursor, encode_cursor
from storage.reads import Order, TipFilter, tip_alerts, tip_rows, tip_thread
from storage.regions import load_kecamatan
from storage.tips import CATEGORIES, read_tip, reported_by, review_message
from ussd_menus.cases import CLOSED, MOVES, STATUSES
from ussd_menus.receipts import parse_receipt, show_receipt

log = structlog.get_logger()
PAGE_ROWS = 50
PURPOSE = "console"


@require(ROLES_TIPS)
async def tips_list(request: web.Request) -> web.Response:
    """GET /console/tips: one page of the tips of the account's area by the filters (a
    receipt and words of the text among them), newest first; no content. A cursor that is not
    one this page made is ignored (the first page, with a message), never an error."""
    pool = request.app[keys.POOL]
    area = session_area(request)
    kecamatan = [k for k in await load_kecamatan(pool) if area.kecamatan_code in (None, k.code)]
    holders = await agency_codes(pool)
    wanted = TipFilter(
        status=query_choice(request, "status", STATUSES),
        category=query_choice(request, "category", CATEGORIES),
        kecamatan_code=query_choice(request, "kecamatan", {k.code for k in kecamatan}),
        since=query_date(request, "from"),
        until=query_date(request, "to"),
        receipt=parse_receipt(request.query.get("receipt", "")),
        area=area,
        assigned_account=request[SESSION_KEY].user.name if request.query.get("mine") else None,
        overdue=bool(request.query.get("overdue")),
        holder=query_choice(request, "holder", holders),
        text=query_text(request, "q"),
    )
    raw_cursor = request.query.get("after", "")
    cursor = decode_cursor(raw_cursor)
    page = await tip_rows(pool, wanted, Order.NEWEST, PAGE_ROWS, cursor)
    return render(
        request,
        "tips.html",
        rows=page.rows,
        wanted=wanted,
        statuses=STATUSES,
        categories=CATEGORIES,
        kecamatan=kecamatan,
        holders=holders,
        show_receipt=show_receipt,
        next_link=_next_link(request, page.next),
        bad_cursor=bool(raw_cursor) and cursor is None,
    )


def _next_link(request: web.Request, cursor: Cursor | None) -> str:
    """The same filters, starting after the cursor; empty on the last page."""
    if cursor is None:
        return ""
    params = [(k, v) for k, v in request.query.items() if k != "after" and v]
    return f"{request.path}?{urlencode([*params, ('after', encode_cursor(cursor))])}"


@require(ROLES_TIPS)
async def tip_page(request: web.Request) -> web.Response:
    """GET /console/tips/{receipt}: the tip's content (an audited read), thread and alerts."""
    receipt = parse_receipt(request.match_info["receipt"])
    if receipt is None:
        return render(request, "not_found.html", status=404)
    user = request[SESSION_KEY].user
    pool = request.app[keys.POOL]
    async with pool.acquire() as conn:
        tip = await read_tip(conn, receipt, user.name, PURPOSE, session_area(request))
    if tip is None:
        return render(request, "not_found.html", status=404)
    log.info("console.tip_read", user=user.name, role=user.role)
    names = {k.code: k.name for k in await load_kecamatan(pool)}
    tip_id = await case_in_area(pool, receipt, session_area(request))
    response = render(
        request,
        "tip.html",
        tip=tip,
        shown_receipt=show_receipt(tip.receipt),
        kecamatan_name=names.get(tip.kecamatan_code or "", ""),
        thread=await tip_thread(pool, receipt),
        alerts=await tip_alerts(pool, receipt),
        outcome=request.query.get("review", ""),
        conflict=await case_conflict(pool, receipt),
        reported_by=await reported_by(pool, receipt, session_area(request)),
        involved=request.query.get("involved", ""),
        history=await case_history(pool, tip_id) if tip_id is not None else [],
        settable=[s for s in SETTABLE if s in MOVES.get(tip.status, frozenset())],
        outcomes=sorted(CLOSED),
        closed=tip.status in CLOSED,
        agencies=await agency_codes(pool),
        assignment=await assignment_of(pool, tip_id) if tip_id is not None else None,
        accounts=await assignable_accounts(pool),
        case_outcome={k: request.query.get(k, "") for k in ("case", "from", "to", "agency")},
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def review(decision: str) -> Handler:
    """POST /console/tips/{receipt}/messages/{id}/release|reject: decide on a held message."""

    @require(ROLES_TIPS)
    async def decide(request: web.Request) -> web.StreamResponse:
        receipt = parse_receipt(request.match_info["receipt"])
        if receipt is None:
            return render(request, "not_found.html", status=404)
        message_id = int(request.match_info["id"])
        user = request[SESSION_KEY].user
        async with request.app[keys.POOL].acquire() as conn:
            done = await review_message(
                conn, receipt, message_id, decision, user.name, session_area(request)
            )
        log.info(
            "console.message_reviewed",
            user=user.name,
            message_id=message_id,
            decision=decision,
            done=done,
        )
        raise web.HTTPSeeOther(f"/console/tips/{receipt}?review={decision if done else 'not_held'}")

    return decide


def setup_tips(app: web.Application) -> None:
    """Register the tips pages."""
    app.router.add_get("/console/tips", tips_list)
    app.router.add_get(r"/console/tips/{receipt:[0-9-]{1,20}}", tip_page)
    for action, decision in (("release", "released"), ("reject", "rejected")):
        app.router.add_post(
            rf"/console/tips/{{receipt:[0-9-]{{1,20}}}}/messages/{{id:\d{{1,18}}}}/{action}",
            review(decision),
        )
