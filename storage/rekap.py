"""
REKAP, the officials' digest: the figures of one area (or of one agency's cases within it) for a
period, in ONE statement fast enough for the whole regency; who gets the weekly digest and the
once-per-official-per-week claim; the per-official throttle of REKAP asked by SMS.

What is counted (ussd_menus/rekap.py words it):
- new: cases filed in the period;
- open and overdue: as they are now, whatever the period. Overdue is what the tips list calls it
  (an open case past its due date, WIB) or an open case nobody has taken (baru, diteruskan)
  whose alert's acknowledgement deadline has passed;
- closed by outcome: cases closed in the period (by their closing move in case_events) and
  still closed that way;
- unlicensed agency names the area's tips of the period named (a typed name: no licence);
- the names residents checked in the period that the registry did not know: regency-wide, since
  agency checks deliberately keep no place (migration 0006).
Never a tip's text, a receipt or anything about a reporter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from asyncpg import Record

from storage.areas import Area
from storage.db import Queryable
from storage.reads import TIME_ZONE
from ussd_menus.cases import CLOSED
from ussd_menus.rekap import OUTCOMES, Figures

# Officials of these agencies get their area's digest; any other agency gets its own cases'.
AREA_AGENCIES = ("", "KEC", "DESA")
_CLOSED = ", ".join(f"'{c}'" for c in sorted(CLOSED))
_TAKEN_BY_NOBODY = "'baru', 'diteruskan'"


@dataclass(frozen=True, slots=True)
class Scope:
    """Which cases a digest counts: the area's (kecamatan codes, None for the whole regency, and
    a desa area's Area.desa_match: its code and name), only those an agency holds when `holder`
    is set."""

    kecamatan_codes: tuple[str, ...] | None
    desa_match: list[str] | None = None
    holder: str | None = None


def area_scope(area: Area) -> Scope:
    """The scope of a console account's area."""
    codes = None if area.kecamatan_code is None else (area.kecamatan_code,)
    return Scope(codes, area.desa_match)


def _in_scope(scope: Scope) -> tuple[str, list[object]]:
    """The SQL test of a tip (alias t) in the scope, and its arguments ($4 on): only the
    conditions the scope has, so each shape of scope gets its own plan using its indexes."""
    tests, args = ["true"], list[object]()
    if scope.kecamatan_codes is not None:
        args.append(list(scope.kecamatan_codes))
        tests.append(f"t.kecamatan_code = ANY(${len(args) + 3}::text[])")
    if scope.desa_match is not None:
        args.append(scope.desa_match)
        d = f"${len(args) + 3}::text[]"
        tests.append(
            f"(t.desa_code = ({d})[1]"
            f" OR (t.desa_code IS NULL AND lower(btrim(t.desa)) = lower(({d})[2])))"
        )
    if scope.holder is not None:
        args.append(scope.holder)
        tests.append(f"t.holder = ${len(args) + 3}::text")
    return " AND ".join(tests), args


def _figures_sql(where: str) -> str:
    """The one statement of the figures ($1 since, $2 until, $3 how many names; the scope's
    test `where`): each part reads only the tips it counts, through an index (filed in the
    period; open; closed and changed since the period began)."""
    in_period = "t.created_at >= $1 AND t.created_at < $2"
    return (
        "SELECT"
        f" (SELECT count(*) FROM tips t WHERE {where} AND {in_period})::int AS new,"
        " o.open, o.overdue,"
        " ARRAY(SELECT c.status || ':' || count(*) FROM ("
        "  SELECT t.status, (SELECT max(e.at) FROM case_events e WHERE e.tip_id = t.id"
        "   AND e.to_status = t.status AND e.from_status <> t.status) AS closed_at"
        f"  FROM tips t WHERE {where} AND t.status IN ({_CLOSED}) AND t.updated_at >= $1) c"
        "  WHERE c.closed_at >= $1 AND c.closed_at < $2 GROUP BY c.status) AS closed,"
        " ARRAY(SELECT mode() WITHIN GROUP (ORDER BY btrim(t.agency_name)) FROM tips t"
        f"  WHERE {where} AND {in_period} AND t.agency_licence IS NULL"
        "  AND btrim(coalesce(t.agency_name, '')) <> ''"
        "  GROUP BY lower(btrim(t.agency_name)) ORDER BY count(*) DESC, lower(btrim(t.agency_name))"
        "  LIMIT $3) AS named,"
        " ARRAY(SELECT mode() WITHIN GROUP (ORDER BY q.query) FROM agency_checks q"
        "  WHERE NOT q.found AND q.checked_at >= $1 AND q.checked_at < $2"
        "  GROUP BY q.query_key ORDER BY count(*) DESC, q.query_key LIMIT $3) AS checked"
        " FROM (SELECT count(*)::int AS open, count(*) FILTER (WHERE"
        f"  t.due_on < (now() AT TIME ZONE '{TIME_ZONE}')::date"
        f"  OR (t.status IN ({_TAKEN_BY_NOBODY}) AND EXISTS (SELECT 1 FROM alerts a"
        "   WHERE a.tip_id = t.id AND a.acknowledged_at IS NULL AND a.handed_over_at IS NULL"
        "   AND a.ack_due_at < now())))::int AS overdue"
        f"  FROM tips t WHERE {where} AND t.status NOT IN ({_CLOSED})) o"
    )


