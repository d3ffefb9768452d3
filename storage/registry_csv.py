"""
The registry CSV format: parsing with full validation, and writing.

Every row is checked before anything is returned, and every problem is reported by line and field,
so an operator fixes a file in one pass. Columns may come in any order; unknown or missing ones are
named. List fields are ';'-separated, dates YYYY-MM-DD, blank means unknown.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import cast

from storage.csv_files import DATE_HELP, parse_csv, parse_date, split_list, write_csv
from storage.errors import CsvProblem
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
    return parse_csv(
        text, REQUIRED, OPTIONAL, _parse_row, lambda a: a.licence_number, "licence_number"
    )


def licence_problem(licence: str) -> str | None:
    """What is wrong with a (normalised) licence number in an imported file, if anything."""
    if not licence:
        return "required"
    if not licence.isascii() or not licence.isalnum():
        return "only letters and digits (spaces, dots and dashes are ignored)"
    return None


def _parse_row(row: dict[str, str], line: int) -> tuple[Agency | None, list[CsvProblem]]:
    problems: list[CsvProblem] = []

    def bad(column: str, message: str) -> None:
        problems.append(CsvProblem(line, column, message))

    values = row
    for column, value in values.items():
        if len(value) > _MAX_TEXT and column not in _LISTS:
            bad(column, f"longer than {_MAX_TEXT} characters")
    licence = normalize_licence(values["licence_number"])
    if problem := licence_problem(licence):
        bad("licence_number", problem)
    if not values["name"]:
        bad("name", "required")
    status = values["status"].lower()
    if status not in STATUSES:
        bad("status", f"must be one of {', '.join(STATUSES)}")
    dates: dict[str, date | None] = {}
    for column in _DATES:
        raw = values.get(column, "")
        try:
            dates[column] = parse_date(raw) if raw else None
        except ValueError:
            bad(column, f"{DATE_HELP}: {raw!r}")
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
            branch_cities=split_list(values["branch_cities"]),
            destination_countries=split_list(values["destination_countries"]),
            job_types=split_list(values["job_types"]),
            source=values["source"],
            snapshot_date=dates["snapshot_date"],
        ),
        [],
    )


def format_agencies(agencies: Iterable[Agency]) -> str:
    """Write agencies in the import format (with status_until), so an export imports unchanged;
    a cell that would start a formula gets a leading quote, which the import reads back off."""
    columns = [*REQUIRED[:4], "status_until", *REQUIRED[4:]]
    rows = []
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
        rows.append(values)
    return write_csv(columns, rows)
