"""
Read-only queries for integrations: the JSON API's lists and details, and the metrics scrape.

Nothing here selects a recipient (sealed or an official's number) or an SMS body: the outbound
log is the delivery machinery's view of a message, not its content. A tip's content is read only
through `storage.tips.read_tip`, which audits the read; `tip_list` returns no content at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Queryable

OUTBOX_STATUSES = ("queued", "sending", "sent", "delivered", "failed", "dead", "held")


@dataclass(frozen=True, slots=True)
class DeliveryItem:
    """One outbound SMS as the delivery log shows it: no number, no body."""

    id: int
    status: str
    recipient_kind: str
    official_id: int | None
    cause: str
    attempts: int
    last_error: str
    provider_id: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class DeliveryEvent:
    """One step of an outbound SMS's timeline."""

    kind: str
    detail: str
    at: datetime


_DELIVERY_COLUMNS = (
    "id, status, recipient_kind, official_id, cause, attempts, last_error, provider_id,"
    " created_at, updated_at"
)


async def delivery_log(
    conn: Queryable, status: str | None, since: datetime | None, limit: int
) -> list[DeliveryItem]:
    """Outbound SMS changed at or after `since`, least recently changed first."""
    rows = await conn.fetch(
        f"SELECT {_DELIVERY_COLUMNS} FROM outbox"
        " WHERE ($1::text IS NULL OR status = $1)"
        " AND ($2::timestamptz IS NULL OR updated_at >= $2)"
        " ORDER BY updated_at, id LIMIT $3",
        status,
        since,
        limit,
    )
    return [DeliveryItem(**dict(r)) for r in rows]


async def delivery_item(conn: Queryable, outbox_id: int) -> DeliveryItem | None:
    """One outbound SMS by id."""
    row = await conn.fetchrow(f"SELECT {_DELIVERY_COLUMNS} FROM outbox WHERE id = $1", outbox_id)
    return DeliveryItem(**dict(row)) if row else None


async def delivery_events(conn: Queryable, outbox_id: int) -> list[DeliveryEvent]:
    """An outbound SMS's timeline, in order."""
    rows = await conn.fetch(
        "SELECT kind, detail, at FROM sms_events WHERE outbox_id = $1 ORDER BY id", outbox_id
    )
    return [DeliveryEvent(**dict(r)) for r in rows]


@dataclass(frozen=True, slots=True)
class TipSummary:
    """A tip without its content: what a list may show without an audited read."""

    receipt: str
    category: str
    kecamatan_code: str | None
    status: str
    channel: str
    created_at: datetime


async def tip_list(
    conn: Queryable,
    status: str | None,
    category: str | None,
    kecamatan_code: str | None,
    since: datetime | None,
    limit: int,
) -> list[TipSummary]:
    """Tips filed at or after `since`, oldest first."""
    rows = await conn.fetch(
        "SELECT receipt, category, kecamatan_code, status, channel, created_at FROM tips"
        " WHERE ($1::text IS NULL OR status = $1)"
        " AND ($2::text IS NULL OR category = $2)"
        " AND ($3::text IS NULL OR kecamatan_code = $3)"
        " AND ($4::timestamptz IS NULL OR created_at >= $4)"
        " ORDER BY created_at, id LIMIT $5",
        status,
        category,
        kecamatan_code,
        since,
        limit,
    )
    return [TipSummary(**dict(r)) for r in rows]


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    """One message of a tip's anonymous thread (the body is gone after retention)."""

    id: int
    author: str
    kind: str
    body: str | None
    reply_to: int | None
    created_at: datetime


async def tip_thread(conn: Queryable, receipt: str) -> list[ThreadMessage]:
    """A tip's thread, in order; read it only after an audited `read_tip` of the same tip."""
    rows = await conn.fetch(
        "SELECT m.id, m.author, m.kind, m.body, m.reply_to, m.created_at"
        " FROM tip_messages m JOIN tips t ON t.id = m.tip_id WHERE t.receipt = $1 ORDER BY m.id",
        receipt,
    )
    return [ThreadMessage(**dict(r)) for r in rows]


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
