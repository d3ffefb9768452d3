"""
What every gateway process keeps in memory of the directories, and the watcher that keeps it
current: the agency search index (registry and job orders) and the active officials' numbers.

Both are small, and both are read on hot paths: an agency check searches the index, and every
USSD session's first hop asks whether the caller is an official (a resident, nearly always: with
the numbers in memory that answer costs no query). An import NOTIFYs the registry channel, and
any change to the officials table NOTIFYs the officials channel (a trigger, so plain SQL counts
too); each process reloads what changed within moments. A lost LISTEN connection is reopened and
everything reloaded, so no change is missed. Memory may lag a commit by those moments: a number
it holds is still confirmed in PostgreSQL before anyone is treated as an official.
"""

from __future__ import annotations

import asyncio

import asyncpg
import structlog

from gateway.agency_index import AgencyIndex
from storage.db import DATABASE_ERRORS
from storage.job_orders import job_orders_date, load_job_orders
from storage.officials import OFFICIALS_CHANNEL, active_official_phones
from storage.registry import REGISTRY_CHANNEL, load_agencies

log = structlog.get_logger()
_CHANNELS = (REGISTRY_CHANNEL, OFFICIALS_CHANNEL)
_PING_S = 5.0  # how often an idle LISTEN connection is checked


class DirectoryWatcher:
    """The agency index and the officials' numbers, reloaded on every notification."""

    def __init__(self, pool: asyncpg.Pool, database_url: str) -> None:
        self.pool = pool
        self.database_url = database_url
        self.index = AgencyIndex(())
        self.official_phones: frozenset[str] = frozenset()
        self._changed: set[str] = set()
        self._wake = asyncio.Event()
        # One load of each at a time: a reload that read the database earlier must not finish
        # later and put an older copy back over a newer one (an import's own reload racing the
        # reload its notification started).
        self._registry_loading = asyncio.Lock()
        self._officials_loading = asyncio.Lock()

    async def load(self) -> None:
        """Reload everything from the database."""
        await self._load_registry()
        await self.load_officials()

    async def _load_registry(self) -> None:
        async with self._registry_loading:
            async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
                agencies = await load_agencies(conn)
                orders_date = await job_orders_date(conn)  # every import has rows, so a date
                orders = await load_job_orders(conn) if orders_date is not None else None
            self.index = AgencyIndex(agencies, orders, orders_date)
        log.info(
            "registry.index_loaded",
            agencies=len(agencies),
            snapshot_date=str(self.index.snapshot_date or ""),
        )

    async def load_officials(self) -> None:
        """Reload the active officials' numbers."""
        async with self._officials_loading:
            self.official_phones = await active_official_phones(self.pool)
        log.info("officials.numbers_loaded", officials=len(self.official_phones))

    async def run(self) -> None:
        """Listen for changes forever, reconnecting with backoff. Any failure (a lost
        connection, a ping with no answer, a load that raises) reconnects and reloads
        everything: a watcher that stopped would leave this process's memory stale."""
        delay = 0.5
        while True:
            try:
                conn = await asyncpg.connect(self.database_url, timeout=_PING_S)
            except DATABASE_ERRORS as error:
                log.warning("registry.listen_failed", error=str(error), retry_in_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30)
                continue
            try:
                for channel in _CHANNELS:
                    await conn.add_listener(channel, self._notified)
                await self.load()  # anything changed while we were not listening
                delay = 0.5
                await self._follow(conn)
            except DATABASE_ERRORS as error:
                log.warning("registry.listen_lost", error=str(error))
            except Exception:  # a bug or bad data: keep watching, and say so loudly
                log.exception("registry.watch_failed", alarm=True, retry_in_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30)
            finally:
                conn.terminate()

    def _notified(self, _conn: object, _pid: object, channel: str, _payload: object) -> None:
        self._changed.add(channel)
        self._wake.set()

    async def _follow(self, conn: asyncpg.Connection) -> None:
        """Reload what each notification names, until the connection is lost."""
        while not conn.is_closed():
            try:
                # Not asyncio.wait_for: on Python 3.11 it can swallow a cancellation that meets a
                # notification, and the app's shutdown would then wait for this loop forever.
                async with asyncio.timeout(_PING_S):
                    await self._wake.wait()
            except TimeoutError:
                await conn.execute("SELECT 1", timeout=_PING_S)  # notices a dead connection
                continue
            self._wake.clear()
            changed, self._changed = self._changed, set()
            if REGISTRY_CHANNEL in changed:
                await self._load_registry()
            if OFFICIALS_CHANNEL in changed:
                await self.load_officials()
