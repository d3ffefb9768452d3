"""
Prospective migrant workers (issue 16 item 2): consent requests, records, their audit, retention
and the per-desa counts. SQL only; who may do what is decided by gateway/usecases/migrants.py.

Data protection (UU 27/2022): a record exists only once its resident confirmed from their own
number (`confirm` turns a pending request into one); it holds the few fields the desa needs; every
read and change is written to migrant_audit; deleting it (the resident's HAPUS DATAKU, or
retention) leaves one audit row saying a deletion happened and nothing else. Residents are known
by the keyed hash of their number (gateway/identity.py) and reached through its sealed form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from storage.db import Conn, Queryable
from storage.officials import VILLAGE_OFFICIAL

# Who may see an area's records besides its village officials: the kecamatan and Disnakertrans.
KECAMATAN_AGENCY, DISNAKER_AGENCY = "KEC", "DISNAKER"


@dataclass(frozen=True, slots=True)
class Pending:
    """A consent request waiting for the resident's reply."""

    id: int
    resident_sealed: bytes
    proposal_sealed: bytes
    official_id: int


@dataclass(frozen=True, slots=True)
class NewMigrant:
    """The fields an official proposed, as the resident agreed to them."""

    name: str
    desa_code: str
    kecamatan_code: str
    destination: str
    job: str
    agency: str | None
    planned_month: date


@dataclass(frozen=True, slots=True)
class Migrant(NewMigrant):
    """One prospective migrant worker's record: the agreed fields, then what came later."""

    id: int
    departed_on: date | None
    returned_on: date | None
    consented_at: datetime


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One line of a record's audit: who did what, when (never a field's value)."""

    migrant_id: int
    actor: str
    action: str
    at: datetime


@dataclass(frozen=True, slots=True)
class DesaFigures:
    """Counts for one desa: planned (not yet gone), departed (not yet back), returned, and all
    records by destination. Never a name."""

    desa_code: str
    planned: int
    departed: int
    returned: int
    by_destination: tuple[tuple[str, int], ...]


async def request_consent(
    conn: Conn,
    resident_key: bytes,
    resident_sealed: bytes,
    proposal_sealed: bytes,
    official_id: int,
    hours: int,
) -> int:
    """Store a consent request (replacing any earlier one for the same resident); its id."""
    await conn.execute("DELETE FROM migrant_consents WHERE resident_key = $1", resident_key)
    request_id: int = await conn.fetchval(
        "INSERT INTO migrant_consents"
        " (resident_key, resident_sealed, proposal_sealed, official_id, expires_at)"
        " VALUES ($1, $2, $3, $4, now() + make_interval(hours => $5)) RETURNING id",
        resident_key,
        resident_sealed,
        proposal_sealed,
        official_id,
        hours,
    )
    return request_id


async def pending_consent(conn: Queryable, resident_key: bytes) -> Pending | None:
    """The resident's unexpired consent request, if any."""
    row = await conn.fetchrow(
        "SELECT id, resident_sealed, proposal_sealed, official_id FROM migrant_consents"
        " WHERE resident_key = $1 AND expires_at > now() ORDER BY id DESC LIMIT 1",
        resident_key,
    )
    return Pending(**dict(row)) if row else None


async def confirm(
    conn: Conn, pending: Pending, resident_key: bytes, record: NewMigrant, actor: str
) -> int:
    """The resident said yes from their own number: the request becomes a record (replacing an
    earlier record of theirs), audited; its id."""
    await conn.execute("DELETE FROM migrant_consents WHERE resident_key = $1", resident_key)
    migrant_id: int = await conn.fetchval(
        "INSERT INTO prospective_migrants (resident_key, resident_sealed, name, desa_code,"
        " kecamatan_code, destination, job, agency, planned_month, recorded_by, consented_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now())"
        " ON CONFLICT (resident_key) DO UPDATE SET name = excluded.name,"
        " desa_code = excluded.desa_code, kecamatan_code = excluded.kecamatan_code,"
        " destination = excluded.destination, job = excluded.job, agency = excluded.agency,"
        " planned_month = excluded.planned_month, recorded_by = excluded.recorded_by,"
        " consented_at = now(), departed_on = NULL, returned_on = NULL, updated_at = now()"
        " RETURNING id",
        resident_key,
        pending.resident_sealed,
        record.name,
        record.desa_code,
        record.kecamatan_code,
        record.destination,
        record.job,
        record.agency,
        record.planned_month,
        pending.official_id,
    )
    await audit(conn, migrant_id, actor, "recorded")
    return migrant_id


