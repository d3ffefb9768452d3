"""
The case export for the monthly report (issue 17 item 4): one row per case filed in a period,
inside the account's area, as CSV, Excel-friendly CSV or XLSX (gateway/console/exports.py).

Every role may take it: it says what each case is about and where it stands (category, kecamatan,
desa, status in words, holder, when it was closed), never what the tip says (storage.case_export
reads no text). The receipt column is there only for roles that may read tips (ROLES_TIPS): a
receipt is enough to follow a tip and answer as its reporter.
"""

from __future__ import annotations

from datetime import datetime

import structlog
from aiohttp import web

from gateway import keys
from gateway.console.auth import ROLES_ALL, ROLES_TIPS, SESSION_KEY, require, session_area
from gateway.console.coordination import default_period
from gateway.console.exports import table_download
from gateway.console.params import query_date
from gateway.console.render import WIB
from gateway.console.texts import ct
from storage.case_export import ExportedCase, exported_cases

log = structlog.get_logger()
MAX_ROWS = 50_000
COLUMNS = ("created_at", "category", "kecamatan", "desa", "status", "holder", "closed_at")


def _iso(moment: datetime | None) -> str:
    return moment.astimezone(WIB).strftime("%Y-%m-%d %H:%M") if moment else ""


def _row(case: ExportedCase, lang: str, with_receipt: bool) -> list[object]:
    cells: list[object] = [case.receipt or ""] if with_receipt else []
    return [
        *cells,
        _iso(case.created_at),
        case.category,
        case.kecamatan_name or "",
        case.desa or "",
        ct(f"case_{case.status}", lang),
        case.holder,
        _iso(case.closed_at),
    ]


@require(ROLES_ALL)
async def case_export(request: web.Request) -> web.Response:
    """GET /console/case-export?from=&to=&format=: the period's cases (default: last month)."""
    session = request[SESSION_KEY]
    since, until = default_period(datetime.now(WIB).date())
    since = query_date(request, "from") or since
    until = query_date(request, "to") or until
    if until < since:
        since, until = until, since
    with_receipt = session.user.role in ROLES_TIPS
    cases = await exported_cases(
        request.app[keys.POOL],
        session_area(request),
        since,
        until,
        with_receipt=with_receipt,
        limit=MAX_ROWS,
    )
    log.info("console.cases_exported", user=session.user.name, cases=len(cases))
    header = [*(["receipt"] if with_receipt else []), *COLUMNS]
    rows = [_row(c, session.lang, with_receipt) for c in cases]
    return table_download(request, header, rows, f"kasus-{since:%Y%m%d}-{until:%Y%m%d}")


def setup_case_export(app: web.Application) -> None:
    """Register the case export."""
    app.router.add_get("/console/case-export", case_export)