def figures_query(
    scope: Scope, since: datetime, until: datetime, names: int = 3
) -> tuple[str, list[object]]:
    """The figures' statement for this scope and its arguments (benchmarks EXPLAIN it)."""
    where, args = _in_scope(scope)
    return _figures_sql(where), [since, until, names, *args]


async def rekap_figures(
    conn: Queryable, scope: Scope, since: datetime, until: datetime, names: int = 3
) -> Figures:
    """The digest's figures for the scope and the period [since, until)."""
    sql, args = figures_query(scope, since, until, names)
    row = await conn.fetchrow(sql, *args)
    assert row is not None  # aggregates always answer one row
    closed = {s: int(n) for s, _, n in (c.partition(":") for c in row["closed"])}
    return Figures(
        new=row["new"],
        open=row["open"],
        overdue=row["overdue"],
        closed={o: closed.get(o, 0) for o in OUTCOMES},
        unlicensed_named=tuple(row["named"]),
        not_found_checked=tuple(row["checked"]),
    )


@dataclass(frozen=True, slots=True)
class Recipient:
    """An official who reads a digest: whose cases (`scope`) and how the digest names them."""

    official_id: int
    is_sample: bool
    scope: Scope
    label: str


_RECIPIENT = (
    "SELECT o.id, o.is_sample, o.agency, o.kecamatan_codes,"
    " (SELECT string_agg(k.name, ', ' ORDER BY k.name) FROM kecamatan k"
    "  WHERE k.code = ANY(o.kecamatan_codes)) AS names FROM officials o"
)
_AREA_AGENCIES = ", ".join(f"'{a}'" for a in AREA_AGENCIES)
# Tier-1 officials of an area get its digest; officials of other agencies, their agency's.
_GETS_DIGEST = f"(o.agency NOT IN ({_AREA_AGENCIES}) OR o.tier = 1)"


def _recipient(r: Record) -> Recipient:
    codes: list[str] = r["kecamatan_codes"]
    everywhere = "*" in codes
    area = "Kab. Serang" if everywhere else f"Kec. {r['names'] or '?'}"
    agency: str = r["agency"]
    holder = None if agency in AREA_AGENCIES else agency
    return Recipient(
        official_id=r["id"],
        is_sample=r["is_sample"],
        scope=Scope(None if everywhere else tuple(codes), holder=holder),
        label=f"{holder} {area}" if holder else area,
    )


async def official_recipient(conn: Queryable, official_id: int) -> Recipient | None:
    """The digest an active official reads (REKAP by SMS): their area's, or their agency's
    cases within their area."""
    row = await conn.fetchrow(_RECIPIENT + " WHERE o.id = $1 AND o.active", official_id)
    return _recipient(row) if row else None


async def weekly_recipients(conn: Queryable, week_of: date) -> list[Recipient]:
    """The active officials who get the weekly digest and have not had this week's yet."""
    rows = await conn.fetch(
        _RECIPIENT + f" WHERE o.active AND {_GETS_DIGEST} AND NOT EXISTS (SELECT 1"
        " FROM rekap_sends r WHERE r.official_id = o.id AND r.week_of = $1) ORDER BY o.id",
        week_of,
    )
    return [_recipient(r) for r in rows]


async def claim_weekly(conn: Queryable, official_id: int, week_of: date) -> bool:
    """Claim this week's digest for the official; False when another process (or an earlier
    run) has it. Call inside the transaction that queues the SMS: the claim is held to its end."""
    claimed: bool | None = await conn.fetchval(
        "INSERT INTO rekap_sends (official_id, week_of) VALUES ($1, $2)"
        " ON CONFLICT DO NOTHING RETURNING true",
        official_id,
        week_of,
    )
    return bool(claimed)


async def record_weekly(conn: Queryable, official_id: int, week_of: date, outbox_id: int) -> None:
    """Link the claimed week to the SMS queued for it."""
    await conn.execute(
        "UPDATE rekap_sends SET outbox_id = $3 WHERE official_id = $1 AND week_of = $2",
        official_id,
        week_of,
        outbox_id,
    )


async def claim_request(conn: Queryable, official_id: int, minutes: int) -> bool:
    """An official's REKAP by SMS may be answered: none answered in the last `minutes`. One
    statement under the row's lock, so two at once cannot both pass."""
    passed: bool | None = await conn.fetchval(
        "INSERT INTO rekap_requests (official_id, answered_at) VALUES ($1, now())"
        " ON CONFLICT (official_id) DO UPDATE SET answered_at = now()"
        " WHERE rekap_requests.answered_at <= now() - make_interval(mins => $2) RETURNING true",
        official_id,
        minutes,
    )
    return bool(passed)
