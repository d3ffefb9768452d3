"""
Rendering console pages: one autoescaping jinja2 environment, and the values every page gets;
and CSV downloads.

Every table with a header row leaves here with each data cell labelled by its column
(`data-label`; nothing else in the markup changes): on a phone-sized screen the stylesheet stacks
such a table's rows into cards, each value beside its label, without script and without touching
each template (issue 17).
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any

import jinja2
from aiohttp import web

from gateway.console.auth import SESSION_KEY
from gateway.console.texts import ct
from gateway.console.vocabulary import label
from storage.csv_files import csv_cell

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("gateway.console", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
WIB = timezone(timedelta(hours=7), "WIB")  # Kabupaten Serang's time


def when(value: datetime | date | None) -> str:
    """A moment in Serang's time ('2026-11-30 08:05 WIB'), a day as ISO (yyyy-mm-dd, the format
    of the date inputs too), nothing as '-'."""
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.astimezone(WIB).strftime("%Y-%m-%d %H:%M WIB")
    return value.isoformat()


_ENV.filters["when"] = when

_TABLE = re.compile(r"<table\b([^>]*)>(.*?)</table>", re.S)
_ROW = re.compile(r"<tr\b([^>]*)>(.*?)</tr>", re.S)
_CELL = re.compile(r"<(td|th)\b([^>]*)>(.*?)</\1>", re.S)
_COLSPAN = re.compile(r'colspan="(\d+)"')
_TAG = re.compile(r"<[^>]+>")


def _span(attributes: str) -> int:
    found = _COLSPAN.search(attributes)
    return int(found.group(1)) if found else 1


def _header(row: str) -> list[str] | None:
    """A row of header cells only: each column's label (repeated over a colspan); else None."""
    cells = _CELL.findall(row)
    if len(cells) < 2 or any(tag != "th" for tag, _, _ in cells):
        return None
    labels: list[str] = []
    for _, attributes, content in cells:
        text = " ".join(html.unescape(_TAG.sub(" ", content)).split())
        labels += [text] * _span(attributes)
    return labels


def _label_row(row: re.Match[str], labels: list[str]) -> str:
    column = 0

    def cell(found: re.Match[str]) -> str:
        nonlocal column
        tag, attributes, content = found.groups()
        label = labels[column] if column < len(labels) else ""
        column += _span(attributes)
        if tag == "th" or not label or "data-label=" in attributes:
            return found.group(0)
        return f'<td{attributes} data-label="{html.escape(label)}">{content}</td>'

    return f"<tr{row.group(1)}>{_CELL.sub(cell, row.group(2))}</tr>"


def _label_table(table: re.Match[str]) -> str:
    attributes, body = table.groups()
    labels = None
    for row in _ROW.finditer(body):
        labels = _header(row.group(2))
        if labels is not None:
            break
        if "<td" in row.group(2):
            return table.group(0)  # a data row before any header: a key-value table
    if labels is None:
        return table.group(0)
    rows = _ROW.sub(lambda r: _label_row(r, labels), body)
    return f"<table{attributes}>{rows}</table>"


def label_cells(page: str) -> str:
    """Every data cell of a table with a header row gets its column's label (see the module)."""
    return _TABLE.sub(_label_table, page)


def render(request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
    """A page, with the session's user, language, CSRF token and the string lookup `t`."""
    session = request.get(SESSION_KEY)
    lang = session.lang if session else "id"  # a session's language is id or en (a CHECK says so)
    page = _ENV.get_template(template).render(
        user=session.user if session else None,
        csrf=session.csrf_token if session else "",
        lang=lang,
        t=lambda key: ct(key, lang),
        v=lambda kind, code: label(kind, code, lang),  # a stored code's words (vocabulary.py)
        path=request.path,
        **values,
    )
    return web.Response(text=label_cells(page), status=status, content_type="text/html")


def csv_download(
    header: Sequence[str], rows: Iterable[Sequence[object]], filename: str
) -> web.Response:
    """A CSV attachment: plain UTF-8, a header row, CRLF lines, and every cell made safe to open
    in a spreadsheet (storage.csv_files.csv_cell)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return web.Response(
        text=out.getvalue(),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
