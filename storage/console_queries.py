"""
The operator console's read queries: the delivery log and a message's timeline, the tips list,
a tip's thread and its alerts' delivery, and the chart aggregates.

What staff must not see is left out here, in the SQL, rather than hidden by a template: a
resident-bound SMS never returns its body (it may hold a receipt) nor the session its cause names,
the tips list never returns content, and a thread never returns where a message came from.
Reading a tip's content itself goes through storage.tips.read_tip, which audits the read.
Days are Kabupaten Serang's (WIB). One statement per function.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from storage.db import Queryable

TIME_ZONE = "Asia/Jakarta"
STUCK_AFTER = "1 hour"


@dataclass(frozen=True, slots=True)
class DeliveryFilter:
    """The delivery log's filters; None (or False) means any."""

    status: str | None = None
    official_id: int | None = None
    since: date | None = None
    until: date | None = None
    stuck: bool = False
    dead: bool = False


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    """One outbound SMS as the console shows it."""

    id: int
    status: str
    recipient_kind: str
    official_name: str | None
    cause: str
    attempts: int
    last_error: str
    created_at: datetime
    updated_at: datetime
    body: str | None  # official alerts only
    tip_receipt: str | None  # official alerts only


_DELIVERY = (
    "SELECT o.id, o.status, o.recipient_kind, f.name AS official_name,"
    " CASE WHEN o.recipient_kind = 'official' THEN o.cause"
    "  ELSE split_part(o.cause, ':', 1) END AS cause,"
    " o.attempts, o.last_error, o.created_at, o.updated_at,"
    " CASE WHEN o.recipient_kind = 'official' THEN o.body END AS body,"
    " CASE WHEN o.recipient_kind = 'official' THEN t.receipt END AS tip_receipt"
    " FROM outbox o LEFT JOIN officials f ON f.id = o.official_id"
    " LEFT JOIN tips t ON t.id = o.tip_id"
)


async def delivery_rows(conn: Queryable, wanted: DeliveryFilter, limit: int) -> list[DeliveryRow]:
    """Outbound SMS matching the filters, newest first."""
    rows = await conn.fetch(
        _DELIVERY + " WHERE ($1::text IS NULL OR o.status = $1)"
        " AND ($2::bigint IS NULL OR o.official_id = $2)"
        f" AND ($3::date IS NULL OR o.created_at >= $3::date::timestamp AT TIME ZONE '{TIME_ZONE}')"
        " AND ($4::date IS NULL"
        f"  OR o.created_at < ($4::date + 1)::timestamp AT TIME ZONE '{TIME_ZONE}')"
        " AND (NOT $5::boolean OR (o.status = 'sent'"
        f"  AND o.updated_at < now() - interval '{STUCK_AFTER}'))"
        " AND (NOT $6::boolean OR o.status = 'dead')"
        " ORDER BY o.id DESC LIMIT $7",
        wanted.status,
        wanted.official_id,
        wanted.since,
        wanted.until,
        wanted.stuck,
        wanted.dead,
        limit,
    )
    return [DeliveryRow(**dict(r)) for r in rows]


async def delivery_row(conn: Queryable, outbox_id: int) -> DeliveryRow | None:
    """One outbound SMS."""
    row = await conn.fetchrow(_DELIVERY + " WHERE o.id = $1", outbox_id)
    return DeliveryRow(**dict(row)) if row else None


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One step of a message's life: queued, attempts, reports, retries, escalation."""

    kind: str
    detail: str
    at: datetime


async def delivery_timeline(conn: Queryable, outbox_id: int) -> list[TimelineEvent]:
    """A message's timeline, from being queued to its last event."""
    rows = await conn.fetch(
        "SELECT kind, detail, at FROM ("
        " SELECT 'queued' AS kind, '' AS detail, created_at AS at, 0 AS id FROM outbox"
        "  WHERE id = $1"
        " UNION ALL SELECT kind, detail, at, id FROM sms_events WHERE outbox_id = $1"
        ") e ORDER BY at, id",
        outbox_id,
    )
    return [TimelineEvent(**dict(r)) for r in rows]


@dataclass(frozen=True, slots=True)
class TipFilter:
    """The tips list's filters; None means any."""

    status: str | None = None
    category: str | None = None
    kecamatan_code: str | None = None
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True, slots=True)
class TipRow:
    """A tip in the list: what it is about, never what it says."""

    receipt: str
    created_at: datetime
    category: str
    kecamatan_name: str | None
    status: str
    channel: str
    held: int  # officials' messages waiting for a reviewer (they ask who the reporter is)


