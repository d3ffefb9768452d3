"""
The monthly figures anyone may read on the public pages (/info): how many tips of each category
an area received per month, and how many agency checks named a company the registry did not
know (regency-wide only: a resident's check keeps no place, migration 0006).

Counts only, never a case's detail. Hiding small counts ("< 5") is the page's job
(gateway/public), so the rule is applied in one place whatever asks; a month is Kabupaten
Serang's (WIB). One statement per function.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from storage.areas import Area, area_condition
from storage.db import Queryable

TIME_ZONE = "Asia/Jakarta"


@dataclass(frozen=True, slots=True)
class MonthCount:
    """How many of one kind (a tip category, or checks) in one month (its first day)."""

    month: date
    kind: str
    count: int


async def tips_per_month(conn: Queryable, area: Area, since: date) -> list[MonthCount]:
    """Tips of the area per month and category, from the month of `since` on."""
    rows = await conn.fetch(
        f"SELECT date_trunc('month', t.created_at AT TIME ZONE '{TIME_ZONE}')::date AS month,"
        " t.category AS kind, count(*)::int AS count FROM tips t"
        f" WHERE t.created_at >= ($3::date::timestamp AT TIME ZONE '{TIME_ZONE}')"
        f" AND {area_condition('t', 1, 2)} GROUP BY 1, 2 ORDER BY 1, 2",
        area.kecamatan_code,
        area.desa_match,
        since,
    )
    return [MonthCount(**dict(r)) for r in rows]


async def unknown_checks_per_month(conn: Queryable, since: date) -> list[MonthCount]:
    """Agency checks per month whose name the registry did not know, regency-wide."""
    rows = await conn.fetch(
        f"SELECT date_trunc('month', checked_at AT TIME ZONE '{TIME_ZONE}')::date AS month,"
        " 'unknown' AS kind, count(*)::int AS count FROM agency_checks"
        f" WHERE NOT found AND checked_at >= ($1::date::timestamp AT TIME ZONE '{TIME_ZONE}')"
        " GROUP BY 1 ORDER BY 1",
        since,
    )
    return [MonthCount(**dict(r)) for r in rows]
