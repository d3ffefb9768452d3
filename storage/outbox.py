"""
The SMS outbox: every outbound SMS is a row, written in the same transaction as its cause.

Recipients are sealed (encrypted) by the gateway before they get here; this module never sees a
phone number in clear. Sending is done by a worker (the alerts issue). A resident's sealed number
is kept only while the message may still be sent: it is blanked when the message reaches a final
status (delivered, failed), and for dead letters and unreported sends once an operator's retry
window has passed (`forget_recipients`). A resident's message is never linked to a tip: its body
may name the receipt, and the row must not lead from a tip to the number that filed it.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Conn, Queryable


@dataclass(frozen=True, slots=True)
class QueuedSms:
    """An SMS to queue: to a sealed resident number, or to an official by id."""

    recipient_sealed: bytes | None
    recipient_kind: str
    body: str
    cause: str
    official_id: int | None = None
    is_sample: bool = False
    # Held for a person to release (a tip flood): written, but not queued for sending.
    held: bool = False


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A queued SMS as stored."""

    id: int
    recipient_kind: str
    body: str
    cause: str
    status: str


async def enqueue_sms(conn: Conn, sms: QueuedSms, tip_id: int | None = None) -> int:
    """Queue one outbound SMS; call inside the transaction of its cause. `tip_id` links an
    official's message to its tip; a resident's message is never linked."""
    if sms.recipient_kind == "resident":
        tip_id = None
    sms_id: int = await conn.fetchval(
        "INSERT INTO outbox"
        " (recipient_sealed, recipient_kind, body, cause, tip_id, official_id, is_sample, status)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $8 THEN 'held' ELSE 'queued' END)"
        " RETURNING id",
        sms.recipient_sealed,
        sms.recipient_kind,
        sms.body,
        sms.cause,
        tip_id,
        sms.official_id,
        sms.is_sample,
        sms.held,
    )
    return sms_id


async def queued_before(conn: Conn, cause: str) -> bool:
    """Whether an SMS with this cause was queued before; holds the cause, to the end of the
    transaction, against a parallel try (an effect retried by its caller queues once)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", "outbox:" + cause)
    found = await conn.fetchval("SELECT true FROM outbox WHERE cause = $1 LIMIT 1", cause)
    return bool(found)


async def enqueue_sms_once(conn: Conn, sms: QueuedSms) -> bool:
    """Queue one SMS unless one with the same cause is queued already (a retried hop asking
    again); True when this call queued it."""
    async with conn.transaction():
        if await queued_before(conn, sms.cause):
            return False
        await enqueue_sms(conn, sms)
        return True


async def outbox_rows(conn: Queryable) -> list[OutboxRow]:
    """Every queued SMS, oldest first (for operators and tests)."""
    rows = await conn.fetch(
        "SELECT id, recipient_kind, body, cause, status FROM outbox ORDER BY id"
    )
    return [OutboxRow(**dict(r)) for r in rows]


async def record_inbound(conn: Conn, message_id: str, sender_key: bytes, keyword: str) -> bool:
    """Remember an inbound SMS by its provider's message id; False when it was handled before."""
    inserted = await conn.fetchval(
        "INSERT INTO sms_inbound (id, sender_key, keyword) VALUES ($1, $2, $3)"
        " ON CONFLICT (id) DO NOTHING RETURNING true",
        message_id,
        sender_key,
        keyword,
    )
    return bool(inserted)


@dataclass(frozen=True, slots=True)
class Claimed:
    """An outbound SMS claimed by a worker for one attempt."""

    id: int
    recipient_sealed: bytes | None
    official_phone: str | None
    recipient_kind: str
    body: str
    cause: str
    is_sample: bool
    attempts: int


async def claim_due(conn: Queryable, limit: int, lease_seconds: int) -> list[Claimed]:
    """Claim up to `limit` due messages; SKIP LOCKED keeps two workers off the same row."""
    rows = await conn.fetch(
        "UPDATE outbox o SET status = 'sending', attempts = o.attempts + 1,"
        " claimed_until = now() + make_interval(secs => $2), updated_at = now()"
        " WHERE o.id IN (SELECT id FROM outbox WHERE status = 'queued'"
        "  AND next_attempt_at <= now() ORDER BY next_attempt_at, id LIMIT $1"
        "  FOR UPDATE SKIP LOCKED)"
        " RETURNING o.id, o.recipient_sealed, o.recipient_kind, o.body, o.cause, o.is_sample,"
        " o.attempts, (SELECT phone FROM officials f WHERE f.id = o.official_id) AS official_phone",
        limit,
        lease_seconds,
    )
    return [Claimed(**dict(r)) for r in rows]


@dataclass(frozen=True, slots=True)
class BudgetedClaim:
    """A claimed batch, and whether the hour's outbound budget is used up (the rest waits)."""

    batch: list[Claimed]
    exhausted: bool


