"""
Officials involved in a case: who an investigator named, and which officials may be named.

An official named as involved in a case never receives its alerts again (storage.alerts leaves
them out of routing, escalation and resends, and answers their commands on it as for an unknown
receipt). Naming one also stops what was still on its way to them (their unsent alert SMS) and
takes back their acknowledgement, so an involved official who took the case cannot sit on it:
escalation passes it on. Each row records who named the official and when: it is the audit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Conn, Queryable
from storage.outbox import record_event


@dataclass(frozen=True, slots=True)
class CaseOfficial:
    """An official alerted for a case or who may be alerted for it, and whether named involved."""

    id: int
    name: str
    role: str
    office: str
    tier: int
    alerted: bool
    involved_by: str | None
    involved_at: datetime | None


@dataclass(frozen=True, slots=True)
class CaseConflict:
    """A case's conflict of interest as the console shows it."""

    case_id: int
    involves_village_official: bool
    officials: tuple[CaseOfficial, ...]


async def case_conflict(conn: Queryable, receipt: str) -> CaseConflict | None:
    """The case with this receipt: the reporter's mark and its officials; None if unknown.
    Read only after an audited read of the same tip (storage.tips.read_tip)."""
    row = await conn.fetchrow(
        "SELECT id, involves_village_official FROM tips WHERE receipt = $1", receipt
    )
    if row is None:
        return None
    officials = await case_officials(conn, row["id"])
    return CaseConflict(row["id"], row["involves_village_official"], tuple(officials))


async def is_involved(conn: Queryable, case_id: int, official_id: int) -> bool:
    """Whether an investigator named this official as involved in the case."""
    found: bool | None = await conn.fetchval(
        "SELECT true FROM case_involved_officials WHERE case_id = $1 AND official_id = $2",
        case_id,
        official_id,
    )
    return bool(found)


async def case_officials(conn: Queryable, case_id: int) -> list[CaseOfficial]:
    """The officials alerted for the case, and the active ones its kecamatan and category could
    route it to (any tier), by tier and name."""
    rows = await conn.fetch(
        "SELECT o.id, o.name, o.role, o.office, o.tier,"
        " EXISTS (SELECT 1 FROM alerts a WHERE a.tip_id = t.id AND a.official_id = o.id)"
        "  AS alerted, i.set_by AS involved_by, i.set_at AS involved_at"
        " FROM tips t JOIN officials o ON"
        "  EXISTS (SELECT 1 FROM alerts a WHERE a.tip_id = t.id AND a.official_id = o.id)"
        "  OR (o.active"
        "   AND ('*' = ANY(o.kecamatan_codes) OR t.kecamatan_code = ANY(o.kecamatan_codes))"
        "   AND ('*' = ANY(o.categories) OR t.category = ANY(o.categories)))"
        " LEFT JOIN case_involved_officials i ON i.case_id = t.id AND i.official_id = o.id"
        " WHERE t.id = $1 ORDER BY o.tier, o.name, o.id",
        case_id,
    )
    return [CaseOfficial(**dict(r)) for r in rows]


async def mark_involved(conn: Conn, case_id: int, official_id: int, set_by: str) -> bool:
    """Name an official as involved in the case; False when already named or not one of the
    case's officials (case_officials). Their unsent alerts for it are cancelled and their
    acknowledgement taken back, in one transaction."""
    async with conn.transaction():
        allowed = {o.id for o in await case_officials(conn, case_id)}
        if official_id not in allowed:
            return False
        added = await conn.fetchval(
            "INSERT INTO case_involved_officials (case_id, official_id, set_by)"
            " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING true",
            case_id,
            official_id,
            set_by,
        )
        if not added:
            return False
        cancelled = await conn.fetch(
            "UPDATE outbox SET status = 'dead', last_error = 'official involved in the case',"
            " updated_at = now() WHERE tip_id = $1 AND official_id = $2"
            " AND status IN ('queued', 'held') RETURNING id",
            case_id,
            official_id,
        )
        for row in cancelled:
            await record_event(conn, row["id"], "cancelled", "official involved in the case")
        await conn.execute(
            "UPDATE alerts SET acknowledged_at = NULL, ack_due_at = now()"
            " WHERE tip_id = $1 AND official_id = $2 AND acknowledged_at IS NOT NULL",
            case_id,
            official_id,
        )
    return True
