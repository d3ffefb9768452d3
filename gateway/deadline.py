"""
A deadline for database work that holds even when the server hangs.

A USSD hop must answer within the gateway's ~10 s: it waits for PostgreSQL at most
HOTLINE_DB_TIMEOUT_S. The work it gave up on is cancelled and left to finish its cleanup (a
rollback, asyncpg's cancel request) in the background, since waiting for that cleanup is waiting
for the hung server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

import structlog

log = structlog.get_logger()
T = TypeVar("T")


class Deadline:
    """Runs database work under one timeout; keeps what it abandoned until it has cleaned up."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        # Work given up on, still cleaning up; kept so it is not garbage-collected.
        self._abandoned: set[asyncio.Future[Any]] = set()

    async def run(self, work: Awaitable[T]) -> T:
        """The work's result, or TimeoutError at the deadline however long its cleanup takes.

        asyncio.wait_for would wait for the cancelled query to clean up, and with a hung server
        that is until TCP or asyncpg's command timeout gives up (20-60 s, past AT's ~10 s hop)."""
        task = asyncio.ensure_future(work)
        try:
            done, _ = await asyncio.wait({task}, timeout=self.timeout_s)
        except asyncio.CancelledError:  # the caller went away: do not leave the query running
            self._abandon(task)
            raise
        if not done:
            self._abandon(task)
            raise TimeoutError(f"no answer from the database within {self.timeout_s} s")
        return task.result()

    def _abandon(self, task: asyncio.Future[T]) -> None:
        """Cancel work nobody waits for any more; it cleans up in the background."""
        task.cancel()
        self._abandoned.add(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Future[Any]) -> None:
        self._abandoned.discard(task)
        if not task.cancelled() and task.exception() is not None:  # retrieved: no asyncio warning
            log.info("ussd.abandoned_query_failed", error=type(task.exception()).__name__)
