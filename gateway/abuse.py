"""
Abuse controls at the gateway: who gets an SMS reply, and receipt lookups under a global budget.

Every inbound SMS used to queue a paid reply, so a script could spend the SMS budget (or flood a
stranger's phone) for free. A reply now goes only within the sender's budget: a few per hour, the
help text once a day, and nothing at all to a number that has only ever sent gibberish. The
inbound message is still recorded and answered 200 to the provider; only the reply is dropped.
The one reply that always goes is the receipt of a tip the message has just filed (tips have
their own per-reporter limit).

Receipt codes can be guessed: every failed lookup (USSD or SMS) counts against one budget for
all callers, past which lookups pause with a growing back-off and an alarm is raised.
"""

from __future__ import annotations

import structlog

from gateway.config import Config
from storage.budgets import (
    count_use,
    filed_by,
    junk_history,
    receipt_lookups_paused,
    record_receipt_miss,
)
from storage.db import Conn
from storage.tips import TipStatus, tip_status

log = structlog.get_logger()

HELP_KEYWORDS = frozenset({"help", "unknown"})
HELP_PER_DAY = 1
# A number that has sent nothing but unknown keywords more often than this gets no reply at all.
JUNK_SENDER_AFTER = 3


async def reply_suppressed(
    conn: Conn, config: Config, sender: bytes, keyword: str, message_id: str
) -> str | None:
    """Why no reply may be queued for this inbound SMS, or None when one may.

    Call in the transaction that records the message: the counters' row locks serialise
    parallel messages from one sender until it commits.
    """
    if keyword == "report" and await filed_by(conn, f"sms:{message_id}"):
        await count_use(conn, "sms_replies", sender, "hour")
        return None
    if keyword == "unknown":
        history = await junk_history(conn, sender)
        if history.known == 0 and history.unknown > JUNK_SENDER_AFTER:
            return "junk_sender"
    if keyword in HELP_KEYWORDS and await count_use(conn, "sms_help", sender, "day") > HELP_PER_DAY:
        return "help_daily"
    if await count_use(conn, "sms_replies", sender, "hour") > config.sms_replies_per_hour:
        return "hourly_budget"
    return None


async def caller_sms_allowed(conn: Conn, sender: bytes, per_hour: int) -> bool:
    """Whether an SMS a USSD caller asked for (an information topic) may be queued: it spends
    the same hourly reply budget as the replies to their SMS, so USSD is no free way to send."""
    return await count_use(conn, "sms_replies", sender, "hour") <= per_hour


class LookupsPaused(Exception):
    """Failed receipt lookups used up their budget: every lookup waits for now."""


async def guarded_tip_status(
    conn: Conn, receipt: str, misses_per_hour: int, *, count_miss: bool = True
) -> TipStatus | None:
    """A tip's status by receipt, unless lookups are paused (LookupsPaused); a miss is counted
    against the global budget unless `count_miss` is False (a receipt this caller already
    missed). The caller learns only what `tip_status` says, never more."""
    if await receipt_lookups_paused(conn):
        log.warning("receipts.lookup_refused")
        raise LookupsPaused
    status = await tip_status(conn, receipt)
    if status is None and count_miss and await record_receipt_miss(conn, misses_per_hour):
        log.error("receipts.lookup_budget_exhausted", per_hour=misses_per_hour, alarm=True)
    return status
