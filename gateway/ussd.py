"""
The USSD callback: Africa's Talking posts each hop here and shows our answer to the caller.

The answer is always 200 text/plain starting with 'CON ' or 'END ' (anything else makes AT drop
the caller silently); an unexpected error becomes a short END apology. This is the only module
that writes those prefixes. Structured hops need no database; only free-text hops write one row.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import TypeVar

import asyncpg
import structlog
from aiohttp import web

from gateway import keys
from gateway.forms import read_form
from storage.errors import StorageError
from storage.ussd_sessions import free_text_spans, record_free_text
from ussd_menus.machine import Hop, Machine, NeedSpans
from ussd_menus.model import AgencyLookup, Continue, End, Env, Screen

log = structlog.get_logger()
T = TypeVar("T")

WIB = timezone(timedelta(hours=7), "WIB")  # Kabupaten Serang's time; Indonesia has no DST
APOLOGY = End(
    "Maaf, layanan sedang gangguan. Coba lagi nanti.\n"
    "Sorry, the service has a problem. Please try again later."
)
# A real session is at most a few dozen hops; longer paths are abuse or a broken client.
MAX_PATH_CHARS = 2000
MAX_PATH_INPUTS = 200
_SPANS_CACHED = 20_000


class UssdService:
    """Answers hops: replays the path, and keeps free-text boundaries in PostgreSQL."""

    def __init__(
        self,
        machine: Machine,
        pool: asyncpg.Pool,
        agencies: Callable[[], AgencyLookup],
        db_timeout_s: float,
    ) -> None:
        self.machine = machine
        self.pool = pool
        self.agencies = agencies
        self.db_timeout_s = db_timeout_s
        # Free-text boundaries of recent sessions; a miss (another process served it) reads them.
        self._spans: OrderedDict[str, dict[int, int]] = OrderedDict()

    async def answer(self, session_id: str, text: str) -> Hop:
        """The screen for this hop."""
        env = Env(agencies=self.agencies(), today=datetime.now(WIB).date())
        spans = self._cached(session_id)
        hop = self.machine.hop(text, env, spans)
        if isinstance(hop, NeedSpans):
            spans.update(await self._db(free_text_spans(self.pool, session_id)))
            hop = self._complete(text, env, spans)
        if hop.new_span is not None:
            start, end = hop.new_span
            stored = await self._db(record_free_text(self.pool, session_id, start, end))
            spans[start] = stored
            if stored != end:  # another process recorded this hop first, differently
                spans.update(await self._db(free_text_spans(self.pool, session_id)))
                hop = self._complete(text, env, spans)
        return hop

    async def _db(self, query: Awaitable[T]) -> T:
        return await asyncio.wait_for(query, timeout=self.db_timeout_s)

    def _complete(self, text: str, env: Env, spans: dict[int, int]) -> Hop:
        hop = self.machine.hop(text, env, spans, spans_complete=True)
        assert isinstance(hop, Hop)  # with every span known, replay never asks again
        return hop

    def _cached(self, session_id: str) -> dict[int, int]:
        spans = self._spans.get(session_id)
        if spans is None:
            spans = self._spans[session_id] = {}
            if len(self._spans) > _SPANS_CACHED:
                self._spans.popitem(last=False)
        return spans


async def ussd_callback(request: web.Request) -> web.Response:
    """POST /at/ussd: one hop of a USSD session."""
    try:
        screen = await _hop(request)
    except web.HTTPRequestEntityTooLarge:
        raise
    except (StorageError, OSError, asyncpg.PostgresError, TimeoutError) as error:
        log.warning("ussd.database_unavailable", error=type(error).__name__)
        screen = APOLOGY
    except Exception:
        log.exception("ussd.hop_failed")
        screen = APOLOGY
    prefix = "CON " if isinstance(screen, Continue) else "END "
    return web.Response(text=prefix + screen.text, content_type="text/plain")


async def _hop(request: web.Request) -> Screen:
    form = await read_form(request)
    session_id = form.get("sessionId", "").strip()
    text = form.get("text", "")
    structlog.contextvars.bind_contextvars(
        session_id=session_id[:64], service_code=form.get("serviceCode", "")[:32]
    )
    if not session_id:
        log.warning("ussd.bad_request", missing="sessionId")
        return APOLOGY
    if len(text) > MAX_PATH_CHARS or text.count("*") >= MAX_PATH_INPUTS:
        log.warning("ussd.path_too_long", chars=len(text))
        return End(
            "Sesi terlalu panjang. Silakan mulai lagi.\nSession too long. Please dial again."
        )
    hop = await request.app[keys.USSD].answer(session_id, text)
    structlog.contextvars.bind_contextvars(ussd_node=hop.node)
    return hop.screen
