"""
The real app on a database of its own, served on a loopback port from a background thread.

For tests whose client is synchronous (hypothesis' @given, schemathesis): they cannot share the
session's event loop, so the app gets its own loop and thread, and its own copy of the template
database, dropped afterwards.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
from aiohttp import web

from gateway.app import create_app
from gateway.config import Config
from tests.conftest import TEMPLATE, with_database

T = TypeVar("T")


@dataclass(frozen=True)
class LiveApp:
    """Where the app answers, and a way to run coroutines on its loop (seeding, checks)."""

    url: str
    database_url: str
    loop: asyncio.AbstractEventLoop

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        """Run a coroutine on the app's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=timeout)


@contextmanager
def live_app(server_url: str, name: str, config: Config) -> Iterator[LiveApp]:
    """Serve `create_app(config)` on a fresh copy of the template database named `name`."""
    loop = asyncio.new_event_loop()

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(server_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    loop.run_until_complete(admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    loop.run_until_complete(admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))
    database = with_database(server_url, name)
    runner = web.AppRunner(create_app(config, database))
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", 0).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    live = LiveApp(f"http://127.0.0.1:{runner.addresses[0][1]}", database, loop)
    try:
        yield live
    finally:
        live.run(runner.cleanup(), timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.run_until_complete(admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        loop.close()
