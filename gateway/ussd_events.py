"""
The end of a USSD session, from any gateway: recorded once for the drop-off figures.

A gateway may repeat its notice; the session id makes a repeat change nothing. Neither the phone
number nor the input path is stored: the path is replayed only to learn the step the caller
ended on (a latest-input gateway sends no path: the core replays the one it kept).
"""

from __future__ import annotations

import asyncpg
import structlog

from gateway.core.messages import UssdSessionEnded
from gateway.ussd import UssdHops
from storage.ussd_events import SessionEvent, record_session_event

log = structlog.get_logger()


async def record_session_end(hops: UssdHops, pool: asyncpg.Pool, ended: UssdSessionEnded) -> bool:
    """Record how the session ended and on which step; False for a repeated notice."""
    path = await hops.sessions.path_of(ended.session_id, ended.path)
    last_step = await hops.last_step(ended.session_id, path)
    event = SessionEvent(
        session_id=ended.session_id,
        status=ended.status.value,
        last_step=last_step,
        hops=ended.hops,
        duration_ms=ended.duration_ms,
        network_code=ended.network,
        error=ended.error,
        ended_at=ended.ended_at,
    )
    new = await record_session_event(pool, event)
    log.info(
        "ussd.session_ended",
        status=event.status,
        raw_status=ended.raw_status,
        last_step=last_step,
        duplicate=not new,
    )
    if new:
        hops.metrics.ussd_sessions_ended.labels(event.status, last_step).inc()
    return new
