"""
USSD hop handling, the same for every gateway: a provider adapter parses its request into a
`UssdHop`, `UssdHops.answer` returns the screen (`Continue` / `End`), the adapter renders it.

A hop reads one way: locate its input in the session's path (gateway.ussd_sessions) -> replay the
path through the menus (ussd_menus, pure) -> load what the replay asks for and carry out the
effects it asks for (gateway.ussd_desk, through the use cases every channel shares) and replay
again -> the answer. Structured hops touch no database; answers that depend on nothing but the
path are cached (a radio campaign sends thousands of callers down the same menus).

Every outcome is a screen: a database that fails or hangs past HOTLINE_DB_TIMEOUT_S gives a
polite END (or, on the hop that sends a report, the promise that a redial resumes its draft).
"""

from __future__ import annotations

import struct
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import structlog
from aiohttp import web

from gateway import logs
from gateway.abuse import LookupsPaused
from gateway.core.messages import UssdHop
from gateway.identity import Identity
from gateway.metrics import Metrics
from gateway.ussd_desk import MAX_RECEIPT_MISSES, HopDesk, TooManyMisses
from gateway.ussd_sessions import Located, Session, SessionPaths
from storage.areas import desa_by_code
from storage.db import DATABASE_ERRORS
from storage.errors import StorageError
from ussd_menus.machine import Act, Hop, Machine, Need
from ussd_menus.model import AgencyLookup, Desa, End, Env, Kecamatan, Lang, Screen
from ussd_menus.officials import OFFICIAL_FACT
from ussd_menus.report import report_frames
from ussd_menus.texts import t

log = structlog.get_logger()

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
TOO_LONG = End("Sesi terlalu panjang. Silakan mulai lagi.\nSession too long. Please dial again.")
# A person answers a hop every few seconds; far more from one number is a script or a fault.
FLOOD_HOPS_PER_MINUTE = 60
# A real session is at most a few dozen hops; longer paths are abuse or a broken client.
MAX_PATH_CHARS = 2000
MAX_PATH_INPUTS = 200
# Each replay round loads one missing thing; a handful always suffices.
MAX_ROUNDS = 8
_ANSWERS_CACHED = 10_000
_TIME = struct.Struct("d")  # a monotonic time in the flood guard
# Where a typed agency check lands; the name typed is recorded for the console's charts.
CHECK_RESULTS = frozenset({"check_none", "check_list", "check_detail"})
_UNAVAILABLE: tuple[type[BaseException], ...] = (StorageError, *DATABASE_ERRORS)


@dataclass(frozen=True, slots=True)
class HopAnswer:
    """The screen for a hop and the menu step it shows ('' when no menu was reached)."""

    screen: Screen
    node: str = ""


class ReportNotFiled(Exception):
    """The database failed the hop that sends a report; its draft is kept for a redial."""

    def __init__(self, lang: Lang) -> None:
        super().__init__("report not filed")
        self.lang = lang


@dataclass(frozen=True, slots=True)
class UssdMenus:
    """The menus and what they read that is not a fact: the registry (it may be reloaded), the
    kecamatan and their desa."""

    machine: Machine
    agencies: Callable[[], AgencyLookup]
    kecamatan: tuple[Kecamatan, ...]
    service_code: str = ""  # HOTLINE_USSD_CODE, for the way back the receipt screens give
    desa: tuple[Desa, ...] = ()

    def env(
        self,
        session_id: str,
        facts: dict[tuple[str, str], object],
        *,
        agencies: AgencyLookup | None = None,
        assume: bool = False,
    ) -> Env:
        """What a replay reads (`assume`: load nothing, take every missing fact as assumed)."""
        return Env(
            agencies=agencies if agencies is not None else self.agencies(),
            today=datetime.now(WIB).date(),
            kecamatan=self.kecamatan,
            desa=self.desa,
            session_id=session_id,
            service_code=self.service_code,
            facts=facts,
            assume=assume,
        )


def menu_desa() -> tuple[Desa, ...]:
    """The shipped desa list (storage.areas) as the menus and place detection read it, by
    name."""
    found = (Desa(d.code, d.name, d.kecamatan_code) for d in desa_by_code().values())
    return tuple(sorted(found, key=lambda d: (d.name, d.code)))


class AnswerCache:
    """Hops whose answer depends on nothing but the path, for the registry they were read from."""

    def __init__(self, size: int = _ANSWERS_CACHED) -> None:
        self.size = size
        self._answers: OrderedDict[tuple[object, ...], Hop] = OrderedDict()
        self._for: object = None

    def __len__(self) -> int:
        return len(self._answers)

    def get(self, key: tuple[object, ...], agencies: object) -> Hop | None:
        """The cached answer; a new registry empties the cache."""
        if agencies is not self._for:
            self._answers.clear()
            self._for = agencies
        return self._answers.get(key)

    def put(self, key: tuple[object, ...], hop: Hop) -> None:
        """Keep an answer, forgetting the oldest past the size."""
        self._answers[key] = hop
        if len(self._answers) > self.size:
            self._answers.popitem(last=False)


