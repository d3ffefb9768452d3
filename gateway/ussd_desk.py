"""
What a USSD hop loads and does besides replaying menus: the facts the menus ask for (where a
report starts, a tip's status) and the effects they ask for (filing a report, answering a
question, sending an information topic by SMS, an official's check before signing and its
report), through the same use cases and budgets as SMS;
plus the two things a hop keeps (a report's draft, a typed agency check). Every database call
runs under the hop's deadline.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import UTC, datetime

import asyncpg
import structlog

from gateway.abuse import caller_sms_allowed
from gateway.agency_index import AgencyIndex, name_key
from gateway.deadline import Deadline
from gateway.group_commit import GroupWriter
from gateway.identity import Identity
from gateway.metrics import Metrics
from gateway.phones import PHONE_PATTERN, normalize
from gateway.usecases.broadcasts import subscribe_by_ussd
from gateway.usecases.tips import (
    TipReport,
    TipRules,
    TooShort,
    answer_question,
    file_tip,
    send_receipt,
)
from gateway.usecases.tips import read_status as read_tip_status
from gateway.ussd_sessions import Session
from storage.agency_checks import record_agency_checks
from storage.drafts import reporter_state, save_draft
from storage.officials import official_by_phone
from storage.outbox import QueuedSms, enqueue_sms, queued_before
from storage.tips import Filed, Limited, TipStatus, receipt_of_source, recent_tip_count
from ussd_menus import destinations, sms
from ussd_menus.law import LAW_TOPIC, law_sms
from ussd_menus.machine import Hop, Need
from ussd_menus.model import (
    AgencyLookup,
    AnswerQuestion,
    AnswerStored,
    CheckSigning,
    Effect,
    Frame,
    InfoQueued,
    Lang,
    Outcome,
    ReceiptSent,
    ReportContext,
    ReportFiled,
    ReportLimited,
    ReportSigning,
    SendInfo,
    SendReceipt,
    SigningChecked,
    SigningReported,
    SubmitReport,
    Subscribe,
    Subscribed,
)
from ussd_menus.officials import OFFICER_MARK, OFFICIAL_FACT, REKAP_FACT
from ussd_menus.report import frames_to_json, load_report, resume_frames
from ussd_menus.texts import way_back

log = structlog.get_logger()

# Unknown receipts one session may try before it is ended (guessing codes is the attack).
MAX_RECEIPT_MISSES = 3
# An Indonesian number already in E.164 form (no trunk 0 after +62): normalising it gives it
# back unchanged, or None if it is no valid number (then it is no official's either).
_CANONICAL_ID = re.compile(r"\+62[1-9][0-9]{6,12}")


class TooManyMisses(Exception):
    """This session has tried MAX_RECEIPT_MISSES unknown receipts."""


def source_of(session_id: str) -> str:
    """What makes a USSD session's tip (and answers) idempotent."""
    return f"ussd:{session_id}"


