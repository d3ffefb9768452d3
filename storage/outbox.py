"""
The SMS outbox: every outbound SMS is a row, written in the same transaction as its cause.

Recipients are sealed (encrypted) by the gateway before they get here; this module never sees a
phone number in clear. Sending is done by a worker (the alerts issue).
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Conn, Queryable


@dataclass(frozen=True, slots=True)
class QueuedSms:
    """An SMS to queue."""

    recipient_sealed: bytes
    recipient_kind: str
    body: str
    cause: str


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A queued SMS as stored."""

    id: int
    recipient_kind: str
    body: str
    cause: str
    status: str


async def enqueue_sms(conn: Conn, sms: QueuedSms, tip_id: int | None = None) -> int:
    """Queue one outbound SMS; call inside the transaction of its cause."""
    sms_id: int = await conn.fetchval(
        "INSERT INTO outbox (recipient_sealed, recipient_kind, body, cause, tip_id)"
        " VALUES ($1, $2, $3, $4, $5) RETURNING id",
        sms.recipient_sealed,
        sms.recipient_kind,
        sms.body,
        sms.cause,
        tip_id,
    )
    return sms_id


async def outbox_rows(conn: Queryable) -> list[OutboxRow]:
    """Every queued SMS, oldest first (for operators and tests)."""
    rows = await conn.fetch(
        "SELECT id, recipient_kind, body, cause, status FROM outbox ORDER BY id"
    )
    return [OutboxRow(**dict(r)) for r in rows]


async def record_inbound(conn: Conn, message_id: str, sender_key: bytes, keyword: str) -> bool:
    """Remember an inbound SMS by Africa's Talking's id; False when it was handled before."""
    inserted = await conn.fetchval(
        "INSERT INTO sms_inbound (id, sender_key, keyword) VALUES ($1, $2, $3)"
        " ON CONFLICT (id) DO NOTHING RETURNING true",
        message_id,
        sender_key,
        keyword,
    )
    return bool(inserted)
