"""
Opt-in broadcasts (sosialisasi): subscribers, broadcasts, their approval and queueing, and their
delivery figures.

A subscriber is kept only to send them broadcasts: a keyed hash of the number (`phone_key`, the
same HMAC as reporter keys) to find them again when they confirm or stop, the number sealed like
an outbox recipient, the area they chose and their language. The table stands apart from tips:
no statement here or anywhere in storage/ names both (tests/test_broadcasts.py checks).

A broadcast is written by one account and queued only when a second one approves it: the approval
locks the broadcast's row, so a double click or two approvers at once queue it once. Queueing is
one INSERT ... SELECT into the outbox, each message due at its own moment: the send rate spreads
them, and quiet hours (21:00-07:00 WIB) are skipped (the caller gives the first moment and the
window; gateway/usecases/broadcasts.py computes them). A subscriber who stops gets none of the
rest: their queued messages are cancelled in the same transaction as the stop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Conn, Queryable
from storage.errors import StorageError

# Subscribers inside a broadcast's area: the regency reaches everyone; a kecamatan reaches its own
# subscribers and its desa's; a desa its own. ($1: the broadcast's area code.)
_INSIDE = "($1::text = '*' OR s.area = $1::text OR s.area LIKE $1::text || '.%')"
_REACHABLE = (
    "s.confirmed_at IS NOT NULL AND NOT EXISTS"
    " (SELECT 1 FROM opt_outs o WHERE o.phone_key = s.phone_key)"
)


class BroadcastRefused(StorageError):
    """An approval that cannot go ahead; `reason` is a console text key."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Subscription:
    """A number's subscription as stored (without the number)."""

    id: int
    area: str
    lang: str
    confirmed: bool


async def request_subscription(
    conn: Queryable, phone_key: bytes, sealed: bytes, area: str, lang: str, *, confirmed: bool
) -> Subscription:
    """Subscribe a number to an area. A new number waits for its confirmation unless `confirmed`
    (its own USSD session); a number that confirmed before moves to the new area at once."""
    row = await conn.fetchrow(
        "INSERT INTO subscribers (phone_key, recipient_sealed, area, lang, confirmed_at)"
        " VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN now() END)"
        " ON CONFLICT (phone_key) DO UPDATE SET recipient_sealed = excluded.recipient_sealed,"
        " area = excluded.area, lang = excluded.lang, created_at = now(),"
        " confirmed_at = coalesce(subscribers.confirmed_at, excluded.confirmed_at)"
        " RETURNING id, area, lang, confirmed_at IS NOT NULL AS confirmed",
        phone_key,
        sealed,
        area,
        lang,
        confirmed,
    )
    assert row is not None
    if confirmed:
        await conn.execute("DELETE FROM opt_outs WHERE phone_key = $1", phone_key)
    return Subscription(**dict(row))


async def confirm_subscription(conn: Queryable, phone_key: bytes) -> Subscription | None:
    """The number replied YA: its subscription asked within a day starts (a fresh opt-in also
    lifts an earlier STOP); None when nothing waits for it."""
    row = await conn.fetchrow(
        "UPDATE subscribers SET confirmed_at = now() WHERE phone_key = $1"
        " AND confirmed_at IS NULL AND created_at > now() - interval '1 day'"
        " RETURNING id, area, lang, true AS confirmed",
        phone_key,
    )
    if row is None:
        return None
    await conn.execute("DELETE FROM opt_outs WHERE phone_key = $1", phone_key)
    return Subscription(**dict(row))


async def forget_unconfirmed(conn: Queryable) -> int:
    """Delete subscriptions never confirmed within a day (housekeeping): a number that did not
    answer YA is not kept."""
    status: str = await conn.execute(
        "DELETE FROM subscribers WHERE confirmed_at IS NULL"
        " AND created_at < now() - interval '1 day'"
    )
    return int(status.split()[-1])


async def unsubscribe(conn: Queryable, phone_key: bytes) -> int:
    """BERHENTI: forget the subscriber and cancel every broadcast message still queued for them
    (one being sent at this moment may still arrive); returns how many were cancelled."""
    status: str = await conn.execute(
        "UPDATE outbox SET status = 'cancelled', recipient_sealed = '', subscriber_id = NULL,"
        " last_error = 'unsubscribed', updated_at = now()"
        " WHERE subscriber_id = (SELECT id FROM subscribers WHERE phone_key = $1)"
        " AND status IN ('queued', 'held')",
        phone_key,
    )
    await conn.execute("DELETE FROM subscribers WHERE phone_key = $1", phone_key)
    return int(status.split()[-1])


async def recipients_in(conn: Queryable, area: str) -> int:
    """How many confirmed subscribers a broadcast to `area` reaches now."""
    count: int = await conn.fetchval(
        f"SELECT count(*) FROM subscribers s WHERE {_INSIDE} AND {_REACHABLE}", area
    )
    return count


