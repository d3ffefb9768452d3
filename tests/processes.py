"""
Helpers for tests that run the service as a real process: its environment, a free port to give
it, and waiting until it answers /readyz.
"""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

import aiohttp


def service_env(database_url: str, data_dir: Path, port: int, **settings: str) -> dict[str, str]:
    """The environment of a `hotline` process under test: the test database, a test secret, no
    outbox worker, warnings only; `settings` add to it or override it."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "HOTLINE_SECRET": "test-process-secret-0123456789",
        "HOTLINE_WORKER": "off",
        "HOTLINE_DATA_DIR": str(data_dir),
        "PORT": str(port),
        "LOG_LEVEL": "warning",
        **settings,
    }


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_ready(url: str, tries: int = 150) -> None:
    """Poll `url`/readyz every 0.1 s until it answers 200 or the tries run out (the test then
    fails on its own first request)."""
    async with aiohttp.ClientSession() as http:
        for _ in range(tries):
            try:
                async with http.get(f"{url}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
