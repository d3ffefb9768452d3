"""
The read-only queries of those who watch the hotline: the operator console, the JSON API for
integrations (/api/v1) and the metrics scrape. The delivery log and a message's timeline, the tips
list, a tip's thread and its alerts' delivery, the chart aggregates and the outbox gauges.

The console and the API read the same rows through the same functions; what each may see is a
parameter bound into the SQL, so it is left out by the database rather than hidden by a template:
a resident-bound SMS never returns its body (it may hold a receipt); an official alert's body and
its tip's receipt reach the console only (the page shows them only to roles that may read tips,
auditing the read), never the API; the console gets a resident SMS's cause without the session it
names. No function returns a recipient or a tip's content: that is read only through
storage.tips.read_tip, which audits the read. A thread is read only after such a read.
Console days are Kabupaten Serang's (WIB). One statement per function. Long lists come a page at a
time after a cursor (storage.keyset), their WHERE built from only the filters given, so each page
is an index range scan (benchmarks/case_lists.py); tips' text is searched through the stored
`search_text` (Indonesian stemming) by callers that may read tips.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from storage.areas import EVERYWHERE, Area, area_condition, desa_in
from storage.db import Queryable
from storage.keyset import Cursor, Page, paged
from ussd_menus.cases import CLOSED

TIME_ZONE = "Asia/Jakarta"
STUCK_AFTER = "1 hour"
OUTBOX_STATUSES = (
    "queued",
    "sending",
    "sent",
    "delivered",
    "failed",
    "dead",
    "held",
    "cancelled",
)  # cancelled: a broadcast message whose subscriber stopped (storage/broadcasts.py)


class Reader(StrEnum):
    """Who reads the delivery log: it decides which columns the database hands out."""

    CONSOLE = "console"  # official alerts' text and tip receipt; a resident SMS's cause, no session
    API = "api"  # the delivery machinery's view: the whole cause, never a text or a receipt


class Order(StrEnum):
    """Which rows a limited list keeps."""

    NEWEST = "newest"  # newest first: what a person looks at
    OLDEST = "oldest"  # oldest (for the delivery log: least recently changed) first: for polling


@dataclass(frozen=True, slots=True)
class DeliveryFilter:
    """The delivery log's filters; None (or False) means any. `since`/`until` are WIB days of
    creation (the console's), `changed_since` a moment of the last change (the API's)."""

    status: str | None = None
    official_id: int | None = None
    since: date | None = None
    until: date | None = None
    changed_since: datetime | None = None
    stuck: bool = False
    dead: bool = False
    area: Area = EVERYWHERE  # the reader's: SMS about tips outside it are never listed
    alerts: str | None = None  # one of ALERT_STATES: alerts to officials not yet acknowledged
    receipt: str | None = None  # SMS about this tip (only for readers who may read tips)
    office: str | None = None  # SMS to officials of this office


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    """One outbound SMS as the delivery log shows it: never a number."""

    id: int
    status: str
    recipient_kind: str
    official_id: int | None
    official_name: str | None
    official_office: str | None
    cause: str
    attempts: int
    last_error: str
    provider_id: str | None
    created_at: datetime
    updated_at: datetime
    body: str | None  # official alerts, for the console only
    tip_receipt: str | None  # official alerts, for the console only


# $1 is the Reader.
_DELIVERY = (
    "SELECT o.id, o.status, o.recipient_kind, o.official_id, f.name AS official_name,"
    " f.office AS official_office,"
    " CASE WHEN o.recipient_kind = 'official' OR $1 = 'api' THEN o.cause"
    "  ELSE split_part(o.cause, ':', 1) END AS cause,"
    " o.attempts, o.last_error, o.provider_id, o.created_at, o.updated_at,"
    " CASE WHEN o.recipient_kind = 'official' AND $1 = 'console' THEN o.body END AS body,"
    " CASE WHEN o.recipient_kind = 'official' AND $1 = 'console' THEN t.receipt END"
    "  AS tip_receipt"
    " FROM outbox o LEFT JOIN officials f ON f.id = o.official_id"
    " LEFT JOIN tips t ON t.id = o.tip_id"
)
# An SMS about no tip is anyone's; one about a tip only its area's.
_ABOUT_AREA = "(o.tip_id IS NULL OR {})"
# Per order: the moment the list is sorted by, the ORDER BY, and the keyset comparison.
_DELIVERY_KEY = {Order.NEWEST: "created_at", Order.OLDEST: "updated_at"}
_DELIVERY_ORDER = {
    Order.NEWEST: "o.created_at DESC, o.id DESC",
    Order.OLDEST: "o.updated_at, o.id",
}
_AFTER = {Order.NEWEST: "<", Order.OLDEST: ">"}
# Alerts waiting for an official's acknowledgement (not held in a flood, not yet escalated): still
# within their time, or past it (the escalation is due). The home page counts these.
_ALERT_WAITING = (
    "o.status <> 'held' AND EXISTS (SELECT 1 FROM alerts a WHERE a.outbox_id = o.id"
    " AND a.acknowledged_at IS NULL AND a.escalated_at IS NULL AND a.ack_due_at {} now())"
)
ALERT_STATES = {"waiting": _ALERT_WAITING.format(">="), "overdue": _ALERT_WAITING.format("<")}


class _Where:
    """A WHERE clause of only the filters given, each value a numbered parameter: the planner
    sees the real condition (and its index), not `$n IS NULL OR ...` for every filter."""

    def __init__(self, *args: object) -> None:
        self.args = list(args)
        self.conditions: list[str] = []

    def param(self, value: object) -> str:
        """The placeholder of a new parameter."""
        self.args.append(value)
        return f"${len(self.args)}"

    def add(self, condition: str, *values: object) -> None:
        """A condition whose `{}` are replaced by the values' placeholders, in order."""
        self.conditions.append(condition.format(*(self.param(v) for v in values)))

    def days(self, column: str, since: date | None, until: date | None) -> None:
        """The moment `column` on or after the WIB day `since` and on or before `until`."""
        if since is not None:
            start = f"{self.param(since)}::date::timestamp AT TIME ZONE '{TIME_ZONE}'"
            self.conditions.append(f"{column} >= {start}")
        if until is not None:
            end = f"({self.param(until)}::date + 1)::timestamp AT TIME ZONE '{TIME_ZONE}'"
            self.conditions.append(f"{column} < {end}")

    def given(self, condition: str, value: object) -> None:
        """The condition on one value, unless the value is None (that filter is not asked)."""
        if value is not None:
            self.add(condition, value)

    def area(self, alias: str, area: Area, wrap: str = "{}") -> None:
        """The area's one SQL test (storage.areas), unless the area is the whole regency."""
        if not area.regency:
            k, d = self.param(area.kecamatan_code), self.param(area.desa_match)
            self.conditions.append(wrap.format(area_condition(alias, int(k[1:]), int(d[1:]))))

    def after(self, columns: str, order: Order, cursor: Cursor | None, cast: str) -> None:
        """Rows strictly after the cursor in the list's order."""
        if cursor is not None:
            at, row = self.param(cursor.at), self.param(cursor.id)
            self.conditions.append(f"({columns}) {_AFTER[order]} ({at}::{cast}, {row}::bigint)")

    def sql(self) -> str:
        """The WHERE clause (empty when nothing filters)."""
        return " WHERE " + " AND ".join(self.conditions) if self.conditions else ""


