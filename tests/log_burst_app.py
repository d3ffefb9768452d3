"""
A process that logs as `hotline serve` does (gateway.logs to stdout, gateway.serving.serve with its
SIGTERM handling) and keeps logging while it is told to stop: tests/test_logs.py counts its lines.

Until SIGTERM it logs `burst.before` lines numbered from 0, a batch per loop turn, so that some
are always in the buffer when the signal arrives. The app's shutdown then stops that task, logs
`burst.counted` with how many it logged, logs BURST `burst.during` lines numbered from 0 in one go,
and `burst.finished`. Run: python -m tests.log_burst_app PORT
"""

from __future__ import annotations

import asyncio
import signal
import sys

import structlog
from aiohttp import web

from gateway import logs
from gateway.config import Config
from gateway.serving import serve

BURST = 100_000
BATCH = 200
log = structlog.get_logger()
TASK = web.AppKey("task", asyncio.Task[int])
STOP = web.AppKey("stop", asyncio.Event)


async def log_until_stopped(stop: asyncio.Event) -> int:
    """`burst.before` lines, BATCH a loop turn, until told to stop; how many were logged. The
    first waits until serve() handles SIGTERM, so a test may signal once it reads a line."""
    while signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:  # noqa: ASYNC110 - no event to wait on
        await asyncio.sleep(0.01)
    logged = 0
    while not stop.is_set():
        for _ in range(BATCH):
            log.info("burst.before", n=logged)
            logged += 1
        await asyncio.sleep(0)
    return logged


async def start(app: web.Application) -> None:
    app[STOP] = asyncio.Event()
    app[TASK] = asyncio.create_task(log_until_stopped(app[STOP]))


async def burst_on_shutdown(app: web.Application) -> None:
    app[STOP].set()
    log.info("burst.counted", before=await app[TASK])
    for n in range(BURST):
        log.info("burst.during", n=n)
    log.info("burst.finished")


def main() -> None:
    config = Config(log_format="json", port=int(sys.argv[1]), host="127.0.0.1")
    logs.configure(config, stream=sys.stdout)
    app = web.Application()
    app.on_startup.append(start)
    app.on_shutdown.append(burst_on_shutdown)
    asyncio.run(serve(app, config))


if __name__ == "__main__":
    main()
