"""
Group commit: writes that arrive while one is in flight go to PostgreSQL together, in one
statement, instead of each waiting its own round trip and transaction.

Nothing waits on purpose. The first write goes at once (on the next turn of the event loop, so
writes made in the same turn join it); writes that arrive while it runs form the next group, sent
as soon as it returns. Under light load every write is alone and as fast as before; under heavy
load the number of statements stays near one per round trip however many hops there are.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
MAX_GROUP = 500  # rows in one statement: bounds its size and the time it holds locks


class GroupWriter(Generic[Item, Result]):
    """Sends items through `write_many` (one statement for a group, results in the same order)."""

    def __init__(
        self,
        write_many: Callable[[Sequence[Item]], Awaitable[Sequence[Result]]],
        timeout_s: float | None = None,
    ) -> None:
        self._write_many = write_many
        # A statement that hangs holds every later group: it is given up after this long (the
        # hops' own deadline), and its group hears TimeoutError.
        self.timeout_s = timeout_s
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def write(self, item: Item) -> Result:
        """The item's result, once the group it joined is written."""
        return await self.submit(item)

    def submit(self, item: Item) -> asyncio.Future[Result]:
        """Queue the item for the next group; the future is its result (for a caller that need
        not wait: `drain` at shutdown writes whatever is still queued)."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._flusher is None:
            self._flusher = asyncio.ensure_future(self._flush())
        return future

    async def drain(self) -> None:
        """Wait until everything submitted so far is written (or has failed)."""
        while self._flusher is not None:
            await asyncio.shield(self._flusher)

    async def _flush(self) -> None:
        group: list[tuple[Item, asyncio.Future[Result]]] = []
        try:
            await asyncio.sleep(0)  # writes made in this turn of the loop join the first group
            while self._waiting:
                group = self._waiting[:MAX_GROUP]
                del self._waiting[:MAX_GROUP]
                # A waiter that gave up (its deadline passed) no longer needs its row written.
                group = [(item, future) for item, future in group if not future.done()]
                if not group:
                    continue
                try:
                    async with asyncio.timeout(self.timeout_s):
                        results = await self._write_many([item for item, _ in group])
                except Exception as error:  # every waiter of the group hears of it
                    _settle(group, error=error)
                    continue
                for (_, future), result in zip(group, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._flusher = None
            # Cancelled mid-write (shutdown): nobody is left waiting, in flight or queued.
            _settle(group + self._waiting, error=None)
            self._waiting.clear()


def _settle(
    group: Sequence[tuple[object, asyncio.Future[Any]]], error: BaseException | None
) -> None:
    """End the futures not yet done: with the error, or cancelled when there is none."""
    for _, future in group:
        if future.done():
            continue
        if error is None:
            future.cancel()
        else:
            future.set_exception(error)