async def delivery_rows(
    conn: Queryable,
    reader: Reader,
    wanted: DeliveryFilter,
    order: Order,
    limit: int,
    after: Cursor | None = None,
) -> Page[DeliveryRow]:
    """One page of outbound SMS matching the filters, in the order asked, as `reader` may see
    them, starting after the cursor."""
    where = _delivery_where(wanted, reader.value)
    key = _DELIVERY_KEY[order]
    where.after(f"o.{key}, o.id", order, after, "timestamptz")
    limited = f" ORDER BY {_DELIVERY_ORDER[order]} LIMIT {where.param(limit + 1)}"
    rows = await conn.fetch(_DELIVERY + where.sql() + limited, *where.args)
    page = [DeliveryRow(**dict(r)) for r in rows]
    last = page[limit - 1] if len(page) > limit else None
    return paged(page, limit, Cursor(getattr(last, key), last.id) if last else None)


def _delivery_where(wanted: DeliveryFilter, *args: object) -> _Where:
    """The filters' WHERE, after `args` (the list's reader is $1; a count has none)."""
    where = _Where(*args)
    where.given("o.status = {}::text", wanted.status)
    where.given("o.official_id = {}::bigint", wanted.official_id)
    where.given("f.office = {}::text", wanted.office)
    where.given("t.receipt = {}::text", wanted.receipt)
    where.days("o.created_at", wanted.since, wanted.until)
    where.given("o.updated_at >= {}::timestamptz", wanted.changed_since)
    if wanted.stuck:
        where.add(f"o.status = 'sent' AND o.updated_at < now() - interval '{STUCK_AFTER}'")
    if wanted.dead:
        where.add("o.status = 'dead'")
    if wanted.alerts in ALERT_STATES:
        where.add(ALERT_STATES[wanted.alerts])
    where.area("t", wanted.area, _ABOUT_AREA)
    return where


