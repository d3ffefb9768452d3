"""
The agency (P3MI) registry: its record type, snapshot replacement and reads.

A registry import replaces the whole snapshot in one transaction and notifies REGISTRY_CHANNEL, so
every gateway process refreshes its in-memory search index within moments.
"""

from __future__ import annotations

import re
from dataclasses import astuple, dataclass, field
from datetime import date, datetime
from typing import Literal

import asyncpg

from storage.db import Conn, Queryable

Status = Literal["aktif", "dihentikan_sementara", "dicabut", "kedaluwarsa"]
STATUSES: tuple[Status, ...] = ("aktif", "dihentikan_sementara", "dicabut", "kedaluwarsa")
REGISTRY_CHANNEL = "registry_changed"
SERANG = "kabupaten serang"

_LICENCE_NOISE = re.compile(r"[\s.\-/]+")


def normalize_licence(raw: str) -> str:
    """Licence numbers compare without spaces, dots, dashes or slashes, case-insensitively."""
    return _LICENCE_NOISE.sub("", raw).upper()


@dataclass(frozen=True, slots=True)
class Agency:
    """One licensed (or formerly licensed) placement agency."""

    licence_number: str
    name: str
    status: Status
    status_since: date | None = None
    status_until: date | None = None
    valid_until: date | None = None
    head_office_city: str = ""
    head_office_province: str = ""
    branch_cities: tuple[str, ...] = ()
    destination_countries: tuple[str, ...] = ()
    job_types: tuple[str, ...] = ()
    source: str = ""
    snapshot_date: date | None = None
    is_sample: bool = field(default=False, compare=False)

    @property
    def has_serang_branch(self) -> bool:
        """True when a branch office is registered in Kabupaten Serang."""
        return any(city.casefold() == SERANG for city in self.branch_cities)

    def effective_status(self, today: date) -> Status:
        """The status a resident should be told: an active licence past its date has expired."""
        if self.status == "aktif" and self.valid_until is not None and self.valid_until < today:
            return "kedaluwarsa"
        return self.status


@dataclass(frozen=True, slots=True)
class RegistryDiff:
    """What an import changed, by agency name."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]


_COLUMNS = (
    "licence_number, name, status, status_since, status_until, valid_until, head_office_city,"
    " head_office_province, branch_cities, destination_countries, job_types, source,"
    " snapshot_date, is_sample"
)


def _from_record(r: asyncpg.Record) -> Agency:
    return Agency(
        licence_number=r["licence_number"],
        name=r["name"],
        status=r["status"],
        status_since=r["status_since"],
        status_until=r["status_until"],
        valid_until=r["valid_until"],
        head_office_city=r["head_office_city"],
        head_office_province=r["head_office_province"],
        branch_cities=tuple(r["branch_cities"]),
        destination_countries=tuple(r["destination_countries"]),
        job_types=tuple(r["job_types"]),
        source=r["source"],
        snapshot_date=r["snapshot_date"],
        is_sample=r["is_sample"],
    )


async def load_agencies(conn: Queryable) -> list[Agency]:
    """Every agency, ordered by name."""
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM agencies ORDER BY name, licence_number")
    return [_from_record(r) for r in rows]


async def registry_date(conn: Queryable) -> date | None:
    """The snapshot date of the registry in use (the last import's), None before any import."""
    found: date | None = await conn.fetchval(
        "SELECT snapshot_date FROM registry_imports ORDER BY id DESC LIMIT 1"
    )
    return found


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Where the registry in use came from: the last import's data date, file and time."""

    snapshot_date: date | None
    file_name: str
    imported_at: datetime


async def registry_snapshot(conn: Queryable) -> Snapshot | None:
    """The last import (the registry in use), None before any import."""
    row = await conn.fetchrow(
        "SELECT snapshot_date, file_name, imported_at FROM registry_imports"
        " ORDER BY id DESC LIMIT 1"
    )
    return Snapshot(**dict(row)) if row else None


def diff(old: list[Agency], new: list[Agency]) -> RegistryDiff:
    """Compare two snapshots by licence number."""
    before = {a.licence_number: a for a in old}
    after = {a.licence_number: a for a in new}
    return RegistryDiff(
        added=tuple(a.name for k, a in after.items() if k not in before),
        changed=tuple(a.name for k, a in after.items() if k in before and before[k] != a),
        removed=tuple(a.name for k, a in before.items() if k not in after),
    )


async def replace_registry(conn: Conn, agencies: list[Agency], file_name: str) -> RegistryDiff:
    """Replace the whole registry with a new snapshot, atomically, and tell every gateway."""
    async with conn.transaction():
        # Serialise concurrent imports so each diff is computed against what it replaces.
        await conn.execute("LOCK TABLE agencies IN SHARE ROW EXCLUSIVE MODE")
        changes = diff(await load_agencies(conn), agencies)
        await conn.execute("DELETE FROM agencies")
        await conn.copy_records_to_table(
            "agencies",
            records=[_to_row(a) for a in agencies],
            columns=[c.strip() for c in _COLUMNS.split(",")],
        )
        snapshots = [a.snapshot_date for a in agencies if a.snapshot_date]
        await conn.execute(
            "INSERT INTO registry_imports"
            " (file_name, snapshot_date, total, added, changed, removed)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            file_name,
            max(snapshots) if snapshots else None,
            len(agencies),
            len(changes.added),
            len(changes.changed),
            len(changes.removed),
        )
        await conn.execute("SELECT pg_notify($1, '')", REGISTRY_CHANNEL)
    return changes


def _to_row(a: Agency) -> tuple[object, ...]:
    row = astuple(a)
    return tuple(list(v) if isinstance(v, tuple) else v for v in row)