class FloodGuard:
    """Hops per number in a sliding window, in this process's memory only (never stored).

    Each number's times are packed into bytes, an object the garbage collector never walks: with
    50,000 numbers in deques, a full collection paused every hop in flight for about 40 ms.
    Only the newest limit + 1 times are kept: there are more than `limit` hops in the window
    exactly when the oldest of those is still in it, so a number flooding for minutes costs no
    more than one at the limit.
    """

    def __init__(self, limit: int, window_s: float, tracked: int = 50_000) -> None:
        self.limit = limit
        self.window_s = window_s
        self.tracked = tracked
        self._seen: OrderedDict[str, bytes] = OrderedDict()

    def allow(self, phone: str) -> bool:
        """Count a hop from this number; False once it is over the limit."""
        now = time.monotonic()
        times = self._seen.get(phone)
        if times is None and len(self._seen) >= self.tracked:
            self._seen.popitem(last=False)
        times = (times or b"") + _TIME.pack(now)
        count = len(times) // _TIME.size
        first = max(0, count - self.limit - 1)
        while now - _TIME.unpack_from(times, first * _TIME.size)[0] > self.window_s:
            first += 1
        self._seen[phone] = times[first * _TIME.size :]
        return count - first <= self.limit


class UssdHops:
    """Answers hops: locate, replay, load and act, answer."""

    def __init__(
        self, menus: UssdMenus, sessions: SessionPaths, desk: HopDesk, identity: Identity
    ) -> None:
        self.menus = menus
        self.sessions = sessions
        self.desk = desk
        self.identity = identity
        self.metrics: Metrics = desk.metrics
        self.answers = AnswerCache()
        self.flood_guard = FloodGuard(FLOOD_HOPS_PER_MINUTE, 60.0)

    async def answer(self, hop: UssdHop) -> HopAnswer:
        """The screen for this hop; every failure becomes a screen too."""
        started = time.perf_counter()
        logs.bind(session_id=hop.session_id[:64], service_code=hop.service_code[:32])
        try:
            answer = await self._screen(hop)
        except ReportNotFiled as failed:
            log.warning("ussd.report_not_filed", error=type(failed.__cause__).__name__)
            minutes = self.desk.rules.draft_minutes
            answer = HopAnswer(End(t("report.not_filed", failed.lang, minutes=minutes)))
        except _UNAVAILABLE as error:
            log.warning("ussd.database_unavailable", error=type(error).__name__)
            answer = HopAnswer(APOLOGY)
        if answer.node:
            logs.bind(ussd_node=answer.node)
        self.metrics.ussd_hop_seconds.observe(time.perf_counter() - started)
        return answer

    async def _screen(self, hop: UssdHop) -> HopAnswer:
        sent = hop.input.text
        if len(sent) > MAX_PATH_CHARS or sent.count("*") >= MAX_PATH_INPUTS:
            log.warning("ussd.path_too_long", chars=len(sent))
            return HopAnswer(TOO_LONG)
        if not self.flood_guard.allow(hop.phone):
            log.warning("ussd.flood_limited")
            return HopAnswer(FLOODED)
        located = await self.sessions.locate(hop)
        if len(located.path) > MAX_PATH_CHARS or located.path.count("*") >= MAX_PATH_INPUTS:
            log.warning("ussd.path_too_long", chars=len(located.path))
            return HopAnswer(TOO_LONG)
        try:
            answered = await self._replay(hop, located)
        except LookupsPaused:
            return HopAnswer(RECEIPTS_BUSY)
        except TooManyMisses:
            log.warning("receipts.session_ended", misses=MAX_RECEIPT_MISSES)
            return HopAnswer(TOO_MANY_MISSES)
        except _UNAVAILABLE as error:
            lang = self._sends_report(hop, located)
            if lang is None or self.identity.reporter_key(hop.phone) is None:
                raise
            raise ReportNotFiled(lang) from error
        return HopAnswer(answered.screen, answered.node)

    def _sends_report(self, hop: UssdHop, located: Located) -> Lang | None:
        """The language of the report this hop sends, if it is the sending hop; replayed from this
        process's memory only (no database: it just failed)."""
        session = self.sessions.session(hop.session_id)
        replayed = self.menus.machine.hop(
            located.path,
            self.menus.env(hop.session_id, session.known_facts(), assume=True),
            dict(session.spans),
            spans_complete=False,
            current_start=located.current,
        )
        if isinstance(replayed, Hop) and replayed.node == "report_done":
            return replayed.lang
        return None

    async def _replay(self, hop: UssdHop, located: Located) -> Hop:
        session_id, text, current = hop.session_id, located.path, located.current
        session = self.sessions.session(session_id)
        spans = session.spans
        complete = False
        if located.spans_stale:  # another process served the previous hop: read its spans
            await self.sessions.stored_spans(session_id)
            complete = True
        agencies = self.menus.agencies()
        # Whether the caller is an official, once the session knows: part of what an answer
        # depends on (an official's main menu has one more option).
        self.desk.settle_resident(hop.phone, session)
        session_facts = session.known_facts()
        official = session_facts.get(("official", ""))
        key = (text, current, tuple(sorted(spans.items())), datetime.now(WIB).date(), official)
        known = self.answers.get(key, agencies)
        if known is not None:
            self.sessions.remember(session_id, located)
            self._note_check(known, located, agencies)
            return known
        facts: dict[tuple[str, str], object] = dict(session_facts)
        failed: BaseException | None = None  # the officials lookup's database error, if any
        reporter = _Lazy(lambda: self.identity.reporter_key(hop.phone))
        for _ in range(MAX_ROUNDS):
            env = self.menus.env(session_id, facts, agencies=agencies)
            replayed = self.menus.machine.hop(
                text, env, spans, spans_complete=complete, current_start=current
            )
            if isinstance(replayed, Need):
                if replayed.kind == "spans":
                    await self.sessions.stored_spans(session_id)
                    complete = True
                elif replayed.kind == OFFICIAL_FACT:
                    facts[(OFFICIAL_FACT, "")], failed = await self._official(hop, session)
                else:
                    if failed is not None:  # the database failed this hop already: no 2nd wait
                        raise failed
                    facts[(replayed.kind, replayed.key)] = await self.desk.load(
                        replayed, reporter(), session_id, session, hop.phone
                    )
                continue
            span = replayed.new_span
            if span is not None and not await self.sessions.record(session_id, span):
                await self.sessions.stored_spans(session_id)
                complete = True
                continue
            if span is not None:
                spans[span[0]] = span[1]
            if isinstance(replayed, Act):
                if failed is not None:
                    raise failed
                facts[("outcome", "")] = await self.desk.perform(
                    replayed.effect, session_id, hop.phone, reporter(), replayed.lang, session
                )
                continue
            frames = report_frames(replayed.stack)
            pseudonym = reporter() if frames is not None else None
            if frames is not None and pseudonym is not None:
                context = facts.get(("report", ""))
                await self.desk.keep_draft(frames, pseudonym, session_id, context)
            if (
                facts.keys() <= session_facts.keys()
                and not complete
                and span is None
                and frames is None
            ):
                self.answers.put(key, replayed)
            self.sessions.remember(session_id, located)
            self._note_check(replayed, located, agencies)
            return replayed
        raise RuntimeError("USSD replay did not settle")

    async def _official(self, hop: UssdHop, session: Session) -> tuple[bool, BaseException | None]:
        """Whether the caller is an official (looked up once per session). The residents' menus
        must not depend on the database: when the lookup fails, this hop gets the residents'
        menu (and the next hop looks again), and the error is kept so that anything else this
        hop needs from the database fails at once instead of waiting a second time."""
        try:
            return await self.desk.official_id(hop.phone, session) is not None, None
        except _UNAVAILABLE as error:
            log.warning("ussd.official_lookup_failed", error=type(error).__name__)
            return False, error

    def _note_check(self, hop: Hop, located: Located, agencies: AgencyLookup) -> None:
        """Hand a freshly typed agency check to the desk (never a resend)."""
        if hop.node not in CHECK_RESULTS or located.resent:
            return
        text, current = located.path, located.current
        typed = text[current:] if current is not None else text.rsplit("*", 1)[-1]
        self.desk.note_check(hop, typed, agencies)

    async def last_step(self, session_id: str, path: str) -> str:
        """The menu step a finished session ended on, replayed without loading or doing anything."""
        session = self.sessions.session(session_id)
        spans = dict(session.spans)
        env = self.menus.env(session_id, session.known_facts(), assume=True)
        replayed = self.menus.machine.hop(path, env, spans, spans_complete=False)
        if isinstance(replayed, Need):  # only spans can be missing here
            spans.update(await self.sessions.stored_spans(session_id))
            replayed = self.menus.machine.hop(path, env, spans, spans_complete=True)
        return replayed.node if isinstance(replayed, Hop) else "unknown"


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


# The app's hop handler; the key lives next to what it holds (gateway.keys imports nothing of ours).
USSD = web.AppKey("ussd", UssdHops)