async def delivery_count(conn: Queryable, wanted: DeliveryFilter) -> int:
    """How many outbound SMS the same filters list (the home page's counts link to that list)."""
    where = _delivery_where(wanted)
    sql = (
        "SELECT count(*)::int FROM outbox o LEFT JOIN officials f ON f.id = o.official_id"
        " LEFT JOIN tips t ON t.id = o.tip_id"
    )
    found: int = await conn.fetchval(sql + where.sql(), *where.args)
    return found


async def delivery_row(
    conn: Queryable, reader: Reader, outbox_id: int, area: Area = EVERYWHERE
) -> DeliveryRow | None:
    """One outbound SMS, as `reader` may see it; none if it is about a tip outside the area."""
    row = await conn.fetchrow(
        _DELIVERY + f" WHERE o.id = $2 AND {_ABOUT_AREA.format(area_condition('t', 3, 4))}",
        reader.value,
        outbox_id,
        area.kecamatan_code,
        area.desa_match,
    )
    return DeliveryRow(**dict(row)) if row else None


@dataclass(frozen=True, slots=True)
class DeliveryEvent:
    """One step of a message's life after it was queued: attempts, reports, retries, escalation."""

    kind: str
    detail: str
    at: datetime


async def delivery_events(conn: Queryable, outbox_id: int) -> list[DeliveryEvent]:
    """A message's timeline after it was queued, in the order it was recorded."""
    rows = await conn.fetch(
        "SELECT kind, detail, at FROM sms_events WHERE outbox_id = $1 ORDER BY id", outbox_id
    )
    return [DeliveryEvent(**dict(r)) for r in rows]


@dataclass(frozen=True, slots=True)
class TipFilter:
    """The tips list's filters; None means any. `since`/`until` are WIB days of filing (the
    console's), `filed_since` a moment (the API's). `text` searches what tips say: only for
    readers who may read tips (the caller decides; an operator's search would leak content)."""

    status: str | None = None
    category: str | None = None
    kecamatan_code: str | None = None
    since: date | None = None
    until: date | None = None
    filed_since: datetime | None = None
    receipt: str | None = None
    area: Area = EVERYWHERE  # the reader's: tips outside it are never listed
    assigned_account: str | None = None  # "my cases": assigned to this console account
    overdue: bool = False  # open cases whose due date has passed (WIB)
    holder: str | None = None  # the agency (or tier) holding the case now
    text: str | None = None  # web search syntax, Indonesian stemming (storage: tips.search_text)


@dataclass(frozen=True, slots=True)
class TipRow:
    """A tip in the list: what it is about, never what it says."""

    id: int  # for the next page's cursor only
    receipt: str
    created_at: datetime
    category: str
    kecamatan_code: str | None
    kecamatan_name: str | None
    status: str
    channel: str
    holder: str
    held: int  # officials' messages waiting for a reviewer (they ask who the reporter is)
    by_official: bool = False  # 'laporan aparat': an official reported it as themselves


