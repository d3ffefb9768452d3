"""
The charts page: inline SVG bar charts built here in Python, with no JavaScript and no external
assets: tips per kecamatan, cases by status (the counts operators may see), SMS delivery per day,
where USSD sessions ended (along the menu journeys) and the most-checked agency names the
registry did not know; each over a chosen period (7, 30 or 90 days) and with its numbers as a
table beside it. Drawings are narrow (horizontal bars, labels above them) so that a phone shows
them unscaled, text at 12 px (issue 17).

Labels can come from residents (a name typed into the agency check), so every text placed in an
SVG is escaped before the finished drawing is marked safe. Each bar carries its label and value
as data attributes and a <title>, so the numbers can be read (and tested) without the drawing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from aiohttp import web
from markupsafe import Markup, escape

from gateway import keys
from gateway.console import vocabulary
from gateway.console.auth import ROLES_ALL, SESSION_KEY, require, session_area
from gateway.console.params import query_choice
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
PERIODS = ("7", "30", "90")  # the period selector's choices, in days
WIDTH = 300  # a drawing's natural width: fits a 360 px screen unscaled (text stays 12 px)
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
    """Horizontal bars, one a row, each label above its bar and the value after it: narrow
    enough for a phone's screen (WIDTH) at its natural size, so text stays 12 px."""
    row, top, value_w = 32, 4, 44
    plot_w = WIDTH - value_w
    height = top * 2 + row * max(len(bars), 1)
    peak = max((b.value for b in bars), default=0) or 1
    parts = [_svg_open(chart_id, title, WIDTH, height)]
    for i, bar in enumerate(bars):
        y = top + i * row
        length = round(plot_w * bar.value / peak, 1)
        label, value = escape(bar.label), bar.value
        parts.append(
            f'<g class="bar" data-key="{escape(bar.key)}" data-label="{label}"'
            f' data-value="{value}"><title>{label}: {value}</title>'
            f'<text x="0" y="{y + 12}">{escape(_short(bar.label))}</text>'
            f'<rect x="0" y="{y + 16}" width="{length}" height="12" fill="{COLOURS["bar"]}"/>'
            f'<text x="{length + 4}" y="{y + 27}">{value}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped


def stacked_rows(
    chart_id: str, title: str, columns: Sequence[Column], series: Sequence[tuple[str, str]]
) -> Markup:
    """One row per day (or week), its values stacked left to right, the total after the bar;
    a legend above, one series a line. Rows, not columns: 30 days fit a phone's width."""
    row, label_w, value_w = 18, 44, 36
    legend_h = 18 * len(series) + 6
    plot_w = WIDTH - label_w - value_w
    height = legend_h + row * max(len(columns), 1) + 4
    peak = max((sum(c.values) for c in columns), default=0) or 1
    parts = [_svg_open(chart_id, title, WIDTH, height)]
    for n, (label, colour) in enumerate(series):
        y = 4 + 18 * n
        parts.append(
            f'<rect x="0" y="{y}" width="12" height="12" fill="{colour}"/>'
            f'<text x="18" y="{y + 11}">{escape(label)}</text>'
        )
    for i, column in enumerate(columns):
        y = legend_h + i * row
        summary = ", ".join(
            f"{name} {value}" for (name, _), value in zip(series, column.values, strict=True)
        )
        values = ",".join(str(v) for v in column.values)
        parts.append(
            f'<g class="column" data-key="{escape(column.key)}" data-values="{values}">'
            f"<title>{escape(column.key)}: {escape(summary)}</title>"
            f'<text x="0" y="{y + 13}">{escape(column.label)}</text>'
        )
        x = float(label_w)
        for (_, colour), value in zip(series, column.values, strict=True):
            w = round(plot_w * value / peak, 1)
            if value:
                parts.append(
                    f'<rect x="{round(x, 1)}" y="{y + 3}" width="{w}" height="12" fill="{colour}"/>'
                )
            x += w
        parts.append(f'<text x="{round(x, 1) + 4}" y="{y + 13}">{sum(column.values)}</text></g>')
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


def delivery_rows(today: date, days: int, by_day: dict[date, tuple[int, int, int]]) -> list[Column]:
    """One row a day up to a month; beyond, one a week (labelled with its first day)."""
    span = 1 if days <= 31 else 7
    shown = last_days(today, days)
    rows = []
    for start in range(0, len(shown), span):
        bucket = shown[start : start + span]
        totals = [by_day.get(d, (0, 0, 0)) for d in bucket]
        values = tuple(sum(t[k] for t in totals) for k in range(3))
        rows.append(Column(bucket[0].isoformat(), bucket[0].strftime("%d-%m"), values))
    return rows


@dataclass(frozen=True, slots=True)
class Chart:
    """One figure of the page: its drawing, and the same numbers as a table."""

    ident: str
    title: str
    caption: str
    drawing: Markup | None  # None: nothing to draw in the period
    header: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]


