"""
Job orders as data: which licensed agency may recruit for which country and job, how many, until
when. A P3MI may recruit only with a recruitment permit per job order (UU 18/2017 Pasal 59, fact
`sip2mi`); Disnakertrans/BP3MI publish them, an admin imports them.

The file format (CSV, columns in any order): licence_number, country, job, quota, valid_until,
source, data_date. Countries and jobs are written as people write them ("Arab Saudi", "KSA",
"Hongkong"; "PLRT", "ABK") and resolved by ussd_menus.destinations; every problem is reported by
line and field, like the registry's (storage/csv_files.py). An import replaces every job order
in one transaction, recorded in job_order_imports with the file's data date, and tells every
gateway process (the registry's channel: the agency index holds the job orders too).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import asyncpg

from storage.csv_files import DATE_HELP, parse_csv, parse_date, write_csv
from storage.db import Conn, Queryable
from storage.errors import CsvProblem
from storage.registry import REGISTRY_CHANNEL, RegistryDiff, changed_fields, normalize_licence
from storage.registry_csv import licence_problem
from ussd_menus import destinations

REQUIRED = ("licence_number", "country", "job", "valid_until", "source", "data_date")
OPTIONAL = ("quota",)
_MAX_TEXT = 200
_MAX_QUOTA = 1_000_000
_COMPARED = ("valid_until", "source", "data_date", "quota")


@dataclass(frozen=True, slots=True)
class JobOrder:
    """One job order: an agency (normalised licence number) may recruit for a job in a country."""

    licence_number: str
    country_code: str
    job_kind: str
    valid_until: date
    source: str
    data_date: date
    quota: int | None = None
    is_sample: bool = field(default=False, compare=False)

    @property
    def key(self) -> str:
        """What makes a job order one: agency, country and job."""
        return f"{self.licence_number}/{self.country_code}/{self.job_kind}"

    def label(self) -> str:
        """The order as the import preview names it."""
        return f"{self.licence_number} {self.country_code} {self.job_kind}"


def parse_job_orders(text: str) -> list[JobOrder]:
    """Parse and validate a job-order CSV; raises InvalidCsv listing every problem by line."""
    return parse_csv(text, REQUIRED, OPTIONAL, _parse_row, lambda o: o.key, "licence_number")


def _parse_row(row: dict[str, str], line: int) -> tuple[JobOrder | None, list[CsvProblem]]:
    problems: list[CsvProblem] = []

    def bad(column: str, message: str) -> None:
        problems.append(CsvProblem(line, column, message))

    for column, value in row.items():
        if len(value) > _MAX_TEXT:
            bad(column, f"longer than {_MAX_TEXT} characters")
    licence = normalize_licence(row["licence_number"])
    if problem := licence_problem(licence):
        bad("licence_number", problem)
    country = destinations.country(row["country"]) if len(row["country"]) <= _MAX_TEXT else None
    if country is None:
        bad("country", f"unknown country {row['country'][:40]!r}")
    job = destinations.job(row["job"]) if len(row["job"]) <= _MAX_TEXT else None
    if job is None:
        keys = ", ".join(j.key for j in destinations.active().jobs)
        bad("job", f"unknown job {row['job'][:40]!r} (one of {keys}, or their Indonesian names)")
    quota: int | None = None
    raw_quota = row.get("quota", "")
    if raw_quota:
        if not raw_quota.isdigit() or int(raw_quota) > _MAX_QUOTA:
            bad("quota", f"not a whole number of workers: {raw_quota[:20]!r}")
        else:
            quota = int(raw_quota)
    dates: dict[str, date | None] = {}
    for column in ("valid_until", "data_date"):
        raw = row[column]
        try:
            dates[column] = parse_date(raw) if raw else None
        except ValueError:
            bad(column, f"{DATE_HELP}: {raw[:20]!r}")
            dates[column] = None
        if not raw:
            bad(column, "required")
    if not row["source"]:
        bad("source", "required: who published this job order")
    valid_until, data_date = dates["valid_until"], dates["data_date"]
    if problems or country is None or job is None or valid_until is None or data_date is None:
        return None, problems
    order = JobOrder(
        licence, country.code, job.key, valid_until, row["source"], data_date, quota=quota
    )
    return order, []


def format_job_orders(orders: Iterable[JobOrder]) -> str:
    """The job orders in the import format (codes and keys: they import unchanged)."""
    columns = [*REQUIRED[:3], "quota", *REQUIRED[3:]]
    rows = [
        {
            "licence_number": o.licence_number,
            "country": o.country_code,
            "job": o.job_kind,
            "quota": "" if o.quota is None else str(o.quota),
            "valid_until": o.valid_until.isoformat(),
            "source": o.source,
            "data_date": o.data_date.isoformat(),
        }
        for o in orders
    ]
    return write_csv(columns, rows)


_COLUMNS = (
    "licence_number, country_code, job_kind, valid_until, source, data_date, quota, is_sample"
)


def _from_record(r: asyncpg.Record) -> JobOrder:
    return JobOrder(**dict(r))


async def load_job_orders(conn: Queryable) -> list[JobOrder]:
    """Every job order, by agency, country and job."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM job_orders ORDER BY licence_number, country_code, job_kind"
    )
    return [_from_record(r) for r in rows]


async def job_orders_date(conn: Queryable) -> date | None:
    """The data date of the job orders in use (the last import's), None before any import."""
    found: date | None = await conn.fetchval(
        "SELECT data_date FROM job_order_imports ORDER BY id DESC LIMIT 1"
    )
    return found


def diff(old: list[JobOrder], new: list[JobOrder]) -> RegistryDiff:
    """What an import adds, changes and removes, by agency, country and job."""
    before = {o.key: o for o in old}
    after = {o.key: o for o in new}
    changed = [(before[k], o) for k, o in after.items() if k in before and before[k] != o]
    return RegistryDiff(
        added=tuple(o.label() for k, o in after.items() if k not in before),
        changed=tuple(o.label() for _, o in changed),
        removed=tuple(o.label() for k, o in before.items() if k not in after),
        changed_fields=tuple(changed_fields(a, b, _COMPARED) for a, b in changed),
        before=len(old),
    )


async def replace_job_orders(
    conn: Conn, orders: list[JobOrder], file_name: str, *, sample: bool = False
) -> RegistryDiff:
    """Replace every job order with the file's, atomically."""
    async with conn.transaction():
        await conn.execute("LOCK TABLE job_orders IN SHARE ROW EXCLUSIVE MODE")
        changes = diff(await load_job_orders(conn), orders)
        dates = [o.data_date for o in orders]
        import_id = await conn.fetchval(
            "INSERT INTO job_order_imports (file_name, data_date, total) VALUES ($1, $2, $3)"
            " RETURNING id",
            file_name[:200],
            max(dates) if dates else None,
            len(orders),
        )
        await conn.execute("DELETE FROM job_orders")
        await conn.copy_records_to_table(
            "job_orders",
            records=[
                (
                    o.licence_number,
                    o.country_code,
                    o.job_kind,
                    o.valid_until,
                    o.source,
                    o.data_date,
                    o.quota,
                    sample or o.is_sample,
                    import_id,
                )
                for o in orders
            ],
            columns=[*(c.strip() for c in _COLUMNS.split(",")), "import_id"],
        )
        await conn.execute("SELECT pg_notify($1, '')", REGISTRY_CHANNEL)
    return changes