_TIP_ORDER = {Order.NEWEST: "t.created_at DESC, t.id DESC", Order.OLDEST: "t.created_at, t.id"}
_OPEN = f"t.status NOT IN ({', '.join(repr(c) for c in sorted(CLOSED))})"


def _tip_where(wanted: TipFilter) -> _Where:
    where = _Where()
    for column, value in (
        ("t.status", wanted.status),
        ("t.category", wanted.category),
        ("t.kecamatan_code", wanted.kecamatan_code),
        ("t.receipt", wanted.receipt),
        ("t.assigned_account", wanted.assigned_account),
        ("t.holder", wanted.holder),
    ):
        where.given(column + " = {}::text", value)
    where.days("t.created_at", wanted.since, wanted.until)
    where.given("t.created_at >= {}::timestamptz", wanted.filed_since)
    if wanted.overdue:
        where.add(f"t.due_on < (now() AT TIME ZONE '{TIME_ZONE}')::date AND {_OPEN}")
    search = "t.search_text @@ websearch_to_tsquery('indonesian', {}::text)"
    where.given(search, wanted.text or None)
    where.area("t", wanted.area)
    return where


async def tip_rows(
    conn: Queryable, wanted: TipFilter, order: Order, limit: int, after: Cursor | None = None
) -> Page[TipRow]:
    """One page of tips matching the filters, in the order asked, starting after the cursor."""
    where = _tip_where(wanted)
    where.after("t.created_at, t.id", order, after, "timestamptz")
    rows = await conn.fetch(
        "SELECT t.id, t.receipt, t.created_at, t.category, t.kecamatan_code,"
        " k.name AS kecamatan_name, t.status, t.channel, t.holder,"
        " (SELECT count(*)::int FROM tip_messages m WHERE m.tip_id = t.id"
        "  AND m.review = 'held') AS held,"
        " t.reported_by_official_id IS NOT NULL AS by_official"
        f" FROM tips t LEFT JOIN kecamatan k ON k.code = t.kecamatan_code{where.sql()}"
        f" ORDER BY {_TIP_ORDER[order]} LIMIT {where.param(limit + 1)}",
        *where.args,
    )
    page = [TipRow(**dict(r)) for r in rows]
    last = page[limit - 1] if len(page) > limit else None
    return paged(page, limit, Cursor(last.created_at, last.id) if last else None)


async def tip_count(conn: Queryable, wanted: TipFilter) -> int:
    """How many tips the same filters list (the home page's counts link to that list)."""
    where = _tip_where(wanted)
    found: int = await conn.fetchval("SELECT count(*)::int FROM tips t" + where.sql(), *where.args)
    return found


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    """A message on a tip's anonymous thread (the body is gone after retention); an official's
    names who sent it, and whether it waits for review (held), was released or rejected (who and
    when), or never needed it."""

    id: int
    author: str
    kind: str
    body: str | None
    reply_to: int | None
    created_at: datetime
    official_name: str | None
    official_office: str | None
    review: str
    held_for: str
    reviewed_by: str | None
    reviewed_at: datetime | None
    account: str | None = None  # the console account that wrote it, when not an official


