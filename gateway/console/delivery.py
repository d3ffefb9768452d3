"""
The delivery log pages: every outbound SMS with its filters and CSV export, one message's
timeline, and sending a dead letter or failed message again. The log warns when this hour's
outbound SMS budget is used up and when the tip flood detector holds alerts (admins release them).

A resident is only ever "warga" here: no number, no message text (it may hold a receipt). An
official alert's text holds part of a tip, so only roles that may read tips see it, and that
view is written to the tip's audit log like any other read. The same goes for the tip's receipt:
whoever knows it can read the tip's thread and answer as the reporter by SMS, so other roles see
only "alert about a tip". The list and the CSV never carry a receipt. Phone-like numbers in
provider errors are masked.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from urllib.parse import urlencode

import structlog
from aiohttp import web

from gateway import keys
from gateway.console.auth import ROLES_ALL, ROLES_TIPS, SESSION_KEY, require, session_area
from gateway.console.exports import BOM, export_format
from gateway.console.params import query_choice, query_date, query_flag, query_int
from gateway.console.render import WIB, render
from gateway.console.texts import ct
from gateway.page_security import harden
from gateway.phones import mask
from storage.alerts import release_held
from storage.budgets import abuse_gauges
from storage.csv_files import csv_cell
from storage.keyset import Cursor, decode_cursor, encode_cursor
from storage.officials import Official, load_officials
from storage.outbox import retry_dead
from storage.reads import (
    ALERT_STATES,
    OUTBOX_STATUSES,
    DeliveryEvent,
    DeliveryFilter,
    DeliveryRow,
    Order,
    Reader,
    delivery_events,
    delivery_row,
    delivery_rows,
)
from storage.tips import read_tip
from ussd_menus.receipts import parse_receipt, show_receipt

log = structlog.get_logger()
ROLES_RETRY = frozenset({"operator", "admin"})
ROLES_RELEASE = frozenset({"admin"})
STATUSES = OUTBOX_STATUSES
PAGE_ROWS = 50
CSV_PAGE = 1000  # rows per query while streaming the CSV
CSV_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "status",
    "recipient",
    "cause",
    "attempts",
    "last_error",
)


def _filters(request: web.Request, offices: Collection[str] = ()) -> DeliveryFilter:
    """The log's filters from the query. A receipt filters only for roles that may read tips:
    for others, whether a receipt has SMS would tell them it exists."""
    may_read_tips = request[SESSION_KEY].user.role in ROLES_TIPS
    return DeliveryFilter(
        status=query_choice(request, "status", STATUSES),
        official_id=query_int(request, "official"),
        since=query_date(request, "from"),
        until=query_date(request, "to"),
        stuck=query_flag(request, "stuck"),
        dead=query_flag(request, "dead"),
        area=session_area(request),
        alerts=query_choice(request, "alerts", ALERT_STATES),
        receipt=parse_receipt(request.query.get("receipt", "")) if may_read_tips else None,
        office=query_choice(request, "office", offices),
    )


def _offices(officials: Iterable[Official]) -> list[str]:
    """The offices officials belong to, for the office filter."""
    return sorted({o.office for o in officials if o.office}, key=str.casefold)


def _query_string(wanted: DeliveryFilter) -> str:
    """The filters as GET parameters again (for the CSV link)."""
    params = {
        "status": wanted.status or "",
        "official": str(wanted.official_id or ""),
        "from": wanted.since.isoformat() if wanted.since else "",
        "to": wanted.until.isoformat() if wanted.until else "",
        "stuck": "1" if wanted.stuck else "",
        "dead": "1" if wanted.dead else "",
        "alerts": wanted.alerts or "",
        "receipt": wanted.receipt or "",
        "office": wanted.office or "",
    }
    return urlencode({k: v for k, v in params.items() if v})


@require(ROLES_ALL)
async def delivery_log(request: web.Request) -> web.Response:
    """GET /console/delivery: one page of the filtered log, newest first. A cursor that is not
    one this page made is ignored (the first page, with a message), never an error."""
    pool = request.app[keys.POOL]
    officials = sorted(await load_officials(pool), key=lambda o: o.name.casefold())
    offices = _offices(officials)
    wanted = _filters(request, offices)
    raw_cursor = request.query.get("after", "")
    cursor = decode_cursor(raw_cursor)
    page = await delivery_rows(pool, Reader.CONSOLE, wanted, Order.NEWEST, PAGE_ROWS, cursor)
    budgets = await abuse_gauges(pool)
    per_hour = request.app[keys.CONFIG].sms_per_hour
    query = _query_string(wanted)
    after = f"after={encode_cursor(page.next)}" if page.next else ""
    return render(
        request,
        "delivery.html",
        budget_exhausted=budgets.sms_claimed_this_hour >= per_hour,
        sms_per_hour=per_hour,
        held_alerts=budgets.held_alerts,
        can_release=request[SESSION_KEY].user.role in ROLES_RELEASE,
        released=request.query.get("released", ""),
        rows=[replace(_shown(r), body=None, tip_receipt=None) for r in page.rows],  # never listed
        wanted=wanted,
        statuses=STATUSES,
        officials=officials,
        offices=offices,
        alert_states=sorted(ALERT_STATES),
        shown_filter_receipt=show_receipt(wanted.receipt) if wanted.receipt else "",
        can_search_receipt=request[SESSION_KEY].user.role in ROLES_TIPS,
        query=query,
        next_link=f"/console/delivery?{'&'.join(p for p in (query, after) if p)}" if after else "",
        bad_cursor=bool(raw_cursor) and cursor is None,
    )


def _shown(row: DeliveryRow) -> DeliveryRow:
    """The row with phone-like numbers masked in its error."""
    return replace(row, last_error=mask(row.last_error))


@require(ROLES_ALL)
async def delivery_csv(request: web.Request) -> web.StreamResponse:
    """GET /console/delivery.csv: every row of the filtered log as CSV, safe to open in a
    spreadsheet; streamed page by page (keyset), so no row limit and no whole log in memory."""
    session = request[SESSION_KEY]
    pool = request.app[keys.POOL]
    wanted = _filters(request, _offices(await load_officials(pool)))
    stamp = datetime.now(WIB).strftime("%Y%m%d-%H%M")
    excel = export_format(request) == "excel"  # a BOM and `;` (no XLSX: the log is streamed)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="sms-delivery-{stamp}.csv"',
        }
    )
    harden(response)  # streamed: the guard cannot add the page headers afterwards
    await response.prepare(request)
    resident = ct("resident", session.lang)
    await response.write((BOM.encode() if excel else b"") + _csv_lines([CSV_COLUMNS], excel))
    cursor: Cursor | None = None
    while True:
        page = await delivery_rows(pool, Reader.CONSOLE, wanted, Order.NEWEST, CSV_PAGE, cursor)
        await response.write(_csv_lines((_csv_values(r, resident) for r in page.rows), excel))
        if page.next is None:
            break
        cursor = page.next
    await response.write_eof()
    return response


def _csv_values(row: DeliveryRow, resident: str) -> tuple[object, ...]:
    return (
        row.id,
        _iso(row.created_at),
        _iso(row.updated_at),
        row.status,
        row.official_name if row.recipient_kind == "official" else resident,
        row.cause,
        row.attempts,
        mask(row.last_error),
    )


def _csv_lines(rows: Iterable[Sequence[object]], excel: bool) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if excel else ",", lineterminator="\r\n")
    for values in rows:
        writer.writerow([csv_cell(v) for v in values])
    return out.getvalue().encode("utf-8")


def _iso(moment: datetime) -> str:
    return moment.astimezone(WIB).isoformat(timespec="seconds")


@require(ROLES_ALL)
async def delivery_message(request: web.Request) -> web.Response:
    """GET /console/delivery/{id}: one message and its timeline."""
    session = request[SESSION_KEY]
    pool = request.app[keys.POOL]
    outbox_id = int(request.match_info["id"])
    area = session_area(request)
    row = await delivery_row(pool, Reader.CONSOLE, outbox_id, area)
    if row is None:
        return render(request, "not_found.html", status=404)
    can_read_tips = session.user.role in ROLES_TIPS
    body = None
    if row.body is not None and row.tip_receipt and can_read_tips:
        async with pool.acquire() as conn:  # the alert quotes the tip: audit the view
            if await read_tip(conn, row.tip_receipt, session.user.name, "console: alert SMS", area):
                body = row.body
    elif row.body is not None and row.tip_receipt is None:
        body = row.body  # an official message that quotes no tip
    queued = DeliveryEvent("queued", "", row.created_at)
    timeline = [queued, *await delivery_events(pool, outbox_id)]
    receipt = row.tip_receipt if can_read_tips else None  # never in an operator's page
    return render(
        request,
        "delivery_message.html",
        row=replace(_shown(row), tip_receipt=receipt),
        body=body,
        about_tip=row.tip_receipt is not None,
        tip_receipt=receipt or "",
        shown_receipt=show_receipt(receipt) if receipt else "",
        events=[(e.at, _event_label(e.kind, session.lang), mask(e.detail)) for e in timeline],
        can_retry=row.status in ("dead", "failed") and session.user.role in ROLES_RETRY,
        outcome=request.query.get("retry", ""),
    )


def _event_label(kind: str, lang: str) -> str:
    label = ct(f"ev_{kind}", lang)
    return kind if label == f"ev_{kind}" else label


@require(ROLES_RETRY)
async def retry(request: web.Request) -> web.StreamResponse:
    """POST /console/delivery/{id}/retry: queue a dead letter or failed message again."""
    outbox_id = int(request.match_info["id"])
    pool = request.app[keys.POOL]
    if await delivery_row(pool, Reader.CONSOLE, outbox_id, session_area(request)) is None:
        return render(request, "not_found.html", status=404)
    async with pool.acquire() as conn:
        done = await retry_dead(conn, outbox_id)
    user = request[SESSION_KEY].user.name
    log.info("console.sms_requeued", outbox_id=outbox_id, user=user, requeued=done)
    outcome = "requeued" if done else "not_retryable"
    raise web.HTTPSeeOther(f"/console/delivery/{outbox_id}?retry={outcome}")


@require(ROLES_RELEASE)
async def release(request: web.Request) -> web.StreamResponse:
    """POST /console/delivery/release-held: send the alerts held during a tip flood."""
    async with request.app[keys.POOL].acquire() as conn:
        released = await release_held(conn)
    log.info("alerts.held_released", alerts=released, user=request[SESSION_KEY].user.name)
    raise web.HTTPSeeOther(f"/console/delivery?released={released}")


def setup_delivery(app: web.Application) -> None:
    """Register the delivery log pages."""
    app.router.add_get("/console/delivery", delivery_log)
    app.router.add_get("/console/delivery.csv", delivery_csv)
    app.router.add_get(r"/console/delivery/{id:\d{1,18}}", delivery_message)
    app.router.add_post(r"/console/delivery/{id:\d{1,18}}/retry", retry)
    app.router.add_post("/console/delivery/release-held", release)
