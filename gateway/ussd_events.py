"""
Africa's Talking's USSD end-of-session notification: recorded for the drop-off figures.

AT may repeat it; the session id makes a repeat change nothing. Neither the phone number nor the
input path is stored: the path is replayed only to learn the step the caller ended on.
"""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from aiohttp import web

from gateway import keys
from gateway.forms import read_form
from storage.ussd_events import SessionEvent, record_session_event

log = structlog.get_logger()
STATUSES = ("Success", "Incomplete", "Failed")


async def ussd_events_callback(request: web.Request) -> web.Response:
    """POST /at/ussd/events: one session has ended."""
    form = await read_form(request)
    session_id = form.get("sessionId", "").strip()[:100]
    if not session_id:
        return web.Response(status=400, text="missing field: sessionId\n")
    status = form.get("status", "").strip()
    if status not in STATUSES:
        return web.Response(
            status=400, text=f"unknown status {status[:30]!r}; accepted: {', '.join(STATUSES)}\n"
        )
    last_step = await request.app[keys.USSD].last_step(session_id, form.get("input", "")[:2000])
    event = SessionEvent(
        session_id=session_id,
        status=status,
        last_step=last_step,
        hops=_int(form.get("hopsCount")),
        duration_ms=_int(form.get("durationInMillis")),
        network_code=form.get("networkCode", "")[:16],
        error=form.get("errorMessage", "")[:500],
        ended_at=_date(form.get("date", "")),
    )
    new = await record_session_event(request.app[keys.POOL], event)
    log.info("ussd.session_ended", status=status, last_step=last_step, duplicate=not new)
    if new:
        request.app[keys.METRICS].ussd_sessions_ended.labels(status, last_step).inc()
    return web.Response(text="")


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def _date(raw: str) -> datetime | None:
    """AT sends 'YYYY-MM-DD HH:MM:SS' (UTC), sometimes ISO with a T and Z."""
    try:
        parsed = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
