"""
REKAP, the officials' digest, wired: the weekly send (run by the outbox worker's periodic loop,
next to escalation) and the answer to an official's `REKAP` by SMS.

The weekly digest is due at a configured WIB weekday and hour (HOTLINE_REKAP_WEEKDAY, _HOUR;
Monday 07:00 by default) and covers the 7 days before that moment; it is queued within a day of
that moment or not at all. Each official's digest for a
week is claimed by a unique row (storage/rekap.py claim_weekly) in the transaction that queues
its SMS in the outbox, so several gateway processes running the loop queue it exactly once.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import asyncpg
import structlog

from gateway.ussd import WIB
from storage.db import Conn
from storage.outbox import QueuedSms, enqueue_sms
from storage.rekap import (
    Recipient,
    claim_request,
    claim_weekly,
    official_recipient,
    record_weekly,
    rekap_figures,
    weekly_recipients,
)
from ussd_menus.rekap import rekap_text, rekap_wait

log = structlog.get_logger()
WEEK = timedelta(days=7)
# A week's digest not queued within this long after it was due (the service was down, or was
# installed mid-week) is skipped: last week's figures days late would only confuse.
LATE_LIMIT = timedelta(days=1)


def latest_due(now: datetime, weekday: int, hour: int) -> datetime:
    """The last moment at or before `now` when the weekly digest was due (ISO weekday, WIB
    hour)."""
    local = now.astimezone(WIB)
    day = local.date() - timedelta(days=(local.isoweekday() - weekday) % 7)
    due = datetime.combine(day, time(hour), WIB)
    return due if due <= local else due - WEEK


async def _body(conn: Conn, recipient: Recipient, since: datetime, until: datetime) -> str:
    """The digest SMS of one official for [since, until) (until's day shown as the last one
    covered when it falls at midnight)."""
    figures = await rekap_figures(conn, recipient.scope, since, until)
    last = (until - timedelta(microseconds=1)).astimezone(WIB).date()
    return rekap_text(recipient.label, since.astimezone(WIB).date(), last, figures)


async def send_weekly(pool: asyncpg.Pool, now: datetime, weekday: int, hour: int) -> int:
    """Queue this week's digest for every official who has not had it, up to LATE_LIMIT after it
    was due; how many were queued. Safe to run often and from several processes at once."""
    until = latest_due(now, weekday, hour)
    if now - until > LATE_LIMIT:
        return 0
    week_of = until.date()
    queued = 0
    async with pool.acquire() as conn:
        for recipient in await weekly_recipients(conn, week_of):
            async with conn.transaction():
                if not await claim_weekly(conn, recipient.official_id, week_of):
                    continue
                body = await _body(conn, recipient, until - WEEK, until)
                outbox_id = await enqueue_sms(conn, _sms(recipient, body, f"rekap:{week_of}"))
                await record_weekly(conn, recipient.official_id, week_of, outbox_id)
            queued += 1
    if queued:
        log.info("rekap.weekly_queued", week_of=week_of.isoformat(), officials=queued)
    return queued


def _sms(recipient: Recipient, body: str, cause: str) -> QueuedSms:
    return QueuedSms(
        recipient_sealed=None,
        recipient_kind="official",
        body=body,
        cause=cause,
        official_id=recipient.official_id,
        is_sample=recipient.is_sample,
    )


async def answer_request(conn: Conn, official_id: int, now: datetime, throttle_minutes: int) -> str:
    """The answer to an official's REKAP: their digest for the last 7 days, or, within the
    throttle window of the last one answered, a short note to wait. Call in the inbound SMS's
    transaction (the throttle row stays locked to its end)."""
    recipient = await official_recipient(conn, official_id)
    if recipient is None or not await claim_request(conn, official_id, throttle_minutes):
        log.info("rekap.request_throttled", official_id=official_id)
        return rekap_wait(throttle_minutes)
    log.info("rekap.request_answered", official_id=official_id)
    return await _body(conn, recipient, now - WEEK, now)


async def area_digest(conn: Conn, official_id: int, now: datetime) -> str | None:
    """The digest of an official's area for the last 7 days, as the USSD officials' menu shows
    it (no SMS is sent, so nothing is throttled or claimed); None when the official is gone."""
    recipient = await official_recipient(conn, official_id)
    if recipient is None:
        return None
    log.info("rekap.screen_read", official_id=official_id)
    return await _body(conn, recipient, now - WEEK, now)


def week_bounds(monday: date) -> tuple[datetime, datetime]:
    """A WIB week, Monday 00:00 to the next Monday 00:00 (the console's week picker)."""
    start = datetime.combine(monday, time(0), WIB)
    return start, start + WEEK
