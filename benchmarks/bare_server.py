"""
The baseline for benchmarks/ussd_hops.py and benchmarks/hop_cost.py: the least an aiohttp USSD
endpoint can do.

POST /at/ussd parses the urlencoded form like any handler must (`await request.post()`) and answers
`CON hello` as text/plain; GET /healthz answers `ok`. No logging, no middleware, no database.

With --request-log, the same handler sits behind the hotline's own request middleware
(gateway.middleware: the callback token check, the request's log context and its one JSON summary
line, buffered as `hotline serve` buffers it) at the default log level: the floor under any hop
the hotline answers while keeping one log line per request.

    .venv/bin/python benchmarks/bare_server.py --port 18200 [--request-log]
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator

from aiohttp import web

from gateway import logs
from gateway.config import Config
from gateway.keys import CONFIG
from gateway.middleware import request_context


async def ussd(request: web.Request) -> web.Response:
    """Parse the form, answer a fixed screen."""
    form = await request.post()
    if not form.get("sessionId"):
        return web.Response(text="END missing sessionId", content_type="text/plain")
    return web.Response(text="CON hello", content_type="text/plain")


async def healthz(request: web.Request) -> web.Response:
    """The process is up."""
    return web.Response(text="ok\n")


async def buffered_logs(app: web.Application) -> AsyncIterator[None]:
    """Log lines buffered on the serving loop, all written at shutdown (as `hotline serve`)."""
    logs.start_buffering()
    yield
    logs.stop_buffering()


def main() -> None:
    """Serve until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18200)
    parser.add_argument(
        "--request-log", action="store_true", help="behind the hotline's request middleware"
    )
    args = parser.parse_args()
    app = web.Application()
    if args.request_log:
        config = Config.from_env(os.environ)
        logs.configure(config)
        app = web.Application(middlewares=[request_context])
        app[CONFIG] = config
        app.cleanup_ctx.append(buffered_logs)
    app.router.add_post("/at/ussd", ussd)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
