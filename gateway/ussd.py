"""
The USSD callback: Africa's Talking posts each hop here and shows our answer to the caller.

The answer is always 200 text/plain starting with 'CON ' or 'END ' (anything else makes AT drop
the caller silently); an unexpected error becomes a short END apology. This is the only module
that writes those prefixes. Structured hops touch no database; the replay asks for what it needs
(free-text boundaries, a draft, a tip's status) and the effects it wants carried out (filing a
report, answering a question), and this module does exactly that, then replays again.

A hop waits for PostgreSQL at most HOTLINE_DB_TIMEOUT_S, even when the server hangs: the work it
gave up on is cancelled and left to finish its cleanup (a rollback, asyncpg's cancel request) in
the background, since waiting for that cleanup is waiting for the hung server.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import asyncpg
import structlog
from aiohttp import web

from gateway import keys
from gateway.abuse import LookupsPaused, guarded_tip_status
from gateway.agency_index import name_key
from gateway.alerting import alert_text
from gateway.forms import read_form
from gateway.identity import Identity
from gateway.metrics import Metrics
from gateway.phones import PHONE_PATTERN
from storage.agency_checks import record_agency_check
from storage.db import DATABASE_ERRORS
from storage.drafts import report_context, save_draft
from storage.errors import StorageError
from storage.outbox import QueuedSms
from storage.tips import (
    Filed,
    Limited,
    NewTip,
    TipStatus,
    answer_question,
    file_tip,
    recent_tip_count,
)
from storage.ussd_sessions import free_text_spans, record_free_text
from ussd_menus import sms
from ussd_menus.machine import Act, Hop, Machine, Need
from ussd_menus.model import (
    AgencyLookup,
    AnswerQuestion,
    Continue,
    Effect,
    End,
    Env,
    Frame,
    Kecamatan,
    Lang,
    Screen,
    SubmitReport,
)
from ussd_menus.receipts import new_receipt, show_receipt
from ussd_menus.report import (
    ReportContext,
    frames_to_json,
    load_report,
    report_frames,
    resume_frames,
)
from ussd_menus.texts import t

log = structlog.get_logger()
T = TypeVar("T")

WIB = timezone(timedelta(hours=7), "WIB")  # Kabupaten Serang's time; Indonesia has no DST
APOLOGY = End(
    "Maaf, layanan sedang gangguan. Coba lagi nanti.\n"
    "Sorry, the service has a problem. Please try again later."
)
FLOODED = End(
    "Terlalu banyak permintaan dari nomor ini. Coba lagi beberapa menit lagi.\n"
    "Too many requests from this number. Please try again in a few minutes."
)
RECEIPTS_BUSY = End(
    "Maaf, cek nomor laporan sedang dibatasi. Coba lagi beberapa jam lagi.\n"
    "Sorry, report checks are limited now. Please try again in a few hours."
)
TOO_MANY_MISSES = End(
    "Nomor laporan tidak ditemukan 3 kali. Sesi diakhiri.\n"
    "Report number not found 3 times. Session ended."
)
# Unknown receipts one session may try before it is ended (guessing codes is the attack).
MAX_RECEIPT_MISSES = 3
# A person answers a hop every few seconds; far more from one number is a script or a fault.
FLOOD_HOPS_PER_MINUTE = 60
# A real session is at most a few dozen hops; longer paths are abuse or a broken client.
MAX_PATH_CHARS = 2000
MAX_PATH_INPUTS = 200
# Each replay round loads one missing thing; a handful always suffices.
MAX_ROUNDS = 8
_SESSIONS_CACHED = 20_000
_ANSWERS_CACHED = 10_000
# Where a typed agency check lands; the name typed is recorded for the console's charts.
CHECK_RESULTS = frozenset({"check_none", "check_list", "check_detail"})


class ReportNotFiled(Exception):
    """The database failed the hop that sends a report; its draft is kept for a redial."""

    def __init__(self, lang: Lang, draft_minutes: int) -> None:
        super().__init__("report not filed")
        self.lang = lang
        self.draft_minutes = draft_minutes


@dataclass(frozen=True, slots=True)
class TipRules:
    """Limits for filing tips."""

    per_hour: int
    agency_flag_per_day: int
    draft_minutes: int
    flood_per_minute: int | None = None
    receipt_misses_per_hour: int = 50


class UssdService:
    """Answers hops: replays the path, loads what the replay asks for, carries out effects."""

    def __init__(
        self,
        machine: Machine,
        pool: asyncpg.Pool,
        agencies: Callable[[], AgencyLookup],
        kecamatan: tuple[Kecamatan, ...],
        identity: Identity,
        rules: TipRules,
        db_timeout_s: float,
        metrics: Metrics | None = None,
        state_pool: asyncpg.Pool | None = None,
    ) -> None:
        self.machine = machine
        self.pool = pool
        # Session state (free-text boundaries, drafts) is written without waiting for the disk:
        # it lives minutes, and a hop must answer fast. Tips use `pool`, fully durable.
        self.state_pool = state_pool or pool
        self.agencies = agencies
        self.kecamatan = kecamatan
        self.identity = identity
        self.rules = rules
        self.db_timeout_s = db_timeout_s
        self.metrics = metrics if metrics is not None else Metrics()
        # Recent sessions as this process saw them; a miss (another process served the previous
        # hop) costs one read of the stored spans, and only when the path is ambiguous.
        self._sessions: OrderedDict[str, _Session] = OrderedDict()
        self.flood_guard = FloodGuard(FLOOD_HOPS_PER_MINUTE, 60.0)
        # Answers that depend on nothing but the path: a radio campaign sends thousands of callers
        # down the same menus, so most hops are answered without replaying at all.
        self._answers: OrderedDict[tuple[object, ...], Hop] = OrderedDict()
        self._answers_for: object = None
        # Database work a hop gave up on, still cleaning up; kept so it is not garbage-collected.
        self._abandoned: set[asyncio.Future[Any]] = set()

    async def answer(self, session_id: str, phone: str, text: str) -> Hop:
        """The screen for this hop; ReportNotFiled when the database fails the hop that sends a
        report whose draft a redial can resume."""
        try:
            return await self._answer(session_id, phone, text)
        except _UNAVAILABLE as error:
            lang = self._sends_report(session_id, text)
            if lang is None or self.identity.reporter_key(phone) is None:
                raise
            raise ReportNotFiled(lang, self.rules.draft_minutes) from error

    def _sends_report(self, session_id: str, text: str) -> Lang | None:
        """The language of the report this hop sends, if it is the sending hop; replayed from this
        process's memory only (no database: it just failed)."""
        env = Env(
            agencies=self.agencies(),
            today=datetime.now(WIB).date(),
            kecamatan=self.kecamatan,
            session_id=session_id,
            facts=_Unknown(),  # every load succeeds, so the replay runs through the effect
        )
        session = self._session(session_id)
        hop = self.machine.hop(
            text,
            env,
            dict(session.spans),
            spans_complete=False,
            current_start=session.start_of(text),
        )
        return hop.lang if isinstance(hop, Hop) and hop.node == "report_done" else None

    async def _answer(self, session_id: str, phone: str, text: str) -> Hop:
        session = self._session(session_id)
        resent = text == session.last_text
        current = session.start_of(text)
        spans = session.spans
        agencies = self.agencies()
        today = datetime.now(WIB).date()
        if agencies is not self._answers_for:
            self._answers.clear()
            self._answers_for = agencies
        key = (text, current, tuple(sorted(spans.items())), today)
        known = self._answers.get(key)
        if known is not None:
            session.last_text, session.current_start = text, current
            if known.node in CHECK_RESULTS and not resent:
                await self._note_check(known, text, current, agencies)
            return known
        complete = False
        facts: dict[tuple[str, str], object] = {}
        reporter = _Lazy(lambda: self.identity.reporter_key(phone))
        for _ in range(MAX_ROUNDS):
            env = Env(
                agencies=agencies,
                today=today,
                kecamatan=self.kecamatan,
                session_id=session_id,
                facts=facts,
            )
            hop = self.machine.hop(text, env, spans, spans_complete=complete, current_start=current)
            if isinstance(hop, Need):
                if hop.kind == "spans":
                    spans.update(await self._db(free_text_spans(self.pool, session_id)))
                    complete = True
                else:
                    facts[(hop.kind, hop.key)] = await self._load(hop, reporter(), session_id)
                continue
            if hop.new_span is not None and not await self._record(session_id, hop.new_span):
                spans.update(await self._db(free_text_spans(self.pool, session_id)))
                complete = True
                continue
            spans.update([hop.new_span] if hop.new_span else [])
            if isinstance(hop, Act):
                facts[("outcome", "")] = await self._perform(
                    hop.effect, session_id, phone, reporter(), hop.lang
                )
                continue
            frames = report_frames(hop.stack)
            pseudonym = reporter() if frames is not None else None
            if frames is not None and pseudonym is not None:
                await self._keep_draft(frames, pseudonym, session_id, facts)
            if not facts and not complete and hop.new_span is None and frames is None:
                self._answers[key] = hop
                if len(self._answers) > _ANSWERS_CACHED:
                    self._answers.popitem(last=False)
            session.last_text, session.current_start = text, current
            if hop.node in CHECK_RESULTS and not resent:
                await self._note_check(hop, text, current, agencies)
            return hop
        raise RuntimeError("USSD replay did not settle")

    async def last_step(self, session_id: str, path: str) -> str:
        """The menu step a finished session ended on, replayed without loading or doing anything."""
        spans = dict(self._session(session_id).spans)
        env = Env(
            agencies=self.agencies(),
            today=datetime.now(WIB).date(),
            kecamatan=self.kecamatan,
            session_id=session_id,
            facts=_Unknown(),
        )
        hop = self.machine.hop(path, env, spans, spans_complete=False)
        if isinstance(hop, Need):  # only spans can be missing here
            spans.update(await self._db(free_text_spans(self.pool, session_id)))
            hop = self.machine.hop(path, env, spans, spans_complete=True)
        return hop.node if isinstance(hop, Hop) else "unknown"

    async def _note_check(
        self, hop: Hop, text: str, current: int | None, agencies: AgencyLookup
    ) -> None:
        """Record the name a resident has just typed into the agency check, and whether it was
        found. Only the hop that typed it counts (not paging, a wrong key or AT's resend); a
        phone number typed by mistake is not kept. A database problem never fails the check."""
        if len(hop.stack) < 2 or hop.stack[-2].node != "check":
            return
        typed = text[current:] if current is not None else text.rsplit("*", 1)[-1]
        query = " ".join(typed.split())
        arg = hop.stack[-1].arg
        if hop.node == "check_detail":
            matches = agencies.search(query)
            fresh = len(matches) == 1 and matches[0].licence_number == arg
        else:
            fresh = query == arg
        if not fresh or PHONE_PATTERN.search(query):
            return
        found = hop.node != "check_none"
        try:
            await self._db(
                record_agency_check(self.state_pool, name_key(query) or query, query, found)
            )
        except DATABASE_ERRORS as error:
            log.warning("ussd.check_not_recorded", error=type(error).__name__)

    async def _record(self, session_id: str, span: tuple[int, int]) -> bool:
        """Store a free-text boundary; False if another process stored a different one."""
        start, end = span
        stored = await self._db(record_free_text(self.state_pool, session_id, start, end))
        return stored == end

    async def _load(self, need: Need, reporter: bytes | None, session_id: str) -> object:
        if need.kind == "tip":
            return await self._lookup_receipt(session_id, need.key)
        if need.kind != "report":
            raise ValueError(f"unknown fact {need.kind!r}")
        if reporter is None:  # no usable number: no draft to resume, one limit shared by all
            shared = await self._db(recent_tip_count(self.pool, None, 1))
            limited = self.rules.per_hour if shared >= self.rules.per_hour else None
            return ReportContext(resume=None, filed_receipt=None, limited_at=limited)
        found = await self._db(
            report_context(self.pool, reporter, _source(session_id), self.rules.draft_minutes)
        )
        draft = found.draft
        return ReportContext(
            resume=resume_frames(draft.session_id, draft.base_state, draft.state, session_id)
            if draft
            else None,
            filed_receipt=found.filed_receipt,
            limited_at=self.rules.per_hour if found.recent_tips >= self.rules.per_hour else None,
        )

    async def _lookup_receipt(self, session_id: str, receipt: str) -> TipStatus | None:
        """A tip's status under the global failed-lookup budget; a session that misses
        MAX_RECEIPT_MISSES different receipts is ended (TooManyMisses). Each replay looks its
        receipts up again, so a receipt this session already missed is not counted twice."""
        session = self._session(session_id)
        first_miss = receipt not in session.missed

        async def lookup() -> TipStatus | None:
            # Acquire and release inside the deadline too: releasing resets the connection,
            # which waits on a hung server as long as the query would.
            async with self.pool.acquire() as conn:
                return await guarded_tip_status(
                    conn, receipt, self.rules.receipt_misses_per_hour, count_miss=first_miss
                )

        status = await self._db(lookup())
        if status is None:
            session.missed.add(receipt)
            if len(session.missed) >= MAX_RECEIPT_MISSES:
                raise TooManyMisses
        return status

    async def _perform(
        self, effect: Effect, session_id: str, phone: str, reporter: bytes | None, lang: Lang
    ) -> str:
        source = _source(session_id)
        if isinstance(effect, AnswerQuestion):
            done = await self._db(
                answer_question(self.pool, effect.receipt, effect.question_id, effect.text, source)
            )
            log.info("tips.answer_received", stored=done)
            return "ok" if done else "unknown"
        assert isinstance(effect, SubmitReport)
        report = load_report(effect.report)
        agency_name = report.get("a")
        tip = NewTip(
            channel="ussd",
            source_ref=source,
            reporter_key=reporter,
            category=str(report.get("c", "lainnya")),
            description=str(report.get("t", "")),
            kecamatan_code=report.get("k"),
            desa=report.get("d"),
            agency_licence=report.get("l"),
            agency_name=agency_name,
            agency_key=report.get("l") or (name_key(agency_name) if agency_name else None),
            lang=lang,
        )

        def receipt_sms(receipt: str) -> QueuedSms | None:
            if not effect.send_sms or reporter is None:
                return None
            return QueuedSms(
                recipient_sealed=self.identity.seal(phone),
                recipient_kind="resident",
                body=sms.say("receipt", lang, receipt=show_receipt(receipt), code=receipt),
                cause=f"receipt:{source}",
            )

        async def file() -> Filed | Limited:
            # Acquiring and releasing are database work too: both stay inside the deadline.
            async with self.pool.acquire() as conn:
                return await file_tip(
                    conn,
                    tip,
                    new_receipt,
                    per_hour=self.rules.per_hour,
                    flag_threshold=self.rules.agency_flag_per_day,
                    sms=receipt_sms,
                    alert=alert_text,
                    flood_per_minute=self.rules.flood_per_minute,
                )

        filed = await self._db(file())
        if isinstance(filed, Limited):
            log.info("tips.rate_limited", channel="ussd")
            return f"limited:{filed.limit}"
        log.info("tips.filed", channel="ussd", category=tip.category, created=filed.created)
        if filed.held:
            log.warning("alerts.flood_held", tip_id=filed.tip_id, alerts=filed.held, alarm=True)
        if filed.created:
            self.metrics.tips_filed.labels(tip.category, "ussd").inc()
        return filed.receipt

    async def _keep_draft(
        self,
        frames: tuple[Frame, ...],
        reporter: bytes,
        session_id: str,
        facts: dict[tuple[str, str], object],
    ) -> None:
        context = facts.get(("report", ""))
        resumed = context.resume if isinstance(context, ReportContext) else None
        base = frames_to_json(resumed) if resumed else None
        await self._db(
            save_draft(self.state_pool, reporter, session_id, base, frames_to_json(frames))
        )

    async def _db(self, query: Awaitable[T]) -> T:
        """The query's result, or TimeoutError at the deadline however long its cleanup takes.

        asyncio.wait_for would wait for the cancelled query to clean up, and with a hung server
        that is until TCP or asyncpg's command timeout gives up (20-60 s, past AT's ~10 s hop)."""
        task = asyncio.ensure_future(query)
        try:
            done, _ = await asyncio.wait({task}, timeout=self.db_timeout_s)
        except asyncio.CancelledError:  # the caller went away: do not leave the query running
            self._abandon(task)
            raise
        if not done:
            self._abandon(task)
            raise TimeoutError(f"no answer from the database within {self.db_timeout_s} s")
        return task.result()

    def _abandon(self, task: asyncio.Future[T]) -> None:
        """Cancel work the hop no longer waits for; it cleans up in the background."""
        task.cancel()
        self._abandoned.add(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Future[Any]) -> None:
        self._abandoned.discard(task)
        if not task.cancelled() and task.exception() is not None:  # retrieved: no asyncio warning
            log.info("ussd.abandoned_query_failed", error=type(task.exception()).__name__)

    def _session(self, session_id: str) -> _Session:
        session = self._sessions.get(session_id)
        if session is None:
            session = self._sessions[session_id] = _Session()
            if len(self._sessions) > _SESSIONS_CACHED:
                self._sessions.popitem(last=False)
        return session