@dataclass(frozen=True, slots=True)
class Broadcast:
    """A broadcast as stored."""

    id: int
    area: str
    body_id: str
    body_en: str
    author: str
    status: str
    approved_by: str | None
    approved_at: datetime | None
    recipients: int | None
    starts_at: datetime | None
    created_at: datetime


_COLUMNS = (
    "id, area, body_id, body_en, author, status, approved_by, approved_at, recipients,"
    " starts_at, created_at"
)


async def create_broadcast(
    conn: Queryable, area: str, body_id: str, body_en: str, author: str, form_token: str
) -> int:
    """Store a broadcast waiting for approval; the same form sent twice stores it once (its
    token is unique) and returns the first one's id."""
    created = await conn.fetchval(
        "INSERT INTO broadcasts (area, body_id, body_en, author, form_token)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (form_token) DO NOTHING RETURNING id",
        area,
        body_id,
        body_en,
        author,
        form_token,
    )
    if created is None:
        created = await conn.fetchval(
            "SELECT id FROM broadcasts WHERE form_token = $1 AND author = $2", form_token, author
        )
        if created is None:
            raise BroadcastRefused("broadcast_token_taken")
    return int(created)


async def broadcast(conn: Queryable, broadcast_id: int) -> Broadcast | None:
    """One broadcast."""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM broadcasts WHERE id = $1", broadcast_id)
    return Broadcast(**dict(row)) if row else None


async def broadcasts_inside(conn: Queryable, area: str, limit: int = 100) -> list[Broadcast]:
    """The latest broadcasts to `area` or inside it (an account's list)."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM broadcasts s WHERE {_INSIDE} ORDER BY id DESC LIMIT $2",
        area,
        limit,
    )
    return [Broadcast(**dict(r)) for r in rows]


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a broadcast's messages are due: from `first`, `per_second` of them, only inside the
    daily sending window that opens at `window_open` (the first day's) and lasts
    `window_seconds`."""

    first: datetime
    window_open: datetime
    window_seconds: int
    per_second: float


async def approve_and_queue(
    conn: Conn, broadcast_id: int, approver: str, schedule: Schedule, footers: dict[str, str]
) -> int:
    """A second account approves: lock the broadcast, refuse the author, a repeat or an empty
    area (BroadcastRefused), then queue one message per reachable subscriber, each in their
    language with the way to stop (`footers`, per language), due by `schedule`. Returns how many
    were queued."""
    async with conn.transaction():
        row = await conn.fetchrow(
            "SELECT area, body_id, body_en, author, status FROM broadcasts WHERE id = $1"
            " FOR UPDATE",
            broadcast_id,
        )
        if row is None:
            raise BroadcastRefused("broadcast_missing")
        if row["status"] != "pending":
            raise BroadcastRefused("broadcast_already_approved")
        if row["author"] == approver:
            raise BroadcastRefused("broadcast_self_approval")
        base = (schedule.first - schedule.window_open).total_seconds()
        status: str = await conn.execute(
            "INSERT INTO outbox (recipient_sealed, recipient_kind, body, cause, broadcast_id,"
            " subscriber_id, next_attempt_at, status)"
            " SELECT q.recipient_sealed, 'resident', CASE WHEN q.lang = 'en' THEN $3 ELSE $2 END,"
            " 'broadcast:' || $4::bigint, $4::bigint, q.id,"
            " $5::timestamptz + make_interval(days => q.d::int, secs => q.o - q.d * $7::float8),"
            " 'queued'"
            " FROM (SELECT p.*, floor(p.o / $7::float8) AS d FROM"
            "  (SELECT s.id, s.recipient_sealed, s.lang,"
            "   $6::float8 + (row_number() OVER (ORDER BY s.id) - 1) / $8::float8 AS o"
            f"   FROM subscribers s WHERE {_INSIDE} AND {_REACHABLE}) p) q",
            row["area"],
            f"{row['body_id']} {footers['id']}",
            f"{row['body_en']} {footers['en']}",
            broadcast_id,
            schedule.window_open,
            base,
            float(schedule.window_seconds),
            schedule.per_second,
        )
        queued = int(status.split()[-1])
        if queued == 0:
            raise BroadcastRefused("broadcast_empty_area")  # rolls the transaction back
        await conn.execute(
            "UPDATE broadcasts SET status = 'queued', approved_by = $2, approved_at = now(),"
            " recipients = $3, starts_at = $4 WHERE id = $1",
            broadcast_id,
            approver,
            queued,
            schedule.first,
        )
    return queued


async def delivery_figures(conn: Queryable, broadcast_id: int) -> dict[str, int]:
    """A broadcast's messages by outbox status (queued, sending, sent, delivered, failed, dead,
    cancelled), zeros included."""
    rows = await conn.fetch(
        "SELECT status, count(*) AS n FROM outbox WHERE broadcast_id = $1 GROUP BY status",
        broadcast_id,
    )
    figures = dict.fromkeys(
        ("queued", "sending", "sent", "delivered", "failed", "dead", "cancelled"), 0
    )
    figures.update({r["status"]: r["n"] for r in rows})
    return figures
