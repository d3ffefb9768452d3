"""
The agency (P3MI) registry: its record type, snapshot replacement and reads.

A registry import replaces the whole snapshot in one transaction and notifies REGISTRY_CHANNEL, so
every gateway process refreshes its in-memory search index within moments. An import is a full
snapshot from the source ("replace": agencies missing from it go) or an update of some rows
("update": it adds and changes, never removes). A snapshot that would remove more than
REMOVAL_LIMIT of the registry is refused unless the caller says it means it (a 3-row file must not
wipe the list residents check against). Every import keeps the registry it replaced, with who and
when, and rollback_registry restores it.

Agency.effective_status is the one place a licence's state is computed: the console, the API, USSD
and SMS all read it, so an `aktif` row past its end date is expired everywhere.
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
Mode = Literal["replace", "update"]
MODES: tuple[Mode, ...] = ("replace", "update")
# A snapshot removing more than this share of the registry needs an explicit yes.
REMOVAL_LIMIT = 0.10
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
    """What an import changed, by agency name (two diffs are equal when their names are);
    changed_fields says, for each changed one in order, which fields changed (comma-separated),
    and before how many rows there were."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    changed_fields: tuple[str, ...] = field(default=(), compare=False)
    before: int = field(default=0, compare=False)

    @property
    def removes_too_many(self) -> bool:
        """Whether more than REMOVAL_LIMIT of what was there would go."""
        return bool(self.removed) and len(self.removed) > REMOVAL_LIMIT * self.before


class TooManyRemoved(Exception):
    """A full snapshot would remove more than REMOVAL_LIMIT of the registry and nobody said
    they meant it; nothing was changed."""

    def __init__(self, changes: RegistryDiff) -> None:
        super().__init__(f"would remove {len(changes.removed)} of {changes.before}")
        self.changes = changes


@dataclass(frozen=True, slots=True)
class RolledBack:
    """A rollback: the import it undid and what restoring the registry before it changed."""

    import_id: int
    file_name: str
    changes: RegistryDiff


def changed_fields(before: object, after: object, fields: tuple[str, ...]) -> str:
    """The names of the fields that differ between two records, comma-separated."""
    return ", ".join(f for f in fields if getattr(before, f) != getattr(after, f))


_COMPARED = (
    "name",
    "status",
    "status_since",
    "status_until",
    "valid_until",
    "head_office_city",
    "head_office_province",
    "branch_cities",
    "destination_countries",
    "job_types",
    "source",
    "snapshot_date",
)


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
        "SELECT snapshot_date FROM registry_imports WHERE rolled_back_at IS NULL"
        " ORDER BY id DESC LIMIT 1"
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
    changed = [(before[k], a) for k, a in after.items() if k in before and before[k] != a]
    return RegistryDiff(
        added=tuple(a.name for k, a in after.items() if k not in before),
        changed=tuple(a.name for _, a in changed),
        removed=tuple(a.name for k, a in before.items() if k not in after),
        changed_fields=tuple(changed_fields(old, new, _COMPARED) for old, new in changed),
        before=len(old),
    )


def merge(current: list[Agency], rows: list[Agency]) -> list[Agency]:
    """An update: the file's rows added or replacing theirs, every other agency kept."""
    merged = {a.licence_number: a for a in current}
    merged.update((a.licence_number, a) for a in rows)
    return list(merged.values())


async def replace_registry(
    conn: Conn,
    agencies: list[Agency],
    file_name: str,
    *,
    by: str = "",
    mode: Mode = "replace",
    allow_removals: bool = True,
) -> RegistryDiff:
    """Apply an import atomically, keep the registry it replaces, and tell every gateway. An
    update only adds and changes; a snapshot removing more than REMOVAL_LIMIT raises
    TooManyRemoved (changing nothing) unless allow_removals."""
    async with conn.transaction():
        # Serialise concurrent imports so each diff is computed against what it replaces.
        await conn.execute("LOCK TABLE agencies IN SHARE ROW EXCLUSIVE MODE")
        current = await load_agencies(conn)
        if mode == "update":
            agencies = merge(current, agencies)
        changes = diff(current, agencies)
        if changes.removes_too_many and not allow_removals:
            raise TooManyRemoved(changes)
        snapshots = [a.snapshot_date for a in agencies if a.snapshot_date]
        # The version this import replaces, kept before it goes (rollback_registry).
        await conn.execute(
            "INSERT INTO registry_imports"
            " (file_name, snapshot_date, total, added, changed, removed, imported_by, mode,"
            " previous)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8,"
            " (SELECT coalesce(jsonb_agg(to_jsonb(a)), '[]'::jsonb) FROM agencies a))",
            file_name,
            max(snapshots) if snapshots else None,
            len(agencies),
            len(changes.added),
            len(changes.changed),
            len(changes.removed),
            by,
            mode,
        )
        await conn.execute("DELETE FROM agencies")
        await conn.copy_records_to_table(
            "agencies",
            records=[_to_row(a) for a in agencies],
            columns=[c.strip() for c in _COLUMNS.split(",")],
        )
        await conn.execute("SELECT pg_notify($1, '')", REGISTRY_CHANNEL)
    return changes


async def rollback_registry(conn: Conn, by: str) -> RolledBack | None:
    """Restore the registry as it was before the last import not yet rolled back (a second
    rollback steps back once more); None when there is nothing to restore."""
    async with conn.transaction():
        await conn.execute("LOCK TABLE agencies IN SHARE ROW EXCLUSIVE MODE")
        last = await conn.fetchrow(
            "SELECT id, file_name FROM registry_imports"
            " WHERE rolled_back_at IS NULL AND previous IS NOT NULL ORDER BY id DESC LIMIT 1"
            " FOR UPDATE"
        )
        if last is None:
            return None
        current = await load_agencies(conn)
        await conn.execute("DELETE FROM agencies")
        await conn.execute(
            "INSERT INTO agencies SELECT * FROM jsonb_populate_recordset(NULL::agencies,"
            " (SELECT previous FROM registry_imports WHERE id = $1))",
            last["id"],
        )
        await conn.execute(
            "UPDATE registry_imports SET rolled_back_at = now(), rolled_back_by = $2 WHERE id = $1",
            last["id"],
            by,
        )
        await conn.execute("SELECT pg_notify($1, '')", REGISTRY_CHANNEL)
        changes = diff(current, await load_agencies(conn))
    return RolledBack(last["id"], last["file_name"], changes)


@dataclass(frozen=True, slots=True)
class Version:
    """One applied registry import: when, by whom, from which file, and whether undone."""

    id: int
    imported_at: datetime
    imported_by: str
    file_name: str
    mode: str
    total: int
    added: int
    changed: int
    removed: int
    rolled_back_at: datetime | None
    rolled_back_by: str | None


async def registry_versions(conn: Queryable, limit: int = 10) -> list[Version]:
    """The latest imports, newest first."""
    rows = await conn.fetch(
        "SELECT id, imported_at, imported_by, file_name, mode, total, added, changed, removed,"
        " rolled_back_at, rolled_back_by FROM registry_imports ORDER BY id DESC LIMIT $1",
        limit,
    )
    return [Version(**dict(r)) for r in rows]


def as_mode(raw: str) -> Mode:
    """A mode from a form or a flag; anything unknown is the safe full-snapshot check."""
    return "update" if raw == "update" else "replace"


def _to_row(a: Agency) -> tuple[object, ...]:
    row = astuple(a)
    return tuple(list(v) if isinstance(v, tuple) else v for v in row)
