"""
Filing a tip, sending its receipt by SMS, reading its status and answering an official's question:
one function each, called by USSD and by SMS alike, so validation, idempotency, the receipt,
routing, privacy rules, limits, metrics and logs cannot drift apart between channels.

Each function runs on the connection it is given: SMS calls them inside the transaction that
records the inbound message (a retried callback then changes nothing twice); USSD calls them under
its hop deadline. A reporter's answer goes on by SMS to the official who asked the question.
Storage does the atomic part (storage.tips.file_tip: one transaction, advisory
locks on the limits, phone numbers hidden in the story, alerts routed or held in a flood).
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
import structlog

from gateway.abuse import guarded_tip_status
from gateway.agency_index import name_key
from gateway.alerting import alert_text
from gateway.config import Config
from gateway.metrics import Metrics
from gateway.usecases.cases import move
from storage.areas import desa_by_code
from storage.case_sms import question_asker
from storage.cases import SYSTEM
from storage.db import Conn, Queryable
from storage.outbox import QueuedSms, enqueue_sms, enqueue_sms_once, queued_before
from storage.tips import CATEGORIES, Filed, Limited, NewTip, TipStatus, receipt_of_source
from storage.tips import answer_question as store_answer
from storage.tips import file_tip as store_tip
from ussd_menus import sms
from ussd_menus.model import Lang
from ussd_menus.receipts import new_receipt, show_receipt

log = structlog.get_logger()

# A story shorter than this is no tip (a keyword sent alone, a slip of the thumb).
MIN_STORY = 5
MAX_STORY = 1000
MAX_ANSWER = 1000


@dataclass(frozen=True, slots=True)
class TipRules:
    """Limits for filing tips and looking receipts up."""

    per_hour: int
    agency_flag_per_day: int
    draft_minutes: int
    flood_per_minute: int | None = None
    receipt_misses_per_hour: int = 50

    @classmethod
    def from_config(cls, config: Config) -> TipRules:
        """The limits a deployment configured."""
        return cls(
            config.tips_per_hour,
            config.agency_flag_per_day,
            config.draft_minutes,
            flood_per_minute=config.tip_flood_per_minute,
            receipt_misses_per_hour=config.receipt_misses_per_hour,
        )


@dataclass(frozen=True, slots=True)
class TipReport:
    """A tip as a channel collected it, not yet validated."""

    channel: str  # "ussd", "sms": metrics and logs
    source_ref: str  # what makes filing idempotent: the USSD session, the SMS message id
    reporter_key: bytes | None  # the reporter's pseudonym; None: no usable number
    category: str
    story: str
    lang: Lang
    kecamatan_code: str | None = None
    desa: str | None = None
    # A desa's Kemendagri code, chosen (USSD) or found in the story (SMS); kept only when it is
    # one of storage.areas' desa and lies in kecamatan_code.
    desa_code: str | None = None
    agency_licence: str | None = None
    agency_name: str | None = None
    # The reporter said a village official (kepala desa, perangkat desa) is involved.
    involves_village_official: bool = False
    # An official's own report (officials' menu, SMS LAPORPETUGAS): attributed to them, routed
    # to the kecamatan and Disnakertrans, never back to them (storage.alerts).
    reported_by_official_id: int | None = None


@dataclass(frozen=True, slots=True)
class TooShort:
    """Not filed: the story is shorter than `minimum` characters."""

    minimum: int


async def file_tip(
    conn: Conn, report: TipReport, rules: TipRules, metrics: Metrics
) -> Filed | Limited | TooShort:
    """File a tip once per source: a retried source returns the first tip's receipt."""
    story = report.story.strip()
    if len(story) < MIN_STORY:
        log.info("tips.too_short", channel=report.channel)
        return TooShort(MIN_STORY)
    category = report.category if report.category in CATEGORIES else "lainnya"
    desa_code, desa = _desa(report)
    agency = report.agency_name
    tip = NewTip(
        channel=report.channel,
        source_ref=report.source_ref,
        reporter_key=report.reporter_key,
        category=category,
        description=story[:MAX_STORY],
        kecamatan_code=report.kecamatan_code,
        desa=desa,
        desa_code=desa_code,
        agency_licence=report.agency_licence,
        agency_name=agency,
        agency_key=report.agency_licence or (name_key(agency) if agency else None),
        lang=report.lang,
        involves_village_official=report.involves_village_official,
        reported_by_official_id=report.reported_by_official_id,
    )

    filed = await store_tip(
        conn,
        tip,
        new_receipt,
        per_hour=rules.per_hour,
        flag_threshold=rules.agency_flag_per_day,
        sms=_no_sms,  # the receipt is shown first; an SMS only if asked for later (send_receipt)
        alert=alert_text,
        flood_per_minute=rules.flood_per_minute,
    )
    if isinstance(filed, Limited):
        log.info("tips.rate_limited", channel=report.channel)
        return filed
    log.info(
        "tips.filed",
        channel=report.channel,
        category=category,
        created=filed.created,
        by_official=report.reported_by_official_id is not None,
    )
    if filed.held:
        log.warning("alerts.flood_held", tip_id=filed.tip_id, alerts=filed.held, alarm=True)
    if filed.created:
        metrics.tips_filed.labels(category, report.channel).inc()
    return filed