@dataclass(slots=True)
class _Session:
    """What this process saw of a session: recorded spans and the previous hop's path."""

    spans: dict[int, int] = field(default_factory=dict)
    last_text: str | None = None
    current_start: int | None = None
    missed: set[str] = field(default_factory=set)  # receipts looked up and not found

    def start_of(self, text: str) -> int | None:
        """Where this hop's own input begins, if the previous hop came through here."""
        if self.last_text is None:
            return None
        if text == self.last_text:  # AT resent the hop
            return self.current_start
        if self.last_text == "":  # the first input follows the dial directly, or hops were missed
            return 0 if "*" not in text else None
        if text.startswith(self.last_text + "*"):
            # Exactly one new input; a '*' in it could also mean hops served elsewhere.
            start = len(self.last_text) + 1
            return start if "*" not in text[start:] else None
        return None


class TooManyMisses(Exception):
    """This session has tried MAX_RECEIPT_MISSES unknown receipts."""


class FloodGuard:
    """Hops per number in a sliding window, in this process's memory only (never stored)."""

    def __init__(self, limit: int, window_s: float, tracked: int = 50_000) -> None:
        self.limit = limit
        self.window_s = window_s
        self.tracked = tracked
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def allow(self, phone: str) -> bool:
        """Count a hop from this number; False once it is over the limit."""
        now = time.monotonic()
        times = self._seen.get(phone)
        if times is None:
            times = self._seen[phone] = deque()
            if len(self._seen) > self.tracked:
                self._seen.popitem(last=False)
        while times and now - times[0] > self.window_s:
            times.popleft()
        times.append(now)
        return len(times) <= self.limit


