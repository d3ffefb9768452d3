"""
What logging costs a USSD hop, in microseconds: starting the request's log context, the handler's
binds (session, service code, menu node) and the `http.request_finished` line, written to stdout
through the buffered writer as `hotline serve` does. A few seconds; pipe stdout away:

    .venv/bin/python benchmarks/log_cost.py | cat > /dev/null

The handler binds with gateway.logs.bind (one dict per request). Run it on an older tree (without
gateway.logs.summary) to get the structlog pipeline's figure for the same hop (a context variable
per key).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable

import structlog

from gateway import logs
from gateway.config import Config

N = 30_000
SESSION = {"session_id": "ATUid_0123456789abcdef", "service_code": "*123*45#"}
SUMMARY = {"method": "POST", "status": 200, "duration_ms": 1.23}
CURRENT = hasattr(logs, "summary")
contextvars = structlog.contextvars
log = structlog.get_logger()


def structlog_hop() -> None:
    """The hop as the structlog pipeline logged it: a random id, a context variable per key."""
    contextvars.clear_contextvars()
    contextvars.bind_contextvars(request_id=os.urandom(8).hex(), route="/at/ussd")
    contextvars.bind_contextvars(**SESSION)
    contextvars.bind_contextvars(ussd_node="check_detail")
    log.info("http.request_finished", **SUMMARY)


def hop() -> None:
    """The middleware's context and summary, the handler binding with gateway.logs.bind."""
    logs.new_request("/at/ussd")
    logs.bind(**SESSION)
    logs.bind(ussd_node="check_detail")
    logs.summary("http.request_finished", **SUMMARY)


async def measure(name: str, step: Callable[[], None]) -> None:
    """Best of three runs of N steps, yielding to the loop every 100 as a server does."""

    async def run() -> float:
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            for n in range(N):
                step()
                if n % 100 == 0:
                    await asyncio.sleep(0)
            best = min(best, (time.perf_counter() - started) / N)
        return best

    seconds = await asyncio.create_task(run())  # a fresh context per case
    print(f"{name}: {seconds * 1e6:.2f} µs a hop", file=sys.stderr)


async def main() -> None:
    """Each case in turn; the plain gateway.logs hop first, before any structlog binding."""
    logs.configure(Config(log_format="json"), stream=sys.stdout)
    if not CURRENT:
        await measure("structlog pipeline", structlog_hop)
        return
    logs.start_buffering()
    await measure("gateway.logs, handler binds with logs.bind", hop)
    logs.stop_buffering()


if __name__ == "__main__":
    asyncio.run(main())
