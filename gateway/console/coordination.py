"""
The coordination export (issue 14 item 10): the case summary of one period for the monthly
coordination meeting, as a printable page with charts and as CSV, always within the account's
area (storage.areas), optionally narrowed to one kecamatan.

Every role sees the figures: per kecamatan and holder, per category, and the totals. Only roles
that may read tips (ROLES_TIPS) see the case list, because a receipt is enough to read a tip's
thread and answer as its reporter by SMS (see gateway/console/delivery.py). The tips' text is
left out unless such an account ticks "with tip text" (text=1): each listed tip's read is then
written to tip_reads with the purpose PURPOSE, like opening its page. The charts are drawn by
gateway/console/charts.py; the print stylesheet (console.css, @media print) fits A4.

The CSV has the same figures as the page (part=summary, the default: one row per kecamatan and
holder, then the total; part=categories; part=cases for ROLES_TIPS), plain UTF-8 with a header row,
each cell made safe for spreadsheets; `format=excel` (BOM and `;`) or `format=xlsx` for Excel
(gateway/console/exports.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

import structlog
from aiohttp import web

from gateway import keys
from gateway.console import vocabulary
from gateway.console.auth import ROLES_ALL, ROLES_TIPS, SESSION_KEY, require, session_area
from gateway.console.charts import Bar, bar_chart
from gateway.console.exports import table_download
from gateway.console.params import query_choice, query_date, query_flag
from gateway.console.render import WIB, render
from gateway.console.texts import ct
from storage.coordination import (
    FIGURES,
    OUTCOMES,
    CaseLine,
    Figures,
    Period,
    SummaryRow,
    case_lines,
    summary,
)
from storage.regions import load_kecamatan
from ussd_menus.receipts import show_receipt

log = structlog.get_logger()
PURPOSE = "console: coordination export"
CASE_ROWS = 5000
PARTS = ("summary", "categories", "cases")


@dataclass(frozen=True, slots=True)
class Group:
    """One line of a summary table: its key, its label and its figures."""

    key: str
    label: str
    figures: Figures


def default_period(today: date) -> tuple[date, date]:
    """The previous calendar month: what the monthly meeting looks back on."""
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def by_kecamatan_and_holder(rows: Iterable[SummaryRow], nowhere: str) -> list[Group]:
    """The figures added up per kecamatan and holder, in the order the rows came."""
    groups: dict[tuple[str, str], Group] = {}
    for row in rows:
        key = (row.kecamatan_code or "", row.holder)
        label = row.kecamatan_name or nowhere
        seen = groups.get(key)
        groups[key] = Group(
            f"{key[0]}|{key[1]}", label, seen.figures + row.figures if seen else row.figures
        )
    return list(groups.values())


def by_category(rows: Iterable[SummaryRow], lang: str = "id") -> list[Group]:
    """The figures added up per category, each named in the residents' words."""
    totals: dict[str, Figures] = {}
    for row in rows:
        totals[row.category] = totals.get(row.category, Figures()) + row.figures
    return [Group(c, vocabulary.label("category", c, lang), totals[c]) for c in sorted(totals)]


def total(rows: Iterable[SummaryRow]) -> Figures:
    """Every row's figures added up."""
    figures = Figures()
    for row in rows:
        figures = figures + row.figures
    return figures


def _period(request: web.Request, kecamatan: Sequence[str]) -> Period:
    since, until = default_period(datetime.now(WIB).date())
    since = query_date(request, "from") or since
    until = query_date(request, "to") or until
    if until < since:
        since, until = until, since
    return Period(
        since, until, session_area(request), query_choice(request, "kecamatan", kecamatan)
    )


async def _context(request: web.Request) -> tuple[Period, list[SummaryRow], list[str]]:
    pool = request.app[keys.POOL]
    area = session_area(request)
    codes = [k.code for k in await load_kecamatan(pool) if area.kecamatan_code in (None, k.code)]
    period = _period(request, codes)
    return period, await summary(pool, period), codes


async def _cases(request: web.Request, period: Period) -> tuple[list[CaseLine], bool]:
    """The case list for roles that may read tips (else none), and whether it carries the text
    (asked for with text=1; every listed tip's read is then audited)."""
    user = request[SESSION_KEY].user
    if user.role not in ROLES_TIPS:
        return [], False
    with_text = query_flag(request, "text")
    reader = user.name if with_text else ""
    lines = await case_lines(
        request.app[keys.POOL], period, CASE_ROWS, reader=reader, purpose=PURPOSE
    )
    if with_text:
        log.info("console.coordination_text_read", user=user.name, tips=len(lines))
    return lines, with_text


