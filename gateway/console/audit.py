"""
The audit page, for admins only (issue 14 item 13): who read or changed which case, and who
changed which account (storage.audit), filterable by account or official, receipt, kind and
dates, newest first in pages of PAGE_ROWS (keyset: "older" continues after the page's last row),
and exportable as CSV (/console/audit.csv, bounded at CSV_ROWS, each cell made safe for
spreadsheets by gateway.console.exports; format=excel or xlsx for Excel).

An admin sees only the cases of its area, like on every other page: a case outside it is absent
from the page and the CSV. Notes, questions and tips' text are never shown here (who did what,
not what they wrote); reading them stays on the case's own page, where the read is audited.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from aiohttp import web

from gateway import keys
from gateway.console.auth import ROLES_ADMIN, require, session_area
from gateway.console.exports import table_download
from gateway.console.params import query_choice, query_date
from gateway.console.render import WIB, render
from storage.audit import KINDS, AuditFilter, AuditRow, audit_rows
from ussd_menus.receipts import parse_receipt, show_receipt

PAGE_ROWS = 200
CSV_ROWS = 100_000
CSV_COLUMNS = (
    "at",
    "kind",
    "actor",
    "channel",
    "receipt",
    "account",
    "from_status",
    "to_status",
    "holder",
    "detail",
)


def _filters(request: web.Request) -> AuditFilter:
    actor = request.query.get("actor", "").strip()[:120]
    return AuditFilter(
        actor=actor or None,
        receipt=parse_receipt(request.query.get("receipt", "")),
        kind=query_choice(request, "kind", KINDS),
        since=query_date(request, "from"),
        until=query_date(request, "to"),
        area=session_area(request),
    )


def _before(request: web.Request) -> tuple[datetime, str] | None:
    """The keyset cursor `before=<ISO moment>~<ref>`, or None when absent or unreadable."""
    moment, _, ref = request.query.get("before", "").partition("~")
    try:
        at = datetime.fromisoformat(moment)
    except ValueError:
        return None
    return (at, ref[:40]) if ref and at.tzinfo else None


def _query(wanted: AuditFilter, **extra: str) -> str:
    params = {
        "actor": wanted.actor or "",
        "receipt": wanted.receipt or "",
        "kind": wanted.kind or "",
        "from": wanted.since.isoformat() if wanted.since else "",
        "to": wanted.until.isoformat() if wanted.until else "",
        **extra,
    }
    return urlencode({k: v for k, v in params.items() if v})


@require(ROLES_ADMIN)
async def audit_page(request: web.Request) -> web.Response:
    """GET /console/audit: one page of the trail."""
    wanted = _filters(request)
    rows = await audit_rows(request.app[keys.POOL], wanted, PAGE_ROWS + 1, _before(request))
    more = len(rows) > PAGE_ROWS
    rows = rows[:PAGE_ROWS]
    older = ""
    if more:
        last = rows[-1]
        older = _query(wanted, before=f"{last.at.isoformat()}~{last.ref}")
    response = render(
        request,
        "audit.html",
        rows=rows,
        wanted=wanted,
        kinds=KINDS,
        show_receipt=show_receipt,
        older=older,
        csv_query=_query(wanted),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _csv_line(row: AuditRow) -> tuple[object, ...]:
    return (
        row.at.astimezone(WIB).isoformat(timespec="seconds"),
        row.kind,
        row.actor,
        row.channel,
        row.receipt or "",
        row.subject or "",
        row.from_status or "",
        row.to_status or "",
        row.holder or "",
        row.detail,
    )


@require(ROLES_ADMIN)
async def audit_csv(request: web.Request) -> web.Response:
    """GET /console/audit.csv: the filtered trail as CSV, newest first."""
    rows = await audit_rows(request.app[keys.POOL], _filters(request), CSV_ROWS)
    stamp = datetime.now(WIB).strftime("%Y%m%d-%H%M")
    return table_download(request, CSV_COLUMNS, map(_csv_line, rows), f"audit-{stamp}")


def setup_audit(app: web.Application) -> None:
    """Register the audit page and its CSV."""
    app.router.add_get("/console/audit", audit_page)
    app.router.add_get("/console/audit.csv", audit_csv)
