"""
The case export for the monthly report: one row per case filed in a period (WIB days), inside the
reader's area (storage.areas.area_condition, like every tip query), oldest first. What a case is
about and where it stands, never what it says: no tip text is read here, so the export writes no
audit row and no role gets a tip's words from it. The receipt is handed out only when the caller
says the reader may read tips (a receipt is enough to follow a tip and answer as its reporter).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from storage.areas import Area, area_condition
from storage.db import Queryable
from ussd_menus.cases import CLOSED

TIME_ZONE = "Asia/Jakarta"
_CLOSED = ", ".join(f"'{c}'" for c in sorted(CLOSED))


@dataclass(frozen=True, slots=True)
class ExportedCase:
    """One case as the monthly report lists it; `receipt` is None for readers who may not
    read tips, `closed_at` None while the case is open."""

    receipt: str | None
    created_at: datetime
    category: str
    kecamatan_name: str | None
    desa: str | None
    status: str
    holder: str
    closed_at: datetime | None


async def exported_cases(
    conn: Queryable, area: Area, since: date, until: date, *, with_receipt: bool, limit: int
) -> list[ExportedCase]:
    """The cases filed from `since` to `until` (WIB days, both included) inside `area`."""
    rows = await conn.fetch(
        "SELECT CASE WHEN $5 THEN t.receipt END AS receipt, t.created_at, t.category,"
        " k.name AS kecamatan_name, t.desa, t.status, t.holder,"
        f" CASE WHEN t.status IN ({_CLOSED}) THEN (SELECT max(e.at) FROM case_events e"
        f"  WHERE e.tip_id = t.id AND e.to_status = t.status) END AS closed_at"
        " FROM tips t LEFT JOIN kecamatan k ON k.code = t.kecamatan_code"
        f" WHERE t.created_at >= $1::date::timestamp AT TIME ZONE '{TIME_ZONE}'"
        f" AND t.created_at < ($2::date + 1)::timestamp AT TIME ZONE '{TIME_ZONE}'"
        f" AND {area_condition('t', 3, 4)}"
        " ORDER BY t.created_at, t.id LIMIT $6",
        since,
        until,
        area.kecamatan_code,
        area.desa_match,
        with_receipt,
        limit,
    )
    return [ExportedCase(**dict(r)) for r in rows]