_COLUMNS = (
    "id, name, desa_code, kecamatan_code, destination, job, agency, planned_month, departed_on,"
    " returned_on, consented_at"
)


async def migrant_of(conn: Queryable, resident_key: bytes) -> Migrant | None:
    """The record of the resident with this keyed hash (no audit: the caller says why)."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM prospective_migrants WHERE resident_key = $1",
        resident_key,
    )
    return Migrant(**dict(row)) if row else None


async def sealed_number(conn: Queryable, migrant_id: int) -> bytes | None:
    """The resident's sealed number, to send them an SMS."""
    sealed: bytes | None = await conn.fetchval(
        "SELECT resident_sealed FROM prospective_migrants WHERE id = $1", migrant_id
    )
    return sealed


async def audit(conn: Queryable, migrant_id: int, actor: str, action: str) -> None:
    """One line in a record's audit, with the record's area (for the console's area view)."""
    await conn.execute(
        "INSERT INTO migrant_audit (migrant_id, kecamatan_code, desa_code, actor, action)"
        " SELECT id, kecamatan_code, desa_code, $2, $3 FROM prospective_migrants WHERE id = $1",
        migrant_id,
        actor,
        action,
    )


async def set_day(conn: Queryable, migrant_id: int, which: str, day: date, actor: str) -> None:
    """Record the departure (`departed_on`) or return (`returned_on`) day, audited."""
    column = {"departed": "departed_on", "returned": "returned_on"}[which]
    await conn.execute(
        f"UPDATE prospective_migrants SET {column} = $2, updated_at = now() WHERE id = $1",
        migrant_id,
        day,
    )
    await audit(conn, migrant_id, actor, "updated")


async def delete(conn: Conn, migrant_id: int, actor: str, action: str = "deleted") -> None:
    """Delete a record at once; its audit keeps one row saying a deletion happened (no area,
    no fields)."""
    async with conn.transaction():
        await conn.execute("DELETE FROM migrant_audit WHERE migrant_id = $1", migrant_id)
        await conn.execute("DELETE FROM prospective_migrants WHERE id = $1", migrant_id)
        await conn.execute(
            "INSERT INTO migrant_audit (migrant_id, actor, action) VALUES ($1, $2, $3)",
            migrant_id,
            actor,
            action,
        )


async def record_audit(conn: Queryable, migrant_id: int) -> list[AuditRow]:
    """A record's audit, oldest first."""
    rows = await conn.fetch(
        "SELECT migrant_id, actor, action, at FROM migrant_audit WHERE migrant_id = $1 ORDER BY id",
        migrant_id,
    )
    return [AuditRow(**dict(r)) for r in rows]


async def may_access(conn: Queryable, official_id: int, kecamatan_code: str) -> bool:
    """Whether an official may see and update records of this kecamatan: Disnakertrans
    everywhere; the kecamatan's office and its village officials there.

    TODO(issue 15): officials get desa codes; a village official then sees only their desa."""
    found = await conn.fetchval(
        "SELECT 1 FROM officials WHERE id = $1 AND active AND (agency = $3 OR ($2 = ANY"
        f"(kecamatan_codes) AND (agency = $4 OR {VILLAGE_OFFICIAL})))",
        official_id,
        kecamatan_code,
        DISNAKER_AGENCY,
        KECAMATAN_AGENCY,
    )
    return found is not None


async def may_record(conn: Queryable, official_id: int) -> tuple[str, ...]:
    """The kecamatan codes where an official may start records (village officials and the
    kecamatan: their kecamatan; Disnakertrans: none by SMS, its staff use the console)."""
    row = await conn.fetchrow(
        "SELECT kecamatan_codes FROM officials WHERE id = $1 AND active"
        f" AND (agency = $2 OR {VILLAGE_OFFICIAL})",
        official_id,
        KECAMATAN_AGENCY,
    )
    return tuple(row["kecamatan_codes"]) if row else ()


