"""
What every CSV import shares: header checks, row reading, duplicate keys, one report of every
problem. Each format (registry, officials) parses its own fields on top of this.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import TypeVar

from storage.errors import CsvProblem, InvalidCsv

T = TypeVar("T")
RowParser = Callable[[dict[str, str], int], tuple[T | None, list[CsvProblem]]]


def parse_csv(
    text: str,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    parse_row: RowParser[T],
    key: Callable[[T], str],
    key_field: str,
) -> list[T]:
    """Parse every row; raises InvalidCsv listing every problem (line 1 is the header)."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    problems = check_header(header, required, optional)
    if problems:
        raise InvalidCsv(problems)
    reader.fieldnames = header
    items: list[T] = []
    seen: dict[str, int] = {}
    for line, row in _rows(reader):
        if None in row:
            problems.append(CsvProblem(line, "", "more fields than the header"))
            continue
        item, row_problems = parse_row({k: (v or "").strip() for k, v in row.items()}, line)
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


def write_csv(columns: list[str], rows: list[dict[str, str]]) -> str:
    """Rows as CSV text with a header."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row[c] for c in columns])
    return out.getvalue()
