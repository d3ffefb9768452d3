"""
Downloads of console tables in the forms district offices open them in: plain CSV (UTF-8, `,`,
what scripts read), Excel-friendly CSV (a UTF-8 BOM and `;`, which Excel with Indonesian settings
opens in columns with the letters right) and XLSX (xlsxwriter). The `format` query parameter picks
one (csv when absent or unknown), so every export's link takes the same choice.

Every cell is made safe to open in a spreadsheet: in CSV a value that would start a formula gets a
quote first (storage.csv_files.csv_cell); in XLSX every text is written as a string cell, never a
formula, and numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

import xlsxwriter
from aiohttp import web

from storage.csv_files import csv_cell

FORMATS = ("csv", "excel", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"


def export_format(request: web.Request) -> str:
    """The format the link asked for, csv by default."""
    wanted = request.query.get("format", "")
    return wanted if wanted in FORMATS else "csv"


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]], *, excel: bool) -> str:
    """The table as CSV: CRLF lines; for Excel a BOM first and `;` between cells."""
    out = io.StringIO()
    if excel:
        out.write(BOM)
    writer = csv.writer(out, delimiter=";" if excel else ",", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return out.getvalue()


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[object]], sheet: str) -> bytes:
    """The table as an XLSX workbook of one sheet, the header row bold and frozen."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    page = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True})
    for column, name in enumerate(header):
        page.write_string(0, column, name, bold)
    for line, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if isinstance(value, int | float) and not isinstance(value, bool):
                page.write_number(line, column, value)
            else:
                page.write_string(line, column, "" if value is None else str(value))
    page.freeze_panes(1, 0)
    book.close()
    return out.getvalue()


def table_download(
    request: web.Request, header: Sequence[str], rows: Iterable[Sequence[object]], basename: str
) -> web.Response:
    """The table as an attachment named `basename` plus the format's extension."""
    fmt = export_format(request)
    if fmt == "xlsx":
        return web.Response(
            body=xlsx_bytes(header, rows, basename),
            content_type=XLSX_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{basename}.xlsx"'},
        )
    return web.Response(
        text=csv_text(header, rows, excel=fmt == "excel"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{basename}.csv"'},
    )