async def claim_within_budget(
    conn: Conn, limit: int, lease_seconds: int, per_hour: int
) -> BudgetedClaim:
    """Claim as `claim_due` does, but never more than the hour's outbound budget leaves.

    Every claim (a first attempt or a retry: each is a paid SMS) is counted on the hour's counter
    row in the same transaction, under its row lock, so workers together stay within the budget.
    Over budget, messages simply stay queued for the next hour.
    """
    async with conn.transaction():
        used: int = await conn.fetchval(
            "INSERT INTO usage_counters (scope, subject, window_start, used)"
            " VALUES ('sms_sent', '', date_trunc('hour', now()), 0)"
            " ON CONFLICT (scope, subject, window_start)"
            " DO UPDATE SET used = usage_counters.used RETURNING used"
        )
        room = per_hour - used
        if room <= 0:
            return BudgetedClaim([], exhausted=True)
        batch = await claim_due(conn, min(limit, room), lease_seconds)
        if batch:
            await conn.execute(
                "UPDATE usage_counters SET used = used + $1 WHERE scope = 'sms_sent'"
                " AND subject = '' AND window_start = date_trunc('hour', now())",
                len(batch),
            )
        return BudgetedClaim(batch, exhausted=used + len(batch) >= per_hour)


async def reclaim_stale(conn: Queryable) -> int:
    """Put back messages whose worker died mid-attempt (its lease ran out)."""
    status: str = await conn.execute(
        "UPDATE outbox SET status = 'queued', claimed_until = NULL, updated_at = now()"
        " WHERE status = 'sending' AND claimed_until < now()"
    )
    return int(status.split()[-1])


async def record_event(conn: Queryable, outbox_id: int, kind: str, detail: str = "") -> None:
    """Add a step to a message's timeline."""
    await conn.execute(
        "INSERT INTO sms_events (outbox_id, kind, detail) VALUES ($1, $2, $3)",
        outbox_id,
        kind,
        detail,
    )


async def mark_accepted(conn: Conn, outbox_id: int, provider_id: str, detail: str) -> None:
    """The provider accepted the message; apply any delivery report that arrived before its id
    was known."""
    async with conn.transaction():
        # Serialised with record_delivery_report on the same id: a report that races the send's
        # answer is then either seen here or finds the message there, never missed by both.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", provider_id)
        await conn.execute(
            "UPDATE outbox SET status = 'sent', provider_id = $2, claimed_until = NULL,"
            " last_error = '', updated_at = now() WHERE id = $1",
            outbox_id,
            provider_id,
        )
        await record_event(conn, outbox_id, "accepted", detail)
        early = await conn.fetch(
            "SELECT status, raw_status, failure_reason FROM delivery_reports"
            " WHERE provider_id = $1 ORDER BY received_at",
            provider_id,
        )
        for report in early:
            await _apply_report(
                conn, outbox_id, report["status"], report["raw_status"], report["failure_reason"]
            )


async def mark_retry(
    conn: Conn, outbox_id: int, reason: str, delay_seconds: float, max_attempts: int
) -> str:
    """A retryable failure: back off, or give up into a dead letter; returns the new status."""
    async with conn.transaction():
        status: str = await conn.fetchval(
            "UPDATE outbox SET status = CASE WHEN attempts >= $4 THEN 'dead' ELSE 'queued' END,"
            " next_attempt_at = now() + make_interval(secs => $3), claimed_until = NULL,"
            " last_error = $2, updated_at = now() WHERE id = $1 RETURNING status",
            outbox_id,
            reason,
            delay_seconds,
            max_attempts,
        )
        await record_event(conn, outbox_id, "dead" if status == "dead" else "retry", reason)
    return status


async def mark_failed(conn: Conn, outbox_id: int, reason: str) -> None:
    """A permanent failure: never retried."""
    async with conn.transaction():
        await conn.execute(
            "UPDATE outbox SET status = 'failed', claimed_until = NULL, last_error = $2,"
            f" {_FORGET_RECIPIENT}, updated_at = now() WHERE id = $1",
            outbox_id,
            reason,
        )
        await record_event(conn, outbox_id, "failed", reason)


async def release_unsent(conn: Conn, outbox_ids: list[int], reason: str) -> None:
    """Sending is paused: put claimed messages back without counting the attempt."""
    async with conn.transaction():
        await conn.execute(
            "UPDATE outbox SET status = 'queued', attempts = greatest(attempts - 1, 0),"
            " claimed_until = NULL, updated_at = now() WHERE id = ANY($1::bigint[])",
            outbox_ids,
        )
        await conn.executemany(
            "INSERT INTO sms_events (outbox_id, kind, detail) VALUES ($1, 'paused', $2)",
            [(i, reason) for i in outbox_ids],
        )


# The SET clause that drops a resident's sealed number once their message is final.
_FORGET_RECIPIENT = (
    "recipient_sealed = CASE WHEN recipient_kind = 'resident' THEN ''::bytea"
    " ELSE recipient_sealed END"
)


