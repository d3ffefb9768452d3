"""
Africa's Talking's end-of-session notifications, kept for the drop-off figures.

Only the outcome and the last menu step are kept: never the number, never the input path (it
may hold a tip's text).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Queryable


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """How a USSD session ended."""

    session_id: str
    status: str
    last_step: str
    hops: int | None
    duration_ms: int | None
    network_code: str
    error: str
    ended_at: datetime | None


async def record_session_event(conn: Queryable, event: SessionEvent) -> bool:
    """Record a session's end once; False for a repeated notification."""
    inserted = await conn.fetchval(
        "INSERT INTO ussd_session_events"
        " (session_id, status, last_step, hops, duration_ms, network_code, error, ended_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT (session_id) DO NOTHING RETURNING true",
        event.session_id,
        event.status,
        event.last_step,
        event.hops,
        event.duration_ms,
        event.network_code,
        event.error,
        event.ended_at,
    )
    return bool(inserted)