def _query(period: Period, **extra: str) -> str:
    params = {
        "from": period.since.isoformat(),
        "to": period.until.isoformat(),
        "kecamatan": period.kecamatan or "",
        **extra,
    }
    return urlencode({k: v for k, v in params.items() if v})


@require(ROLES_ALL)
async def coordination_page(request: web.Request) -> web.Response:
    """GET /console/coordination: the period's summary, charts and (for ROLES_TIPS) cases."""
    lang = request[SESSION_KEY].lang
    period, rows, codes = await _context(request)
    cases, with_text = await _cases(request, period)
    names = {k.code: k.name for k in await load_kecamatan(request.app[keys.POOL])}
    groups = by_kecamatan_and_holder(rows, ct("no_kecamatan", lang))
    categories = by_category(rows, lang)
    overall = total(rows)
    per_kecamatan: dict[str, int] = {}
    for row in rows:
        label = row.kecamatan_name or ct("no_kecamatan", lang)
        per_kecamatan[label] = per_kecamatan.get(label, 0) + row.figures.new
    response = render(
        request,
        "coordination.html",
        period=period,
        kecamatan=[(c, names.get(c, c)) for c in codes],
        groups=groups,
        categories=categories,
        total=overall,
        figures=FIGURES,
        cases=cases,
        with_text=with_text,
        may_list=request[SESSION_KEY].user.role in ROLES_TIPS,
        limit=CASE_ROWS,
        show_receipt=show_receipt,
        csv_query=_query(period),
        new_chart=bar_chart(
            "chart-coord-new",
            ct("coord_chart_new", lang),
            [Bar(k, k, v) for k, v in per_kecamatan.items()],
        ),
        outcome_chart=bar_chart(
            "chart-coord-outcomes",
            ct("coord_chart_outcomes", lang),
            [
                Bar(o, vocabulary.label("case_status", o, lang), getattr(overall, o))
                for o in OUTCOMES
            ],
        ),
        category_chart=bar_chart(
            "chart-coord-categories",
            ct("coord_chart_categories", lang),
            [Bar(g.key, g.label, g.figures.new) for g in categories],
        ),
    )
    if with_text:
        response.headers["Cache-Control"] = "no-store"
    return response


def _figure_cells(figures: Figures) -> list[object]:
    return [getattr(figures, name) for name in FIGURES]


@require(ROLES_ALL)
async def coordination_csv(request: web.Request) -> web.Response:
    """GET /console/coordination.csv: the page's figures (or categories, or cases) as CSV."""
    lang = request[SESSION_KEY].lang
    part = query_choice(request, "part", PARTS) or "summary"
    period, rows, _ = await _context(request)
    table: list[list[object]]
    if part == "cases":
        if request[SESSION_KEY].user.role not in ROLES_TIPS:
            raise web.HTTPForbidden(text="forbidden")
        cases, with_text = await _cases(request, period)
        header = ["receipt", "created_at", "category", "kecamatan", "status", "holder"]
        header += ["description"] if with_text else []
        table = [
            [
                c.receipt,
                c.created_at.astimezone(WIB).isoformat(timespec="seconds"),
                c.category,
                c.kecamatan_name or "",
                c.status,
                c.holder,
                *([c.description or ""] if with_text else []),
            ]
            for c in cases
        ]
    elif part == "categories":
        header = ["category", *FIGURES]
        table = [[g.key, *_figure_cells(g.figures)] for g in by_category(rows)]
    else:
        header = ["kecamatan_code", "kecamatan", "holder", *FIGURES]
        table = [
            [g.key.split("|")[0], g.label, g.key.split("|", 1)[1], *_figure_cells(g.figures)]
            for g in by_kecamatan_and_holder(rows, ct("no_kecamatan", lang))
        ]
        table.append(["*", ct("total", lang), "", *_figure_cells(total(rows))])
    name = f"koordinasi-{part}-{period.since:%Y%m%d}-{period.until:%Y%m%d}"
    return table_download(request, header, table, name)


def setup_coordination(app: web.Application) -> None:
    """Register the coordination export."""
    app.router.add_get("/console/coordination", coordination_page)
    app.router.add_get("/console/coordination.csv", coordination_csv)
