"""
The registry CSV format: parsing with full validation, and writing.

Every row is checked before anything is returned, and every problem is reported by line and field,
so an operator fixes a file in one pass. Columns may come in any order; unknown or missing ones are
named. List fields are ';'-separated, dates YYYY-MM-DD, blank means unknown.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date
from typing import cast

from storage.errors import CsvProblem, InvalidCsv
from storage.registry import STATUSES, Agency, Status, normalize_licence

REQUIRED = (
    "licence_number",
    "name",
    "status",
    "status_since",
    "valid_until",
    "head_office_city",
    "head_office_province",
    "branch_cities",
    "destination_countries",
    "job_types",
    "source",
    "snapshot_date",
)
# The end of a temporary suspension has no column in the official layout; accept it when present.
OPTIONAL = ("status_until",)
_DATES = ("status_since", "status_until", "valid_until", "snapshot_date")
_LISTS = ("branch_cities", "destination_countries", "job_types")
_MAX_TEXT = 200


def parse_agencies(text: str) -> list[Agency]:
    """Parse and validate a registry CSV; raises InvalidCsv listing every problem."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    problems = _check_header(header)
    if problems:
        raise InvalidCsv(problems)
    reader.fieldnames = header
    agencies: list[Agency] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if None in row:
            problems.append(CsvProblem(line, "", "more fields than the header"))
            continue
        agency, row_problems = _parse_row(row, line)
        problems.extend(row_problems)
        if agency is None:
            continue
        if agency.licence_number in seen:
            message = f"duplicate of line {seen[agency.licence_number]}"
            problems.append(CsvProblem(line, "licence_number", message))
        seen.setdefault(agency.licence_number, line)
        agencies.append(agency)
    if not agencies and not problems:
        problems.append(CsvProblem(1, "", "no rows"))
    if problems:
        raise InvalidCsv(problems)
    return agencies


def _check_header(header: list[str]) -> list[CsvProblem]:
    problems = [CsvProblem(1, name, "missing column") for name in REQUIRED if name not in header]
    problems += [
        CsvProblem(1, name, "unknown column") for name in header if name not in REQUIRED + OPTIONAL
    ]
    problems += [
        CsvProblem(1, name, "column appears twice")
        for name in sorted(set(header))
        if header.count(name) > 1
    ]
    return problems


def _parse_row(row: dict[str, str], line: int) -> tuple[Agency | None, list[CsvProblem]]:
    problems: list[CsvProblem] = []

    def bad(column: str, message: str) -> None:
        problems.append(CsvProblem(line, column, message))

    values = {k: (v or "").strip() for k, v in row.items()}
    for column, value in values.items():
        if len(value) > _MAX_TEXT and column not in _LISTS:
            bad(column, f"longer than {_MAX_TEXT} characters")
    licence = normalize_licence(values["licence_number"])
    if not licence:
        bad("licence_number", "required")
    elif not licence.isascii() or not licence.isalnum():
        bad("licence_number", "only letters and digits (spaces, dots and dashes are ignored)")
    if not values["name"]:
        bad("name", "required")
    status = values["status"].lower()
    if status not in STATUSES:
        bad("status", f"must be one of {', '.join(STATUSES)}")
    dates: dict[str, date | None] = {}
    for column in _DATES:
        raw = values.get(column, "")
        try:
            dates[column] = date.fromisoformat(raw) if raw else None
        except ValueError:
            bad(column, f"not a date in YYYY-MM-DD form: {raw!r}")
            dates[column] = None
    if status in ("dihentikan_sementara", "dicabut") and not values["status_since"]:
        bad("status_since", f"required when status is {status}")
    since, until = dates["status_since"], dates["status_until"]
    if since and until and until < since:
        bad("status_until", "before status_since")
    if problems:
        return None, problems
    return (
        Agency(
            licence_number=licence,
            name=" ".join(values["name"].split()),
            status=cast(Status, status),
            status_since=since,
            status_until=until,
            valid_until=dates["valid_until"],
            head_office_city=values["head_office_city"],
            head_office_province=values["head_office_province"],
            branch_cities=_split(values["branch_cities"]),
            destination_countries=_split(values["destination_countries"]),
            job_types=_split(values["job_types"]),
            source=values["source"],
            snapshot_date=dates["snapshot_date"],
        ),
        [],
    )


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(";") if part.strip())


def format_agencies(agencies: Iterable[Agency]) -> str:
    """Write agencies in the import format (with status_until), so an export imports unchanged."""
    out = io.StringIO()
    columns = [*REQUIRED[:4], "status_until", *REQUIRED[4:]]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for a in agencies:
        values = {
            "licence_number": a.licence_number,
            "name": a.name,
            "status": a.status,
            "source": a.source,
            "head_office_city": a.head_office_city,
            "head_office_province": a.head_office_province,
        }
        for column in _DATES:
            day: date | None = getattr(a, column)
            values[column] = day.isoformat() if day else ""
        for column in _LISTS:
            values[column] = ";".join(getattr(a, column))
        writer.writerow([values[c] for c in columns])
    return out.getvalue()
