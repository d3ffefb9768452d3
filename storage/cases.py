"""
Cases' moves as rows: the row lock a move is decided under, the move itself and its history.

Which moves are allowed is not decided here (ussd_menus/cases.py is the one lifecycle; the use
case gateway/usecases/cases.py asks it between `lock_case` and `record_move`). What is here makes
a decision safe: `lock_case` takes the tip's row with SELECT ... FOR UPDATE, so of two officials
moving one case at once the second reads the first one's result and is refused, never both win.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from storage.areas import Area, area_condition
from storage.db import Conn, Queryable


@dataclass(frozen=True, slots=True)
class LockedCase:
    """A case's row, locked until the end of the caller's transaction."""

    tip_id: int
    receipt: str
    status: str
    holder: str


@dataclass(frozen=True, slots=True)
class Actor:
    """Who moves a case: an official (by SMS), a console account, or the system itself."""

    channel: str  # 'sms', 'console' or 'system'
    official_id: int | None = None
    account: str | None = None


SYSTEM = Actor("system")


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One move in a case's history, as staff read it."""

    from_status: str
    to_status: str
    reopened: bool
    channel: str
    official_id: int | None
    account: str | None
    holder: str
    note: str
    at: datetime


async def lock_case(conn: Conn, tip_id: int) -> LockedCase | None:
    """The case's row, locked FOR UPDATE; call inside a transaction."""
    row = await conn.fetchrow(
        "SELECT id AS tip_id, receipt, status, holder FROM tips WHERE id = $1 FOR UPDATE", tip_id
    )
    return LockedCase(**dict(row)) if row else None


async def record_move(
    conn: Conn,
    case: LockedCase,
    to_status: str,
    actor: Actor,
    *,
    note: str = "",
    holder: str | None = None,
    reopened: bool = False,
) -> None:
    """Write an allowed move and its history row (call under `lock_case`'s lock)."""
    await conn.execute(
        "UPDATE tips SET status = $2, holder = coalesce($3, holder), updated_at = now()"
        " WHERE id = $1",
        case.tip_id,
        to_status,
        holder,
    )
    await conn.execute(
        "INSERT INTO case_events (tip_id, from_status, to_status, reopened, channel,"
        " official_id, account, holder, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        case.tip_id,
        case.status,
        to_status,
        reopened,
        actor.channel,
        actor.official_id,
        actor.account,
        holder if holder is not None else case.holder,
        note[:1000],
    )


async def forward_new(conn: Conn, tip_ids: Sequence[int], holder: str, note: str) -> None:
    """New cases ('baru') whose alerts went out are 'diteruskan' to `holder`, by the system.
    A case someone already moved is left as it is (only 'baru' -> 'diteruskan', which the
    lifecycle allows)."""
    moved = await conn.fetch(
        "UPDATE tips SET status = 'diteruskan', updated_at = now(),"
        " holder = CASE WHEN $2 = '' THEN holder ELSE $2 END"
        " WHERE id = ANY($1::bigint[]) AND status = 'baru' RETURNING id",
        list(tip_ids),
        holder[:40],
    )
    await conn.executemany(
        "INSERT INTO case_events (tip_id, from_status, to_status, channel, holder, note)"
        " VALUES ($1, 'baru', 'diteruskan', 'system', $2, $3)",
        [(r["id"], holder[:40], note) for r in moved],  # '' when not known
    )


async def case_events(conn: Queryable, tip_id: int) -> list[CaseEvent]:
    """A case's moves, oldest first."""
    rows = await conn.fetch(
        "SELECT from_status, to_status, reopened, channel, official_id, account, holder, note, at"
        " FROM case_events WHERE tip_id = $1 ORDER BY id",
        tip_id,
    )
    return [CaseEvent(**dict(r)) for r in rows]


async def case_in_area(conn: Queryable, receipt: str, area: Area) -> int | None:
    """The case's id by receipt if it lies inside `area`, else None: a case outside an account's
    area is answered exactly like one that does not exist."""
    tip_id: int | None = await conn.fetchval(
        f"SELECT t.id FROM tips t WHERE t.receipt = $1 AND {area_condition('t', 2, 3)}",
        receipt,
        area.kecamatan_code,
        area.desa_match,
    )
    return tip_id


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One row of a case's history as the console shows it: a move or an internal note (a note
    keeps the status: from_status == to_status), with the official's name or the account."""

    from_status: str
    to_status: str
    reopened: bool
    channel: str
    official_name: str | None
    account: str | None
    holder: str
    note: str
    at: datetime


async def case_history(conn: Queryable, tip_id: int) -> list[HistoryEntry]:
    """A case's moves and internal notes, oldest first, naming who made each."""
    rows = await conn.fetch(
        "SELECT e.from_status, e.to_status, e.reopened, e.channel, f.name AS official_name,"
        " e.account, e.holder, e.note, e.at FROM case_events e"
        " LEFT JOIN officials f ON f.id = e.official_id WHERE e.tip_id = $1 ORDER BY e.id",
        tip_id,
    )
    return [HistoryEntry(**dict(r)) for r in rows]


async def agency_codes(conn: Queryable) -> list[str]:
    """The agency codes of the active officials' directory, for a handover form."""
    rows = await conn.fetch(
        "SELECT DISTINCT agency FROM officials WHERE active AND agency <> '' ORDER BY agency"
    )
    return [r["agency"] for r in rows]


@dataclass(frozen=True, slots=True)
class Assignment:
    """Who a case is assigned to (exactly one of account, official, agency) and by when."""

    account: str | None = None
    official_id: int | None = None
    agency: str | None = None
    due_on: date | None = None


async def record_assignment(conn: Conn, case: LockedCase, assignment: Assignment) -> None:
    """Write the case's assignment (call under `lock_case`'s lock)."""
    await conn.execute(
        "UPDATE tips SET assigned_account = $2, assigned_official_id = $3, assigned_agency = $4,"
        " due_on = $5, updated_at = now() WHERE id = $1",
        case.tip_id,
        assignment.account,
        assignment.official_id,
        assignment.agency,
        assignment.due_on,
    )


async def assignment_of(conn: Queryable, tip_id: int) -> tuple[Assignment, str | None]:
    """The case's assignment and the assigned official's name, if any."""
    row = await conn.fetchrow(
        "SELECT t.assigned_account, t.assigned_official_id, t.assigned_agency, t.due_on,"
        " f.name FROM tips t LEFT JOIN officials f ON f.id = t.assigned_official_id"
        " WHERE t.id = $1",
        tip_id,
    )
    if row is None:
        return Assignment(), None
    found = Assignment(
        row["assigned_account"], row["assigned_official_id"], row["assigned_agency"], row["due_on"]
    )
    return found, row["name"]


async def assignable_accounts(conn: Queryable) -> list[str]:
    """Active console accounts that may work cases (investigators and admins)."""
    rows = await conn.fetch(
        "SELECT name FROM users WHERE active AND role IN ('investigator', 'admin') ORDER BY name"
    )
    return [r["name"] for r in rows]


async def active_official_name(conn: Queryable, official_id: int) -> str | None:
    """An active official's name, or None: an assignment names only someone in the directory."""
    name: str | None = await conn.fetchval(
        "SELECT name FROM officials WHERE id = $1 AND active", official_id
    )
    return name