async def forget_recipients(conn: Queryable, keep_hours: int) -> int:
    """Blank the sealed number of residents' messages untouched for `keep_hours`: dead letters
    past their retry window, sends never reported, and any final one; returns how many."""
    status: str = await conn.execute(
        "UPDATE outbox SET recipient_sealed = '' WHERE recipient_kind = 'resident'"
        " AND recipient_sealed <> '' AND status IN ('dead', 'sent', 'delivered', 'failed')"
        " AND updated_at < now() - make_interval(hours => $1)",
        keep_hours,
    )
    return int(status.split()[-1])


# Our delivery status taxonomy (gateway.core.messages.DeliveryStatus has the same words): every
# provider's adapter maps its own words to these; the provider's raw words are kept beside them.
DELIVERED = "delivered"
FAILED_FINAL = frozenset({"failed_temporary", "failed_permanent", "expired", "rejected"})
IN_FLIGHT = frozenset({"queued", "sent"})
UNKNOWN = "unknown"  # recorded and shown, changes no message
DELIVERY_STATUSES = ("queued", "sent", DELIVERED, *sorted(FAILED_FINAL), UNKNOWN)


async def record_delivery_report(
    conn: Conn, provider_id: str, status: str, raw_status: str, failure_reason: str
) -> tuple[bool, int | None]:
    """Store a report once (a repeat has the same provider id and raw status); returns
    (new, outbox id if the message is known). `status` is one of DELIVERY_STATUSES."""
    if status not in DELIVERY_STATUSES:
        raise ValueError(f"not a delivery status: {status!r}")
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", provider_id)
        new = await conn.fetchval(
            "INSERT INTO delivery_reports (provider_id, status, raw_status, failure_reason)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true",
            provider_id,
            status,
            raw_status,
            failure_reason,
        )
        outbox_id: int | None = await conn.fetchval(
            "SELECT id FROM outbox WHERE provider_id = $1", provider_id
        )
        if new and outbox_id is not None:
            await _apply_report(conn, outbox_id, status, raw_status, failure_reason)
    return bool(new), outbox_id


def report_detail(status: str, raw_status: str, failure_reason: str) -> str:
    """How a report reads in a message's timeline: 'failed_permanent (Failed) UserDoesNotExist'."""
    raw = f"({raw_status})" if raw_status and raw_status != status else ""
    return " ".join(part for part in (status, raw, failure_reason) if part)


async def _apply_report(
    conn: Conn, outbox_id: int, status: str, raw_status: str, failure_reason: str
) -> None:
    detail = report_detail(status, raw_status, failure_reason)
    await conn.execute(
        "INSERT INTO sms_events (outbox_id, kind, detail, raw) VALUES ($1, 'report', $2, $3)",
        outbox_id,
        detail,
        raw_status,
    )
    if status == DELIVERED:
        new_status = "delivered"
    elif status in FAILED_FINAL:
        new_status = "failed"
    else:
        return
    await conn.execute(
        "UPDATE outbox SET status = $2, last_error = CASE WHEN $2 = 'failed' THEN $3"
        f" ELSE last_error END, {_FORGET_RECIPIENT}, updated_at = now()"
        " WHERE id = $1 AND status NOT IN ('delivered', 'failed', 'dead')",
        outbox_id,
        new_status,
        detail,
    )


async def retry_dead(conn: Conn, outbox_id: int, by: str = "operator") -> bool:
    """An operator sends a dead letter (or failed message) again; not once a resident's number
    has been forgotten. `by` names the acting account in the message's timeline."""
    async with conn.transaction():
        done = await conn.fetchval(
            "UPDATE outbox SET status = 'queued', attempts = 0, next_attempt_at = now(),"
            " updated_at = now() WHERE id = $1 AND status IN ('dead', 'failed')"
            " AND (official_id IS NOT NULL OR recipient_sealed <> '') RETURNING true",
            outbox_id,
        )
        if done:
            await record_event(conn, outbox_id, "requeued", by)
    return bool(done)


@dataclass(frozen=True, slots=True)
class SenderState:
    """Whether sending is paused by an account-level problem, and why."""

    paused: bool
    reason: str


async def sender_state(conn: Queryable) -> SenderState:
    """The account-level pause."""
    row = await conn.fetchrow("SELECT paused, reason FROM sender_state")
    assert row is not None  # seeded by its migration
    return SenderState(row["paused"], row["reason"])


async def set_paused(conn: Queryable, paused: bool, reason: str) -> None:
    """Pause or resume all sending."""
    await conn.execute(
        "UPDATE sender_state SET paused = $1, reason = $2, changed_at = now()", paused, reason
    )


async def opted_out(conn: Queryable, phone_keys: list[bytes]) -> set[bytes]:
    """Which of these numbers sent STOP."""
    rows = await conn.fetch(
        "SELECT phone_key FROM opt_outs WHERE phone_key = ANY($1::bytea[])", phone_keys
    )
    return {r["phone_key"] for r in rows}


async def opt_out(conn: Queryable, phone_key: bytes) -> None:
    """Remember a STOP."""
    await conn.execute(
        "INSERT INTO opt_outs (phone_key) VALUES ($1) ON CONFLICT DO NOTHING", phone_key
    )