async def tip_thread(conn: Queryable, receipt: str) -> list[ThreadMessage]:
    """Officials' questions and notes (with who sent them) and the reporter's answers, oldest
    first, held and rejected ones too; read it only after an audited `read_tip` of the same tip."""
    rows = await conn.fetch(
        "SELECT m.id, m.author, m.kind, m.body, m.reply_to, m.created_at,"
        " f.name AS official_name, f.office AS official_office, m.review, m.held_for,"
        " m.reviewed_by, m.reviewed_at, m.account"
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


async def tips_per_kecamatan(
    conn: Queryable, area: Area = EVERYWHERE, since: datetime | None = None
) -> list[Count]:
    """Every kecamatan of the area with its number of tips inside the area (zero included), by
    name; only tips filed from `since` on, when given."""
    rows = await conn.fetch(
        "SELECT k.code AS key, k.name AS label, count(t.id)::int AS count FROM kecamatan k"
        f" LEFT JOIN tips t ON t.kecamatan_code = k.code AND {area_condition('t', 1, 2)}"
        "  AND ($3::timestamptz IS NULL OR t.created_at >= $3)"
        " WHERE $1::text IS NULL OR k.code = $1"
        " GROUP BY k.code, k.name ORDER BY k.name",
        area.kecamatan_code,
        area.desa_match,
        since,
    )
    return [Count(**dict(r)) for r in rows]


async def tips_per_desa(conn: Queryable, area: Area, since: datetime | None = None) -> list[Count]:
    """For a kecamatan or desa area: each of its desa (zero included), by name, with its number
    of tips filed with that desa's code (from `since` on, when given). Empty for the whole
    regency (326 bars say nothing)."""
    if area.kecamatan_code is None:
        return []
    rows = await conn.fetch(
        "SELECT t.desa_code, count(*)::int AS count FROM tips t"
        f" WHERE {area_condition('t', 1, 2)} AND t.desa_code IS NOT NULL"
        " AND ($3::timestamptz IS NULL OR t.created_at >= $3) GROUP BY t.desa_code",
        area.kecamatan_code,
        area.desa_match,
        since,
    )
    counts = {r["desa_code"]: r["count"] for r in rows}
    shown = [
        d for d in desa_in(area.kecamatan_code) if area.desa_name is None or d.code == area.code
    ]
    return [Count(d.code, d.name, counts.get(d.code, 0)) for d in shown]


async def cases_per_status(
    conn: Queryable, area: Area = EVERYWHERE, since: datetime | None = None
) -> dict[str, int]:
    """How many cases of the area (filed from `since` on, when given) are in each status
    (statuses without one left out): counts for every role, operators included; never a case's
    content."""
    rows = await conn.fetch(
        "SELECT t.status, count(*)::int AS count FROM tips t"
        f" WHERE {area_condition('t', 1, 2)}"
        " AND ($3::timestamptz IS NULL OR t.created_at >= $3) GROUP BY t.status",
        area.kecamatan_code,
        area.desa_match,
        since,
    )
    return {r["status"]: r["count"] for r in rows}


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


async def sessions_by_last_step(conn: Queryable, since: datetime | None = None) -> dict[str, int]:
    """How many USSD sessions ended at each menu step (reported from `since` on, when given)."""
    rows = await conn.fetch(
        "SELECT last_step, count(*)::int AS sessions FROM ussd_session_events"
        " WHERE $1::timestamptz IS NULL OR received_at >= $1 GROUP BY last_step",
        since,
    )
    return {r["last_step"]: r["sessions"] for r in rows}


async def top_not_found(conn: Queryable, limit: int, since: datetime | None = None) -> list[Count]:
    """The names residents checked most often (from `since` on, when given) that the registry
    did not know, most first; each labelled with the way it was most often typed."""
    rows = await conn.fetch(
        "SELECT query_key AS key, mode() WITHIN GROUP (ORDER BY query) AS label,"
        " count(*)::int AS count FROM agency_checks WHERE NOT found"
        " AND ($2::timestamptz IS NULL OR checked_at >= $2)"
        " GROUP BY query_key ORDER BY count(*) DESC, query_key LIMIT $1",
        limit,
        since,
    )
    return [Count(**dict(r)) for r in rows]


@dataclass(frozen=True, slots=True)
class OutboxGauges:
    """The outbox right now: how much waits, for how long, and whether sending is paused."""

    queued: int
    sending: int
    oldest_queued_s: float
    paused: bool


async def outbox_gauges(conn: Queryable) -> OutboxGauges:
    """Counts of unsent messages, the oldest queued one's age, and the account-level pause."""
    row = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE status = 'queued') AS queued,"
        " count(*) FILTER (WHERE status = 'sending') AS sending,"
        " coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'queued')),"
        "  0)::float8 AS oldest_queued_s,"
        " coalesce((SELECT paused FROM sender_state), false) AS paused"
        " FROM outbox WHERE status IN ('queued', 'sending')"
    )
    assert row is not None  # an aggregate always answers one row
    return OutboxGauges(**dict(row))