class _Lazy:
    """A reporter key computed on first use: most hops never need it."""

    def __init__(self, compute: Callable[[], bytes | None]) -> None:
        self._compute = compute
        self._done = False
        self._value: bytes | None = None

    def __call__(self) -> bytes | None:
        if not self._done:
            self._value, self._done = self._compute(), True
        return self._value


def _source(session_id: str) -> str:
    """What makes a USSD session's tip (and answers) idempotent."""
    return f"ussd:{session_id}"


class _Unknown(dict[tuple[str, str], object]):
    """Facts for a replay that must not load anything: nothing is known, an effect succeeded."""

    def __missing__(self, key: tuple[str, str]) -> object:
        if key == ("report", ""):
            return ReportContext(resume=None, filed_receipt=None, limited_at=None)
        return "000000000" if key == ("outcome", "") else None

    def __contains__(self, key: object) -> bool:
        return True


_UNAVAILABLE: tuple[type[BaseException], ...] = (StorageError, *DATABASE_ERRORS)


async def ussd_callback(request: web.Request) -> web.Response:
    """POST /at/ussd: one hop of a USSD session."""
    started = time.perf_counter()
    try:
        screen = await _hop(request)
    except web.HTTPRequestEntityTooLarge:
        raise
    except ReportNotFiled as failed:
        log.warning("ussd.report_not_filed", error=type(failed.__cause__).__name__)
        screen = End(t("report.not_filed", failed.lang, minutes=failed.draft_minutes))
    except _UNAVAILABLE as error:
        log.warning("ussd.database_unavailable", error=type(error).__name__)
        screen = APOLOGY
    except Exception:
        log.exception("ussd.hop_failed")
        screen = APOLOGY
    prefix = "CON " if isinstance(screen, Continue) else "END "
    request.app[keys.METRICS].ussd_hop_seconds.observe(time.perf_counter() - started)
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
    service = request.app[keys.USSD]
    phone = form.get("phoneNumber", "")
    if not service.flood_guard.allow(phone):
        log.warning("ussd.flood_limited")
        return FLOODED
    try:
        hop = await service.answer(session_id, phone, text)
    except LookupsPaused:
        return RECEIPTS_BUSY
    except TooManyMisses:
        log.warning("receipts.session_ended", misses=MAX_RECEIPT_MISSES)
        return TOO_MANY_MISSES
    structlog.contextvars.bind_contextvars(ussd_node=hop.node)
    return hop.screen
