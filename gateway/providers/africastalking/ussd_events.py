"""
Africa's Talking's USSD end-of-session notification (POST /at/ussd/events), parsed into the core's
`UssdSessionEnded`. AT's status words stay here; storage and metrics see ours.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from gateway import keys
from gateway.core.messages import FullPath, UssdEndStatus, UssdSessionEnded
from gateway.forms import read_form
from gateway.ussd import USSD
from gateway.ussd_events import record_session_end

STATUSES = {
    "Success": UssdEndStatus.COMPLETED,
    "Incomplete": UssdEndStatus.INCOMPLETE,
    "Failed": UssdEndStatus.FAILED,
}


def parse_session_end(form: dict[str, str]) -> UssdSessionEnded | str:
    """The notice AT posted, or what is wrong with it (answered 400)."""
    session_id = form.get("sessionId", "").strip()[:100]
    if not session_id:
        return "missing field: sessionId"
    raw = form.get("status", "").strip()
    status = STATUSES.get(raw)
    if status is None:
        return f"unknown status {raw[:30]!r}; accepted: {', '.join(STATUSES)}"
    return UssdSessionEnded(
        session_id=session_id,
        status=status,
        raw_status=raw,
        path=FullPath(form.get("input", "")[:2000]),
        hops=_int(form.get("hopsCount")),
        duration_ms=_int(form.get("durationInMillis")),
        network=form.get("networkCode", "")[:16],
        error=form.get("errorMessage", "")[:500],
        ended_at=_date(form.get("date", "")),
    )


async def ussd_events_callback(request: web.Request) -> web.Response:
    """POST /at/ussd/events: one session has ended."""
    ended = parse_session_end(await read_form(request))
    if isinstance(ended, str):
        return web.Response(status=400, text=ended + "\n")
    await record_session_end(request.app[USSD], request.app[keys.POOL], ended)
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
