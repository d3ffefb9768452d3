"""
The charts page: inline SVG bar charts built here in Python, with no JavaScript and no external
assets: tips per kecamatan, cases by status (the counts operators may see), SMS delivery per day,
where USSD sessions ended (along the menu journeys) and the most-checked agency names the
registry did not know.

Labels can come from residents (a name typed into the agency check), so every text placed in an
SVG is escaped before the finished drawing is marked safe. Each bar carries its label and value
as data attributes and a <title>, so the numbers can be read (and tested) without the drawing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from aiohttp import web
from markupsafe import Markup, escape

from gateway import keys
from gateway.console import vocabulary
from gateway.console.auth import ROLES_ALL, SESSION_KEY, require, session_area
from gateway.console.render import WIB, render
from gateway.console.texts import ct
from storage.reads import (
    cases_per_status,
    delivery_per_day,
    sessions_by_last_step,
    tips_per_desa,
    tips_per_kecamatan,
    top_not_found,
)
from ussd_menus.cases import STATUSES

DAYS = 30
TOP_NOT_FOUND = 15
# The menu steps in the order a caller meets them: the agency check, a report, a status check,
# then the rest. Steps recorded but not listed here (a renamed node, 'unknown') come last.
JOURNEY = (
    "main",
    "lang",
    "check",
    "check_list",
    "check_detail",
    "check_none",
    "report",
    "report_cat",
    "report_danger",
    "report_kec",
    "report_kec_ok",
    "report_kec_pick",
    "report_desa",
    "report_desa_ok",
    "report_desa_pick",
    "report_agency",
    "report_agency_pick",
    "report_desc",
    "report_confirm",
    "report_done",
    "report_bye",
    "report_sms",
    "status",
    "status_view",
    "status_answer",
    "status_answered",
    "info",
    "info_page",
    "exit",
)
COLOURS = {"bar": "#0b5345", "delivered": "#11703c", "failed": "#a10f0f", "pending": "#c48a00"}
LABEL_CHARS = 30


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of a horizontal bar chart."""

    key: str
    label: str
    value: int


@dataclass(frozen=True, slots=True)
class Column:
    """One stacked column: a label and a value per series."""

    key: str
    label: str
    values: tuple[int, ...]


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar]) -> Markup:
    """Horizontal bars, one a row: the label on the left, the value after the bar."""
    row, top, label_w, plot_w, value_w = 22, 6, 210, 420, 50
    width, height = label_w + plot_w + value_w, top * 2 + row * max(len(bars), 1)
    peak = max((b.value for b in bars), default=0) or 1
    parts = [_svg_open(chart_id, title, width, height)]
    for i, bar in enumerate(bars):
        y = top + i * row
        length = round(plot_w * bar.value / peak, 1)
        label, value = escape(bar.label), bar.value
        parts.append(
            f'<g class="bar" data-key="{escape(bar.key)}" data-label="{label}"'
            f' data-value="{value}"><title>{label}: {value}</title>'
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(_short(bar.label))}'
            f'</text><rect x="{label_w}" y="{y + 3}" width="{length}" height="{row - 6}"'
            f' fill="{COLOURS["bar"]}"/>'
            f'<text x="{label_w + length + 4}" y="{y + 15}">{value}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped


def stacked_columns(
    chart_id: str, title: str, columns: Sequence[Column], series: Sequence[tuple[str, str]]
) -> Markup:
    """Vertical stacked columns with a legend; `series` is (label, colour) per value."""
    left, top, plot_h, col_w, legend_h = 36, 26, 180, 22, 0
    width = left + col_w * max(len(columns), 1) + 8
    height = top + plot_h + 34 + legend_h
    peak = max((sum(c.values) for c in columns), default=0) or 1
    parts = [_svg_open(chart_id, title, width, height)]
    x = left
    for label, colour in series:
        parts.append(
            f'<rect x="{x}" y="4" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 16}" y="15">{escape(label)}</text>'
        )
        x += 30 + 8 * len(label)
    parts.append(
        f'<text x="{left - 4}" y="{top + 10}" text-anchor="end">{peak}</text>'
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end">0</text>'
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 8}" y2="{top + plot_h}"'
        ' stroke="#8c8f94"/>'
    )
    for i, column in enumerate(columns):
        x = left + i * col_w
        summary = ", ".join(
            f"{name} {value}" for (name, _), value in zip(series, column.values, strict=True)
        )
        values = ",".join(str(v) for v in column.values)
        parts.append(
            f'<g class="column" data-key="{escape(column.key)}" data-values="{values}">'
            f"<title>{escape(column.key)}: {escape(summary)}</title>"
        )
        base = float(top + plot_h)
        for (_, colour), value in zip(series, column.values, strict=True):
            h = round(plot_h * value / peak, 1)
            base -= h
            if value:
                parts.append(
                    f'<rect x="{x + 2}" y="{round(base, 1)}" width="{col_w - 4}" height="{h}"'
                    f' fill="{colour}"/>'
                )
        if i % 5 == 0 or i == len(columns) - 1:
            parts.append(
                f'<text x="{x + col_w / 2}" y="{top + plot_h + 16}" text-anchor="middle"'
                f' font-size="10">{escape(column.label)}</text>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped


def _svg_open(chart_id: str, title: str, width: int, height: int) -> str:
    ident = escape(chart_id)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{ident}" class="chart" role="img"'
        f' viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' aria-labelledby="{ident}-title" font-family="system-ui, sans-serif" font-size="12">'
        f'<title id="{ident}-title">{escape(title)}</title>'
    )


def funnel_order(counts: dict[str, int], lang: str) -> list[Bar]:
    """Every journey step (zero included) in order, then any other step that was recorded;
    each named in words (vocabulary.py), never by its node name."""
    steps = list(JOURNEY) + sorted(s for s in counts if s not in JOURNEY)
    return [Bar(step, vocabulary.label("step", step, lang), counts.get(step, 0)) for step in steps]


def last_days(today: date, days: int) -> list[date]:
    """The `days` days up to today, oldest first."""
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]


@require(ROLES_ALL)
async def charts_page(request: web.Request) -> web.Response:
    """GET /console/charts."""
    pool = request.app[keys.POOL]
    lang = request[SESSION_KEY].lang
    area = session_area(request)
    kecamatan = await tips_per_kecamatan(pool, area)
    desa = await tips_per_desa(pool, area)
    cases = await cases_per_status(pool, area)
    by_day = {d.day: d for d in await delivery_per_day(pool, DAYS)}
    funnel = await sessions_by_last_step(pool)
    not_found = await top_not_found(pool, TOP_NOT_FOUND)
    columns = []
    for day in last_days(datetime.now(WIB).date(), DAYS):
        seen = by_day.get(day)
        values = (seen.delivered, seen.failed, seen.pending) if seen else (0, 0, 0)
        columns.append(Column(day.isoformat(), day.strftime("%d-%m"), values))
    series = [(ct(key, lang), COLOURS[key]) for key in ("delivered", "failed", "pending")]
    return render(
        request,
        "charts.html",
        kecamatan_chart=bar_chart(
            "chart-kecamatan",
            ct("chart_kecamatan", lang),
            [Bar(k.key, k.label, k.count) for k in kecamatan],
        ),
        desa_chart=bar_chart(
            "chart-desa", ct("chart_desa", lang), [Bar(d.key, d.label, d.count) for d in desa]
        ),
        has_desa=bool(desa),
        cases_chart=bar_chart(
            "chart-cases",
            ct("chart_cases", lang),
            [Bar(s, vocabulary.label("case_status", s, lang), cases.get(s, 0)) for s in STATUSES],
        ),
        delivery_chart=stacked_columns(
            "chart-delivery", ct("chart_delivery", lang), columns, series
        ),
        has_delivery=bool(by_day),
        funnel_chart=bar_chart(
            "chart-funnel", ct("chart_funnel", lang), funnel_order(funnel, lang)
        ),
        has_funnel=bool(funnel),
        not_found_chart=bar_chart(
            "chart-not-found",
            ct("chart_not_found", lang),
            [Bar(c.key, c.label, c.count) for c in not_found],
        ),
        has_not_found=bool(not_found),
    )


def setup_charts(app: web.Application) -> None:
    """Register the charts page."""
    app.router.add_get("/console/charts", charts_page)