# The first column of each bar chart's numbers table.
FIRST_COLUMN = {
    "kecamatan": "kecamatan",
    "desa": "desa",
    "cases": "status",
    "funnel": "chart_step",
    "not-found": "name",
}


def _bars_chart(ident: str, title: str, caption: str, bars: Sequence[Bar], lang: str) -> Chart:
    drawing = bar_chart(f"chart-{ident}", title, bars)
    rows = tuple((b.label, b.value) for b in bars)
    header = (ct(FIRST_COLUMN[ident], lang), ct("chart_count", lang))
    return Chart(ident, title, caption, drawing, header, rows)


@require(ROLES_ALL)
async def charts_page(request: web.Request) -> web.Response:
    """GET /console/charts?days=7|30|90: the figures of the last days (30 unless chosen)."""
    pool = request.app[keys.POOL]
    lang = request[SESSION_KEY].lang
    area = session_area(request)
    days = int(query_choice(request, "days", PERIODS) or DAYS)
    today = datetime.now(WIB).date()
    since = datetime.combine(today - timedelta(days=days - 1), time(), WIB)
    kecamatan = await tips_per_kecamatan(pool, area, since)
    desa = await tips_per_desa(pool, area, since)
    cases = await cases_per_status(pool, area, since)
    by_day = {d.day: (d.delivered, d.failed, d.pending) for d in await delivery_per_day(pool, days)}
    funnel = await sessions_by_last_step(pool, since)
    not_found = await top_not_found(pool, TOP_NOT_FOUND, since)
    series = [(ct(key, lang), COLOURS[key]) for key in ("delivered", "failed", "pending")]
    columns = delivery_rows(today, days, by_day)
    shown = [
        _bars_chart(
            "kecamatan",
            ct("chart_kecamatan", lang),
            "",
            [Bar(k.key, k.label, k.count) for k in kecamatan],
            lang,
        )
    ]
    if desa:
        bars = [Bar(d.key, d.label, d.count) for d in desa]
        title = ct("chart_desa", lang)
        shown.append(_bars_chart("desa", title, ct("desa_caption", lang), bars, lang))
    bars = [Bar(s, vocabulary.label("case_status", s, lang), cases.get(s, 0)) for s in STATUSES]
    shown.append(
        _bars_chart("cases", ct("chart_cases", lang), ct("cases_caption", lang), bars, lang)
    )
    title = ct("chart_delivery", lang)
    shown.append(
        Chart(
            "delivery",
            title,
            "",
            stacked_rows("chart-delivery", title, columns, series) if by_day else None,
            (ct("date", lang), *(name for name, _ in series)),
            tuple((c.label, *c.values) for c in columns),
        )
    )
    checked = [Bar(c.key, c.label, c.count) for c in not_found]
    for ident, key, caption, bars, has_data in (
        ("funnel", "chart_funnel", "funnel_caption", funnel_order(funnel, lang), bool(funnel)),
        ("not-found", "chart_not_found", "not_found_caption", checked, bool(checked)),
    ):
        chart = _bars_chart(ident, ct(key, lang), ct(caption, lang), bars, lang)
        shown.append(chart if has_data else Chart(ident, chart.title, chart.caption, None, (), ()))
    return render(request, "charts.html", charts=shown, days=days, periods=PERIODS)


def setup_charts(app: web.Application) -> None:
    """Register the charts page."""
    app.router.add_get("/console/charts", charts_page)
