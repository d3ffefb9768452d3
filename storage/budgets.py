"""
Abuse budgets: counters per time window (replies per sender, tips per minute, outbound SMS per
hour) and the guard on failed receipt lookups.

Every count is one atomic statement on a counter row (INSERT ... ON CONFLICT DO UPDATE ...
RETURNING), whose row lock is held to the end of the caller's transaction: two requests at once
are counted one after the other, so they cannot both pass a limit. Windows are clock windows
(date_trunc), so a counter row is tiny and old ones are simply deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from storage.db import Conn, Queryable

Window = Literal["minute", "hour", "day"]
GLOBAL = b""  # the subject of counters that are not per sender

_COUNT = (
    "INSERT INTO usage_counters (scope, subject, window_start, used)"
    " VALUES ($1, $2, date_trunc($3, now()), $4)"
    " ON CONFLICT (scope, subject, window_start)"
    " DO UPDATE SET used = usage_counters.used + excluded.used RETURNING used"
)


async def count_use(
    conn: Queryable, scope: str, subject: bytes, window: Window, amount: int = 1
) -> int:
    """Add to this window's counter and return its new value (amount 0 just locks and reads)."""
    used: int = await conn.fetchval(_COUNT, scope, subject, window, amount)
    return used


async def purge_counters(conn: Queryable, keep_days: int = 2) -> int:
    """Delete counter windows older than `keep_days` (they hold sender pseudonyms)."""
    status: str = await conn.execute(
        "DELETE FROM usage_counters WHERE window_start < now() - make_interval(days => $1)",
        keep_days,
    )
    return int(status.split()[-1])


@dataclass(frozen=True, slots=True)
class JunkHistory:
    """What one sender has sent that is still on record: unknown keywords and everything else."""

    unknown: int
    known: int


async def junk_history(conn: Queryable, sender_key: bytes) -> JunkHistory:
    """Counts of a sender's recorded inbound SMS with and without a keyword we know."""
    row = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE keyword = 'unknown') AS unknown,"
        " count(*) FILTER (WHERE keyword <> 'unknown') AS known"
        " FROM sms_inbound WHERE sender_key = $1",
        sender_key,
    )
    assert row is not None  # an aggregate always answers one row
    return JunkHistory(row["unknown"], row["known"])


async def filed_by(conn: Queryable, source_ref: str) -> bool:
    """Whether a tip was filed by this source (an inbound SMS or USSD session)."""
    found: bool | None = await conn.fetchval(
        "SELECT true FROM tips WHERE source_ref = $1", source_ref
    )
    return bool(found)


# Receipt lookups ---------------------------------------------------------------------------

MAX_BLOCK_HOURS = 24


async def receipt_lookups_paused(conn: Queryable) -> bool:
    """Whether failed lookups have used up the budget: then every lookup waits."""
    paused: bool = await conn.fetchval("SELECT blocked_until > now() FROM receipt_guard")
    return paused


async def record_receipt_miss(conn: Conn, per_hour: int) -> bool:
    """Count one failed lookup; True when it used up the budget (lookups now pause).

    The pause lasts an hour, doubling with each exhaustion that follows a pause (up to a day);
    an hour without exhaustion after a pause forgives the strikes.
    """
    async with conn.transaction():
        row = await conn.fetchrow(
            "SELECT window_start < now() - interval '1 hour' AS expired,"
            " blocked_until < now() - interval '1 hour' AS forgiven, misses, strikes"
            " FROM receipt_guard FOR UPDATE"
        )
        assert row is not None  # seeded by its migration
        misses = 1 if row["expired"] else row["misses"] + 1
        strikes = 0 if row["expired"] and row["forgiven"] else row["strikes"]
        if misses < per_hour:
            await conn.execute(
                "UPDATE receipt_guard SET misses = $1, strikes = $2,"
                " window_start = CASE WHEN $3 THEN now() ELSE window_start END",
                misses,
                strikes,
                row["expired"],
            )
            return False
        hours = min(2**strikes, MAX_BLOCK_HOURS)
        await conn.execute(
            "UPDATE receipt_guard SET misses = 0, strikes = $1, window_start = now(),"
            " blocked_until = now() + make_interval(hours => $2)",
            strikes + 1,
            hours,
        )
        return True


@dataclass(frozen=True, slots=True)
class AbuseGauges:
    """The budgets right now, for /metrics and the console."""

    sms_claimed_this_hour: int
    held_alerts: int
    receipt_lookups_paused: bool


async def abuse_gauges(conn: Queryable) -> AbuseGauges:
    """Outbound SMS claimed this clock hour, alerts held by the flood detector, and whether
    receipt lookups are paused."""
    row = await conn.fetchrow(
        "SELECT coalesce((SELECT used FROM usage_counters WHERE scope = 'sms_sent'"
        "  AND subject = '' AND window_start = date_trunc('hour', now())), 0)"
        "  AS sms_claimed_this_hour,"
        " (SELECT count(*) FROM outbox WHERE status = 'held') AS held_alerts,"
        " coalesce((SELECT blocked_until > now() FROM receipt_guard), false)"
        "  AS receipt_lookups_paused"
    )
    assert row is not None
    return AbuseGauges(**dict(row))
