"""
The outbox worker: sends queued SMS, records each outcome, escalates unacknowledged alerts and
queues the weekly REKAP digest (gateway/rekap.py) in the same periodic loop.

Runs inside `hotline serve` and as `hotline worker`; several can share one database. Rows are
claimed with FOR UPDATE SKIP LOCKED and a lease, so no row goes to two workers, and a worker that
dies mid-send only delays its rows until the lease runs out. Retryable failures back off
exponentially with jitter up to HOTLINE_MAX_ATTEMPTS, then become dead letters; account-level
failures pause all sending (an operator-visible alarm) instead of burning retries. No more than
HOTLINE_SMS_PER_HOUR attempts are claimed per clock hour across all workers: past it, messages
stay queued for the next hour and an alarm is logged (and shown in /metrics and the console).

It sends through the core `Sender` protocol, whatever the provider: rows that may go out are
handed over up to `sender.max_batch` per `send` call (Infobip takes batches; Africa's Talking one
at a time), and every outcome is recorded per row.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import UTC, datetime

import asyncpg
import structlog

from gateway.config import Config
from gateway.core.messages import (
    Accepted,
    AccountProblem,
    Outcome,
    OutgoingSms,
    Permanent,
    Retryable,
    Sender,
)
from gateway.identity import Identity
from gateway.metrics import Metrics
from gateway.rekap import send_weekly
from storage.alerts import TipForAlert, escalate_due
from storage.db import DATABASE_ERRORS
from storage.outbox import (
    Claimed,
    claim_due,
    claim_within_budget,
    mark_accepted,
    mark_failed,
    mark_retry,
    opted_out,
    reclaim_stale,
    release_unsent,
    sender_state,
    set_paused,
)

log = structlog.get_logger()
LEASE_S = 120
IDLE_S = 0.25
PAUSED_PROBE_S = 60.0
MAX_BACKOFF_S = 3600.0


class OutboxWorker:
    """Drains the outbox through one sender."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        sender: Sender,
        identity: Identity,
        config: Config,
        alert_text: Callable[[TipForAlert], str],
        metrics: Metrics | None = None,
    ) -> None:
        self.pool = pool
        self.sender = sender
        self.identity = identity
        self.config = config
        self.alert_text = alert_text
        # Rows claimed per poll: enough for every send slot, and four full batches where the
        # provider batches.
        self._batch = max(1, config.send_concurrency * 2, sender.max_batch * 4)
        # Where outcomes are counted; the app gives it the registry it serves at /metrics.
        self.metrics = metrics if metrics is not None else Metrics()
        self._over_budget = False  # the alarm is logged once per exhaustion, not every poll

    async def run(self) -> None:
        """Send and escalate until cancelled; database outages are waited out."""
        tasks = [
            asyncio.create_task(self._send_forever(), name="outbox-send"),
            asyncio.create_task(self._escalate_forever(), name="outbox-escalate"),
        ]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()

    async def _send_forever(self) -> None:
        while True:
            try:
                sent = await self.drain_once()
            except DATABASE_ERRORS as error:
                log.warning("sms.worker_database_error", error=type(error).__name__)
                sent = 0
                await asyncio.sleep(1)
            if not sent:
                await asyncio.sleep(IDLE_S)

    async def _escalate_forever(self) -> None:
        while True:
            try:
                await self.escalate_once()
                await reclaim_stale(self.pool)
                await self.rekap_once()
            except DATABASE_ERRORS as error:
                log.warning("alerts.escalation_database_error", error=type(error).__name__)
            await asyncio.sleep(self.config.escalation_check_s)

    async def escalate_once(self) -> int:
        """Escalate every due alert; returns how many tips moved on."""
        async with self.pool.acquire() as conn:
            done = await escalate_due(conn, self.alert_text)
        for item in done:
            log.info(
                "alerts.escalated",
                tip_id=item.tip_id,
                from_tier=item.from_tier,
                to_tier=item.to_tier,
                officials=item.alerted,
            )
            self.metrics.escalations.labels(str(item.to_tier or "none")).inc()
        return len(done)

    async def rekap_once(self) -> int:
        """Queue this week's REKAP digest for the officials who have not had it yet."""
        config = self.config
        return await send_weekly(
            self.pool, datetime.now(UTC), config.rekap_weekday, config.rekap_hour
        )

    async def drain_once(self) -> int:
        """Claim one batch and send it; returns how many were attempted (0: nothing due)."""
        state = await sender_state(self.pool)
        if state.paused:
            await self._probe(state.reason)
            return 0
        async with self.pool.acquire() as conn:
            claimed = await claim_within_budget(
                conn, self._batch, LEASE_S, self.config.sms_per_hour
            )
        if claimed.exhausted and not self._over_budget:
            log.error("sms.hourly_budget_exhausted", per_hour=self.config.sms_per_hour, alarm=True)
        self._over_budget = claimed.exhausted
        batch = claimed.batch
        if not batch:
            return 0
        blocked = await self._opted_out(batch)
        outcomes = await self._attempt(batch, blocked)
        await asyncio.gather(*(self._record(row, outcome) for row, outcome in outcomes))
        return len(batch)

    async def _opted_out(self, batch: list[Claimed]) -> set[int]:
        officials = {row.id: row.official_phone for row in batch if row.official_phone}
        keys = {i: self.identity.reporter_key(p) for i, p in officials.items()}
        stopped = await opted_out(self.pool, [k for k in keys.values() if k])
        return {i for i, k in keys.items() if k in stopped}

    async def _attempt(
        self, batch: list[Claimed], blocked: set[int]
    ) -> list[tuple[Claimed, Outcome]]:
        """Each row's outcome: refused here (STOP, a sample number to a real gateway, a purged
        recipient), or the sender's, up to max_batch rows per send call."""
        outcomes: list[tuple[Claimed, Outcome]] = []
        sendable: list[tuple[Claimed, OutgoingSms]] = []
        for row in batch:
            refused, phone = self._refusal(row, row.id in blocked)
            if refused is not None:
                outcomes.append((row, refused))
            else:
                sendable.append((row, OutgoingSms(row.id, phone, row.body)))
        size = max(1, self.sender.max_batch)
        chunks = [sendable[i : i + size] for i in range(0, len(sendable), size)]
        answers = await asyncio.gather(*(self._send(chunk) for chunk in chunks))
        for answer in answers:
            outcomes.extend(answer)
        return outcomes

    async def _send(
        self, chunk: list[tuple[Claimed, OutgoingSms]]
    ) -> list[tuple[Claimed, Outcome]]:
        results = await self.sender.send([message for _, message in chunk])
        if len(results) != len(chunk):  # a sender bug: never guess which outcome is whose
            results = [Retryable("sender gave no outcome for this message")] * len(chunk)
        return [(row, outcome) for (row, _), outcome in zip(chunk, results, strict=True)]

    def _refusal(self, row: Claimed, blocked: bool) -> tuple[Outcome | None, str]:
        """(why this row must not be sent, '') or (None, its recipient's phone)."""
        if blocked:
            return Permanent("recipient sent STOP"), ""
        if row.is_sample and not self.sender.is_local:
            return Permanent("sample number: never sent to a real gateway"), ""
        phone = row.official_phone or (
            self.identity.unseal(row.recipient_sealed) if row.recipient_sealed else ""
        )
        if not phone:
            return Permanent("no recipient (purged)"), ""
        return None, phone

    async def _record(self, row: Claimed, outcome: Outcome) -> None:
        async with self.pool.acquire() as conn:
            if isinstance(outcome, Accepted):
                await mark_accepted(conn, row.id, outcome.message_id, outcome.detail)
                log.info("sms.sent", outbox_id=row.id, attempt=row.attempts)
                self.metrics.sms_send_outcomes.labels("accepted").inc()
            elif isinstance(outcome, Retryable):
                delay = self._backoff(row.attempts)
                status = await mark_retry(
                    conn, row.id, outcome.reason, delay, self.config.max_attempts
                )
                event = "sms.dead_letter" if status == "dead" else "sms.send_retry_scheduled"
                log.warning(event, outbox_id=row.id, attempt=row.attempts, reason=outcome.reason)
                self.metrics.sms_send_outcomes.labels("dead" if status == "dead" else "retry").inc()
            elif isinstance(outcome, Permanent):
                await mark_failed(conn, row.id, outcome.reason)
                log.warning("sms.send_failed", outbox_id=row.id, reason=outcome.reason)
                self.metrics.sms_send_outcomes.labels("failed").inc()
            else:
                assert isinstance(outcome, AccountProblem)
                await set_paused(conn, True, outcome.reason)
                await release_unsent(conn, [row.id], outcome.reason)
                log.error("sms.sending_paused", reason=outcome.reason, alarm=True)
                self.metrics.sms_send_outcomes.labels("paused").inc()

    def _backoff(self, attempts: int) -> float:
        base = self.config.retry_base_s * 2 ** max(attempts - 1, 0)
        return float(min(base, MAX_BACKOFF_S) * random.uniform(0.5, 1.5))  # noqa: S311 - jitter

    async def _probe(self, reason: str) -> None:
        """While paused, try one message now and then; success resumes sending."""
        await asyncio.sleep(min(PAUSED_PROBE_S, self.config.escalation_check_s * 2))
        batch = await claim_due(self.pool, 1, LEASE_S)
        if not batch:
            return
        blocked = await self._opted_out(batch)
        [(_, outcome)] = await self._attempt(batch, blocked)
        if isinstance(outcome, AccountProblem):
            async with self.pool.acquire() as conn:
                await release_unsent(conn, [batch[0].id], outcome.reason)
            log.error("sms.sending_still_paused", reason=outcome.reason, alarm=True)
            self.metrics.sms_send_outcomes.labels("paused").inc()
            return
        async with self.pool.acquire() as conn:
            await set_paused(conn, False, "")
        log.info("sms.sending_resumed", after=reason)
        await self._record(batch[0], outcome)