class HopDesk:
    """Loads facts and carries out effects for hops, with the use cases every channel shares."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        state_pool: asyncpg.Pool,
        identity: Identity,
        rules: TipRules,
        metrics: Metrics,
        deadline: Deadline,
        replies_per_hour: int = 10,
        service_code: str = "",
        agencies: Callable[[], AgencyIndex] = lambda: AgencyIndex(()),
        official_phones: Callable[[], frozenset[str]] = frozenset,
    ) -> None:
        self.pool = pool  # tips: fully durable
        self.state_pool = state_pool  # drafts and agency checks: written without waiting for disk
        self.identity = identity
        self.rules = rules
        self.metrics = metrics
        self.deadline = deadline
        # SMS a caller may ask for in an hour (HOTLINE_SMS_REPLIES_PER_HOUR, shared with SMS).
        self.replies_per_hour = replies_per_hour
        self.service_code = service_code  # HOTLINE_USSD_CODE: the way back the receipt SMS gives
        self.agencies = agencies  # the registry index in use (the check before signing)
        # The active officials' numbers as this process holds them (gateway.directory_watch).
        self.official_phones = official_phones
        # Typed agency checks arriving together are recorded in one statement (group commit).
        self._checks: GroupWriter[tuple[str, str, bool], None] = GroupWriter(
            lambda checks: record_agency_checks(self.state_pool, checks), deadline.timeout_s
        )

    async def load(
        self, need: Need, reporter: bytes | None, session_id: str, session: Session, phone: str
    ) -> object:
        """The fact the menus asked for."""
        if need.kind == "tip":
            return await self._lookup_receipt(need.key, session)
        if need.kind == OFFICIAL_FACT:
            return await self.official_id(phone, session) is not None
        if need.kind == REKAP_FACT:
            return await self._rekap(phone, session)
        if need.kind != "report":
            raise ValueError(f"unknown fact {need.kind!r}")
        if reporter is None:  # no usable number: no draft to resume, one limit shared by all
            filed = await self.deadline.run(receipt_of_source(self.pool, source_of(session_id)))
            shared = await self.deadline.run(recent_tip_count(self.pool, None, 1))
            over = filed is None and shared >= self.rules.per_hour  # counted when it was filed
            limited = self.rules.per_hour if over else None
            return ReportContext(resume=None, filed_receipt=filed, limited_at=limited)
        found = await self.deadline.run(
            reporter_state(self.pool, reporter, source_of(session_id), self.rules.draft_minutes)
        )
        draft = found.draft
        return ReportContext(
            resume=resume_frames(draft.session_id, draft.base_state, draft.state, session_id)
            if draft
            else None,
            filed_receipt=found.filed_receipt,
            limited_at=self.rules.per_hour if found.recent_tips >= self.rules.per_hour else None,
        )

    def settle_resident(self, phone: str, session: Session) -> None:
        """Settle without a query that a caller whose number no active official has is a
        resident (nearly every session), so even a session's first answer can be cached."""
        if not session.official_known and self._official_number(phone) is None:
            session.official_known = True  # official_id stays None

    def _official_number(self, phone: str) -> str | None:
        """The caller's number (E.164) if this process holds it as an active official's."""
        phones = self.official_phones()
        if phone in phones:
            return phone
        if _CANONICAL_ID.fullmatch(phone):  # what the gateways send: nothing to normalise
            return None
        number = normalize(phone)
        return number if number in phones else None

    async def official_id(self, phone: str, session: Session) -> int | None:
        """The active official whose directory number is the caller's (normalised), looked up
        once per session and kept in it; None for everyone else. Only a number held in memory
        as an official's is looked up, so the database confirms it is still active. An
        official's number is no secret (the directory holds it), but it is never logged nor
        written into a tip."""
        if not session.official_known:
            number = self._official_number(phone)
            found = None
            if number is not None:
                found = await self.deadline.run(official_by_phone(self.pool, number))
            session.official_id = found.id if found is not None else None
            session.official_known = True
            if session.official_id is not None:
                log.info("ussd.official_caller", official_id=session.official_id)
        return session.official_id

    async def _rekap(self, phone: str, session: Session) -> str | None:
        """The REKAP digest of the caller's area for the last 7 days, worded as the SMS REKAP is
        (a screen costs nothing: not throttled); None for a caller who is not an official."""
        from gateway.rekap import (
            area_digest,  # gateway.rekap imports gateway.ussd, which imports us
        )

        official = await self.official_id(phone, session)
        if official is None:
            return None

        async def digest() -> str | None:
            async with self.pool.acquire() as conn:
                return await area_digest(conn, official, datetime.now(UTC))

        return await self.deadline.run(digest())

    async def _lookup_receipt(self, receipt: str, session: Session) -> TipStatus | None:
        """A tip's status under the global failed-lookup budget; a session that misses
        MAX_RECEIPT_MISSES different receipts is ended (TooManyMisses). Each replay looks its
        receipts up again, so a receipt this session already missed is not counted twice."""
        first_miss = receipt not in session.missed

        async def lookup() -> TipStatus | None:
            # Acquire and release inside the deadline too: releasing resets the connection,
            # which waits on a hung server as long as the query would.
            async with self.pool.acquire() as conn:
                return await read_tip_status(conn, receipt, self.rules, count_miss=first_miss)

        status = await self.deadline.run(lookup())
        if status is None:
            session.missed |= {receipt}
            if len(session.missed) >= MAX_RECEIPT_MISSES:
                raise TooManyMisses
        return status

    async def perform(
        self,
        effect: Effect,
        session_id: str,
        phone: str,
        reporter: bytes | None,
        lang: Lang,
        session: Session,
    ) -> Outcome:
        """Carry out an effect (idempotent per session: a retried hop asks again)."""
        source = source_of(session_id)
        if isinstance(effect, AnswerQuestion):
            stored = await self.deadline.run(
                answer_question(
                    self.pool, effect.receipt, effect.question_id, effect.text, source, "ussd"
                )
            )
            return AnswerStored(stored)
        if isinstance(effect, SendInfo):
            if effect.topic == LAW_TOPIC and await self.official_id(phone, session) is None:
                return InfoQueued(False)  # the law reference goes to officials' numbers only
            return await self._send_info(effect.topic, source, phone, reporter, lang)

        if isinstance(effect, Subscribe):
            return await self._subscribe(effect.place, phone, reporter, lang)
        if isinstance(effect, SendReceipt):
            return ReceiptSent(await self._send_receipt(source, phone, reporter, lang))
        if isinstance(effect, CheckSigning | ReportSigning):
            return await self._signing(effect, source, phone, session)
        assert isinstance(effect, SubmitReport)
        carried = load_report(effect.report)
        # An official's own report ('p', from the officials' menu) is attributed to the official
        # this number is, and only when it is one: a resident's draft carrying it stays anonymous.
        marked = bool(carried.get(OFFICER_MARK))
        by_official = await self.official_id(phone, session) if marked else None
        report = TipReport(
            channel="ussd",
            source_ref=source,
            reporter_key=reporter,
            category=str(carried.get("c", "lainnya")),
            story=str(carried.get("t", "")),
            lang=lang,
            kecamatan_code=carried.get("k"),
            desa=carried.get("d"),
            desa_code=carried.get("dc"),
            agency_licence=carried.get("l"),
            agency_name=carried.get("a"),
            involves_village_official=bool(carried.get("o")),
            reported_by_official_id=by_official,
        )

        async def file() -> Filed | Limited | TooShort:
            # Acquiring and releasing are database work too: both stay inside the deadline.
            async with self.pool.acquire() as conn:
                return await file_tip(conn, report, self.rules, self.metrics)

        filed = await self.deadline.run(file())
        if isinstance(filed, Limited):
            return ReportLimited(filed.limit)
        if isinstance(filed, TooShort):  # the menus ask for more than the use case needs
            raise ValueError("the menus sent a report without a story")
        return ReportFiled(filed.receipt)

    async def _signing(
        self, effect: CheckSigning | ReportSigning, source: str, phone: str, session: Session
    ) -> SigningChecked | SigningReported:
        """The check before signing, or filing its red answer, for the official this number
        is (gateway/signing.py, as by SMS); a caller who is not one gets nothing done."""
        from gateway.signing import (
            file_red_check,
            run_check,
        )

        official = await self.official_id(phone, session)
        if isinstance(effect, ReportSigning):
            if official is None:
                return SigningReported(None)

            async def report() -> SigningReported:
                async with self.pool.acquire() as conn:
                    filed = await file_red_check(
                        conn, official, "ussd", source, self.rules, self.metrics
                    )
                return SigningReported(filed if isinstance(filed, str) else None)

            return await self.deadline.run(report())
        country = destinations.active().country_by_code(effect.country)
        job = destinations.active().job_by_key(effect.job)
        if official is None or country is None or job is None:
            return SigningChecked()

        async def check() -> SigningChecked:
            async with self.pool.acquire() as conn:
                return await run_check(conn, self.agencies(), official, effect.agency, country, job)

        return await self.deadline.run(check())

    async def _send_info(
        self, topic: str, source: str, phone: str, reporter: bytes | None, lang: Lang
    ) -> InfoQueued:
        """Queue an information topic as SMS to the caller, once per session and topic, within
        the caller's hourly SMS budget; a caller without a usable number gets none."""
        if reporter is None:
            return InfoQueued(False)
        cause = f"info:{source}:{topic}"
        body = law_sms(lang) if topic == LAW_TOPIC else sms.info_topic(topic, lang)

        async def queue() -> bool:
            async with self.pool.acquire() as conn, conn.transaction():
                if await queued_before(conn, cause):
                    return True
                if not await caller_sms_allowed(conn, reporter, self.replies_per_hour):
                    return False
                await enqueue_sms(
                    conn, QueuedSms(self.identity.seal(phone), "resident", body, cause)
                )
                return True

        queued = await self.deadline.run(queue())
        log.info("ussd.info_sms", topic=topic, queued=queued)
        return InfoQueued(queued)

    async def _subscribe(
        self, place: str, phone: str, reporter: bytes | None, lang: Lang
    ) -> Subscribed:
        """Subscribe the caller's number to broadcasts (they confirmed on their own phone)."""
        if reporter is None:
            return Subscribed("")

        async def store() -> str:
            async with self.pool.acquire() as conn, conn.transaction():
                return await subscribe_by_ussd(
                    conn, reporter, self.identity.seal(phone), place, lang
                )

        return Subscribed(await self.deadline.run(store()))

    async def _send_receipt(
        self, source: str, phone: str, reporter: bytes | None, lang: Lang
    ) -> bool:
        """Queue the receipt SMS the caller asked for; False without a number to send it to."""
        if reporter is None:
            return False
        sealed = self.identity.seal(phone)
        back = way_back(lang, self.service_code)

        async def send() -> bool:
            async with self.pool.acquire() as conn:
                return await send_receipt(conn, source, sealed, lang, back)

        return await self.deadline.run(send())

    async def keep_draft(
        self, frames: tuple[Frame, ...], reporter: bytes, session_id: str, context: object
    ) -> None:
        """Save the report in progress under the reporter's key (a redial resumes it)."""
        if isinstance(context, ReportContext) and context.filed_receipt:
            return  # filed already (a step back from the receipt): nothing to resume
        resumed = context.resume if isinstance(context, ReportContext) else None
        base = frames_to_json(resumed) if resumed else None
        await self.deadline.run(
            save_draft(self.state_pool, reporter, session_id, base, frames_to_json(frames))
        )

    def note_check(self, hop: Hop, typed: str, agencies: AgencyLookup) -> None:
        """Record the name a resident has just typed into the agency check, and whether it was
        found. Only the hop that typed it counts (not paging, a wrong key or a resend); a phone
        number typed by mistake is not kept. The record is for the console's charts: the hop
        does not wait for it (it goes with the next group commit, `drain` writes the rest at
        shutdown), and a database problem never fails the check."""
        if len(hop.stack) < 2 or hop.stack[-2].node != "check":
            return
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
        self._checks.submit((name_key(query) or query, query, found)).add_done_callback(
            _check_recorded
        )

    async def drain(self, timeout_s: float = 10.0) -> None:
        """Write the agency checks still queued (at shutdown, and for tests that count them);
        a database that does not take them within `timeout_s` loses them (chart data), so a
        stop is never held up for long."""
        try:
            async with asyncio.timeout(timeout_s):
                await self._checks.drain()
        except TimeoutError:
            log.warning("ussd.checks_not_drained")


def _check_recorded(done: asyncio.Future[None]) -> None:
    """Log an agency check the database did not take (the resident's answer went out anyway)."""
    if done.cancelled():
        return
    error = done.exception()
    if error is not None:
        log.warning("ussd.check_not_recorded", error=type(error).__name__)
