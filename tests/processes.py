"""
Helpers for tests that run the service as a real process: a free port to give it, and waiting
until it answers /readyz.
"""

from __future__ import annotations

import asyncio
import socket

import aiohttp


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