async def tip_rows(conn: Queryable, wanted: TipFilter, limit: int) -> list[TipRow]:
    """Tips matching the filters, newest first."""
    rows = await conn.fetch(
        "SELECT t.receipt, t.created_at, t.category, k.name AS kecamatan_name, t.status,"
        " t.channel, (SELECT count(*)::int FROM tip_messages m WHERE m.tip_id = t.id"
        "  AND m.review = 'held') AS held"
        " FROM tips t LEFT JOIN kecamatan k ON k.code = t.kecamatan_code"
        " WHERE ($1::text IS NULL OR t.status = $1)"
        " AND ($2::text IS NULL OR t.category = $2)"
        " AND ($3::text IS NULL OR t.kecamatan_code = $3)"
        f" AND ($4::date IS NULL OR t.created_at >= $4::date::timestamp AT TIME ZONE '{TIME_ZONE}')"
        " AND ($5::date IS NULL"
        f"  OR t.created_at < ($5::date + 1)::timestamp AT TIME ZONE '{TIME_ZONE}')"
        " ORDER BY t.created_at DESC, t.id DESC LIMIT $6",
        wanted.status,
        wanted.category,
        wanted.kecamatan_code,
        wanted.since,
        wanted.until,
        limit,
    )
    return [TipRow(**dict(r)) for r in rows]


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    """A message on a tip's anonymous thread; an official's names who sent it, and whether it
    waits for review (held), was released or rejected (who and when), or never needed it."""

    id: int
    author: str
    kind: str
    body: str | None
    created_at: datetime
    official_name: str | None
    official_office: str | None
    review: str
    held_for: str
    reviewed_by: str | None
    reviewed_at: datetime | None


async def tip_thread(conn: Queryable, receipt: str) -> list[ThreadMessage]:
    """Officials' questions and notes (with who sent them) and the reporter's answers, oldest
    first; staff see held and rejected messages too."""
    rows = await conn.fetch(
        "SELECT m.id, m.author, m.kind, m.body, m.created_at, f.name AS official_name,"
        " f.office AS official_office, m.review, m.held_for, m.reviewed_by, m.reviewed_at"
        " FROM tip_messages m JOIN tips t ON t.id = m.tip_id"
        " LEFT JOIN officials f ON f.id = m.official_id WHERE t.receipt = $1 ORDER BY m.id",
        receipt,
    )
    return [ThreadMessage(**dict(r)) for r in rows]


@dataclass(frozen=True, slots=True)
class TipAlert:
    """One alert about a tip, and how its SMS fared."""

    official_name: str
    tier: int
    reason: str
    created_at: datetime
    outbox_id: int | None
    outbox_status: str | None
    acknowledged_at: datetime | None
    escalated_at: datetime | None


async def tip_alerts(conn: Queryable, receipt: str) -> list[TipAlert]:
    """The alerts sent about a tip, oldest first."""
    rows = await conn.fetch(
        "SELECT f.name AS official_name, a.tier, a.reason, a.created_at, a.outbox_id,"
        " o.status AS outbox_status, a.acknowledged_at, a.escalated_at FROM alerts a"
        " JOIN tips t ON t.id = a.tip_id JOIN officials f ON f.id = a.official_id"
        " LEFT JOIN outbox o ON o.id = a.outbox_id WHERE t.receipt = $1 ORDER BY a.id",
        receipt,
    )
    return [TipAlert(**dict(r)) for r in rows]


@dataclass(frozen=True, slots=True)
class Count:
    """One bar: a label and how many."""

    key: str
    label: str
    count: int


async def tips_per_kecamatan(conn: Queryable) -> list[Count]:
    """Every kecamatan with its number of tips (zero included), by name."""
    rows = await conn.fetch(
        "SELECT k.code AS key, k.name AS label, count(t.id)::int AS count FROM kecamatan k"
        " LEFT JOIN tips t ON t.kecamatan_code = k.code GROUP BY k.code, k.name ORDER BY k.name"
    )
    return [Count(**dict(r)) for r in rows]


@dataclass(frozen=True, slots=True)
class DayDelivery:
    """Outbound SMS queued on one day, by how they ended up."""

    day: date
    delivered: int
    failed: int
    pending: int


async def delivery_per_day(conn: Queryable, days: int) -> list[DayDelivery]:
    """The last `days` days (today included) that had outbound SMS, oldest first."""
    rows = await conn.fetch(
        f"SELECT (created_at AT TIME ZONE '{TIME_ZONE}')::date AS day,"
        " count(*) FILTER (WHERE status = 'delivered')::int AS delivered,"
        " count(*) FILTER (WHERE status IN ('failed', 'dead'))::int AS failed,"
        " count(*) FILTER (WHERE status NOT IN ('delivered', 'failed', 'dead'))::int AS pending"
        " FROM outbox"
        f" WHERE created_at >= ((now() AT TIME ZONE '{TIME_ZONE}')::date - ($1::int - 1))"
        f"  ::timestamp AT TIME ZONE '{TIME_ZONE}'"
        " GROUP BY 1 ORDER BY 1",
        days,
    )
    return [DayDelivery(**dict(r)) for r in rows]


async def sessions_by_last_step(conn: Queryable) -> dict[str, int]:
    """How many USSD sessions ended at each menu step."""
    rows = await conn.fetch(
        "SELECT last_step, count(*)::int AS sessions FROM ussd_session_events GROUP BY last_step"
    )
    return {r["last_step"]: r["sessions"] for r in rows}


async def top_not_found(conn: Queryable, limit: int) -> list[Count]:
    """The names residents checked most often that the registry did not know, most first;
    each labelled with the way it was most often typed."""
    rows = await conn.fetch(
        "SELECT query_key AS key, mode() WITHIN GROUP (ORDER BY query) AS label,"
        " count(*)::int AS count FROM agency_checks WHERE NOT found"
        " GROUP BY query_key ORDER BY count(*) DESC, query_key LIMIT $1",
        limit,
    )
    return [Count(**dict(r)) for r in rows]