async def migrants_in_area(
    conn: Queryable, kecamatan_code: str | None, desa_code: str | None
) -> list[Migrant]:
    """Records of an area (None: the regency), by desa and name (no audit: the caller writes a
    read for each it shows)."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM prospective_migrants"
        " WHERE ($1::text IS NULL OR kecamatan_code = $1) AND ($2::text IS NULL OR desa_code = $2)"
        " ORDER BY desa_code, name, id",
        kecamatan_code,
        desa_code,
    )
    return [Migrant(**dict(r)) for r in rows]


async def migrant_in_area(
    conn: Queryable, migrant_id: int, kecamatan_code: str | None, desa_code: str | None
) -> Migrant | None:
    """One record, if it lies in the area (None: the regency)."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM prospective_migrants WHERE id = $1"
        " AND ($2::text IS NULL OR kecamatan_code = $2) AND ($3::text IS NULL OR desa_code = $3)",
        migrant_id,
        kecamatan_code,
        desa_code,
    )
    return Migrant(**dict(row)) if row else None


async def area_audit(
    conn: Queryable, kecamatan_code: str | None, desa_code: str | None, limit: int = 200
) -> list[AuditRow]:
    """The latest audit lines of an area's records; deletions (which keep no area) only for
    the regency."""
    rows = await conn.fetch(
        "SELECT migrant_id, actor, action, at FROM migrant_audit"
        " WHERE ($1::text IS NULL OR kecamatan_code = $1) AND ($2::text IS NULL OR desa_code = $2)"
        " ORDER BY id DESC LIMIT $3",
        kecamatan_code,
        desa_code,
        limit,
    )
    return [AuditRow(**dict(r)) for r in rows]


async def desa_figures(conn: Queryable, kecamatan_code: str | None) -> list[DesaFigures]:
    """Per desa of an area (None: the regency): planned, departed, returned, by destination."""
    rows = await conn.fetch(
        "SELECT desa_code,"
        " count(*) FILTER (WHERE departed_on IS NULL AND returned_on IS NULL) AS planned,"
        " count(*) FILTER (WHERE departed_on IS NOT NULL AND returned_on IS NULL) AS departed,"
        " count(*) FILTER (WHERE returned_on IS NOT NULL) AS returned"
        " FROM prospective_migrants WHERE $1::text IS NULL OR kecamatan_code = $1"
        " GROUP BY desa_code ORDER BY desa_code",
        kecamatan_code,
    )
    places = await conn.fetch(
        "SELECT desa_code, lower(destination) AS destination, count(*) AS n"
        " FROM prospective_migrants WHERE $1::text IS NULL OR kecamatan_code = $1"
        " GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2",
        kecamatan_code,
    )
    return [
        DesaFigures(
            r["desa_code"],
            r["planned"],
            r["departed"],
            r["returned"],
            _destinations(places, r["desa_code"]),
        )
        for r in rows
    ]


async def area_totals(conn: Queryable, kecamatan_code: str | None) -> tuple[int, int, int]:
    """An area's (planned, departed, returned). The console REKAP page shows them (per desa for a
    desa account); the REKAP SMS does not: its 3-segment budget has about 25 characters left."""
    figures = await desa_figures(conn, kecamatan_code)
    return (
        sum(f.planned for f in figures),
        sum(f.departed for f in figures),
        sum(f.returned for f in figures),
    )


def _destinations(rows: Sequence[asyncpg.Record], desa_code: str) -> tuple[tuple[str, int], ...]:
    return tuple((r["destination"], r["n"]) for r in rows if r["desa_code"] == desa_code)


async def purge_migrants(conn: Conn, retention_days: int) -> int:
    """Retention: drop expired consent requests, and delete records `retention_days` after
    their return (or after their planned month when no departure was recorded); how many
    records went."""
    await conn.execute("DELETE FROM migrant_consents WHERE expires_at <= now()")
    due = await conn.fetch(
        "SELECT id FROM prospective_migrants WHERE"
        " coalesce(returned_on, CASE WHEN departed_on IS NULL THEN planned_month END)"
        " < current_date - $1::int",
        retention_days,
    )
    for row in due:
        await delete(conn, row["id"], "retention", "expired")
    return len(due)
