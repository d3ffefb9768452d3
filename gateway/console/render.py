"""
Rendering console pages: one autoescaping jinja2 environment, and the values every page gets;
and CSV downloads.
"""

from __future__ import annotations

import csv
import io
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


def render(request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
    """A page, with the session's user, language, CSRF token and the string lookup `t`."""
    session = request.get(SESSION_KEY)
    lang = session.lang if session else "id"  # a session's language is id or en (a CHECK says so)
    html = _ENV.get_template(template).render(
        user=session.user if session else None,
        csrf=session.csrf_token if session else "",
        lang=lang,
        t=lambda key: ct(key, lang),
        v=lambda kind, code: label(kind, code, lang),  # a stored code's words (vocabulary.py)
        path=request.path,
        **values,
    )
    return web.Response(text=html, status=status, content_type="text/html")


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
