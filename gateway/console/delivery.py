"""
The delivery log pages: every outbound SMS with its filters and CSV export, one message's
timeline, and sending a dead letter or failed message again. The log warns when this hour's
outbound SMS budget is used up and when the tip flood detector holds alerts (admins release them).

Every code is read in words (gateway/console/vocabulary.py): statuses, what an SMS was for, the
timeline's events, and a provider's failure reason, with the provider's code beside it and what to
do about it. A permanent failure (a wrong number) is not offered for sending again: the same
message to the same number cannot succeed; an admin gets a link to the official's record instead.
A reply to an official's command is to that official (name and office). Times are WIB.

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
from dataclasses import dataclass, replace
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
from gateway.console.vocabulary import (
    Failure,
    failure,
    failure_hint,
    failure_text,
    label,
    report_detail,
)
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
ROLES_FIX_OFFICIALS = frozenset({"admin"})  # who may change an official's record (officials page)
STATUSES = OUTBOX_STATUSES
PAGE_ROWS = 50
CSV_PAGE = 1000  # rows per query while streaming the CSV
CSV_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "status",
    "status_text",
    "recipient",
    "office",
    "cause",
    "cause_text",
    "attempts",
    "last_error",
    "reason",
    "hint",
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
        rows=[_listed(r, session_lang(request)) for r in page.rows],
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


def session_lang(request: web.Request) -> str:
    """The reader's language."""
    return str(request[SESSION_KEY].lang)


@dataclass(frozen=True, slots=True)
class Reason:
    """A failure as an operator reads it: plain words, the provider's code, what to do."""

    text: str
    code: str
    hint: str
    permanent: bool


def reason_of(row: DeliveryRow, lang: str) -> Reason | None:
    """Why the message failed, when it did (or is being retried)."""
    found: Failure | None = failure(row.last_error) if row.status != "delivered" else None
    if found is None:
        return None
    return Reason(
        failure_text(found, lang),
        mask(found.code),
        failure_hint(found, row.recipient_kind, lang),
        found.permanent,
    )


@dataclass(frozen=True, slots=True)
class Listed:
    """One row of the log as shown: the row (no text, no receipt) and its words."""

    row: DeliveryRow
    status: str
    cause: str
    reason: Reason | None


def _listed(row: DeliveryRow, lang: str) -> Listed:
    shown = replace(_shown(row), body=None, tip_receipt=None)  # never listed
    return Listed(
        shown,
        label("sms_status", row.status, lang),
        label("sms_cause", row.cause, lang),
        reason_of(row, lang),
    )


def may_retry(row: DeliveryRow) -> bool:
    """A dead letter, or a failure that is not permanent, may be sent again."""
    if row.status == "dead":
        return True
    found = failure(row.last_error)
    return row.status == "failed" and found is not None and not found.permanent


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
    await response.write((BOM.encode() if excel else b"") + _csv_lines([CSV_COLUMNS], excel))
    cursor: Cursor | None = None
    while True:
        page = await delivery_rows(pool, Reader.CONSOLE, wanted, Order.NEWEST, CSV_PAGE, cursor)
        await response.write(_csv_lines((_csv_values(r, session.lang) for r in page.rows), excel))
        if page.next is None:
            break
        cursor = page.next
    await response.write_eof()
    return response


def _csv_values(row: DeliveryRow, lang: str) -> tuple[object, ...]:
    """A row for the spreadsheet: each code next to its words (the codes stay filterable)."""
    official = row.recipient_kind == "official"
    reason = reason_of(row, lang)
    return (
        row.id,
        _iso(row.created_at),
        _iso(row.updated_at),
        row.status,
        label("sms_status", row.status, lang),
        row.official_name if official else ct("resident", lang),
        (row.official_office or "") if official else "",
        row.cause,
        label("sms_cause", row.cause, lang),
        row.attempts,
        mask(row.last_error),
        reason.text if reason else "",
        reason.hint if reason else "",
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
        # An official message that quotes no tip; a reply to a command may quote a receipt.
        if can_read_tips or not row.cause.startswith("reply:"):
            body = row.body
    queued = DeliveryEvent("queued", "", row.created_at)
    timeline = [queued, *await delivery_events(pool, outbox_id)]
    receipt = row.tip_receipt if can_read_tips else None  # never in an operator's page
    lang = session.lang
    return render(
        request,
        "delivery_message.html",
        row=replace(_shown(row), tip_receipt=receipt),
        status_text=label("sms_status", row.status, lang),
        cause_text=label("sms_cause", row.cause, lang),
        reason=reason_of(row, lang),
        official_link=(
            f"/console/officials#official-{row.official_id}"
            if row.official_id is not None and session.user.role in ROLES_FIX_OFFICIALS
            else ""
        ),
        body=body,
        about_tip=row.tip_receipt is not None,
        tip_receipt=receipt or "",
        shown_receipt=show_receipt(receipt) if receipt else "",
        events=[(e.at, label("sms_event", e.kind, lang), _detail(e, lang)) for e in timeline],
        can_retry=may_retry(row) and session.user.role in ROLES_RETRY,
        outcome=request.query.get("retry", ""),
    )


def _detail(event: DeliveryEvent, lang: str) -> str:
    """An event's detail, numbers masked; a resend names the account that asked for it."""
    if event.kind == "requeued" and event.detail:
        return f"{ct('case_by', lang)}: {event.detail}"
    if event.kind == "report":
        return mask(report_detail(event.detail, lang))
    return mask(event.detail)


@require(ROLES_RETRY)
async def retry(request: web.Request) -> web.StreamResponse:
    """POST /console/delivery/{id}/retry: queue a dead letter or failed message again."""
    outbox_id = int(request.match_info["id"])
    pool = request.app[keys.POOL]
    row = await delivery_row(pool, Reader.CONSOLE, outbox_id, session_area(request))
    if row is None:
        return render(request, "not_found.html", status=404)
    user = request[SESSION_KEY].user.name
    done = False
    if may_retry(row):  # never a permanent failure: the same number cannot succeed
        async with pool.acquire() as conn:
            done = await retry_dead(conn, outbox_id, user)
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