def _desa(report: TipReport) -> tuple[str | None, str | None]:
    """The tip's desa code (None unless a known desa of its kecamatan) and the desa name to
    show: the one typed, else the coded desa's."""
    known = desa_by_code().get(report.desa_code or "")
    if report.desa_code and (known is None or known.kecamatan_code != report.kecamatan_code):
        log.warning("tips.desa_code_refused", channel=report.channel)
        known = None
    name = report.desa or (known.name if known else None)
    return (known.code if known else None), name


def _no_sms(receipt: str) -> QueuedSms | None:
    return None


async def send_receipt(
    conn: Conn, source_ref: str, recipient_sealed: bytes, lang: Lang, way_back: str
) -> bool:
    """Queue the receipt SMS of the tip this source filed, once: asked for after the receipt was
    shown on screen (a retried hop queues nothing more). False when this source filed no tip.
    Its first words never say 'report': a lock screen shows them to whoever holds the phone."""
    receipt = await receipt_of_source(conn, source_ref)
    if receipt is None:
        log.warning("tips.receipt_sms_without_tip")
        return False
    body = sms.say("receipt", lang, receipt=show_receipt(receipt), code=receipt, back=way_back)
    queued = await enqueue_sms_once(
        conn, QueuedSms(recipient_sealed, "resident", body, cause=f"receipt:{source_ref}")
    )
    log.info("tips.receipt_sms_queued", again=not queued)
    return True


async def read_status(
    conn: Conn, receipt: str, rules: TipRules, *, count_miss: bool = True
) -> TipStatus | None:
    """What the reporter may see of a tip, under the global failed-lookup budget (raises
    gateway.abuse.LookupsPaused while lookups are paused). `count_miss` False: a receipt this
    caller already missed is not counted twice."""
    return await guarded_tip_status(
        conn, receipt, rules.receipt_misses_per_hour, count_miss=count_miss
    )


async def answer_question(
    conn: Queryable, receipt: str, question_id: int, text: str, source_ref: str, channel: str
) -> bool:
    """Add the reporter's answer to an official's open question, once per source; False when
    the answer is empty or the question is unknown or not shown to the reporter."""
    body = text.strip()[:MAX_ANSWER]
    stored = bool(body) and await store_answer(conn, receipt, question_id, body, source_ref)
    log.info("tips.answer_received", channel=channel, stored=stored)
    if stored:
        if isinstance(conn, asyncpg.Pool):
            async with conn.acquire() as one, one.transaction():
                await _resume(one, receipt)
                await _tell_asker(one, question_id, body, source_ref)
        else:
            await _resume(conn, receipt)
            await _tell_asker(conn, question_id, body, source_ref)
    return stored


async def _tell_asker(conn: Conn, question_id: int, answer: str, source_ref: str) -> None:
    """The official who asked the question by SMS gets the reporter's answer by SMS (one
    segment, cut to fit), once per answer: the cause is keyed by the answer's source, so a
    retried answer queues nothing more. A question asked in the console texts nobody."""
    asker = await question_asker(conn, question_id)
    if asker is None:
        return
    tip_id, official_id, is_sample = asker
    cause = f"case:answer:{question_id}:{source_ref}"
    async with conn.transaction():
        if await queued_before(conn, cause):
            return
        receipt = await conn.fetchval("SELECT receipt FROM tips WHERE id = $1", tip_id)
        await enqueue_sms(
            conn,
            QueuedSms(
                recipient_sealed=None,
                recipient_kind="official",
                body=sms.answer_text(receipt, answer),
                cause=cause,
                official_id=official_id,
                is_sample=is_sample,
            ),
            tip_id=tip_id,
        )
    log.info("tips.answer_sent_to_official", tip_id=tip_id, official_id=official_id)


async def _resume(conn: Conn, receipt: str) -> None:
    """A case waiting for its reporter goes back under investigation once they answered (the
    system's move; a case that moved on meanwhile stays where it is)."""
    tip_id = await conn.fetchval(
        "SELECT id FROM tips WHERE receipt = $1 AND status = 'menunggu_pelapor'", receipt
    )
    if tip_id is not None:
        await move(conn, tip_id, "diselidiki", SYSTEM, note="pelapor menjawab")
