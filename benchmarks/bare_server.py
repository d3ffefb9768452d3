"""
The baseline for benchmarks/ussd_hops.py: the least an aiohttp USSD endpoint can do.

POST /at/ussd parses the urlencoded form like any handler must (`await request.post()`) and answers
`CON hello` as text/plain; GET /healthz answers `ok`. No logging, no middleware, no database.

    .venv/bin/python benchmarks/bare_server.py --port 18200
"""

from __future__ import annotations

import argparse

from aiohttp import web


async def ussd(request: web.Request) -> web.Response:
    """Parse the form, answer a fixed screen."""
    form = await request.post()
    if not form.get("sessionId"):
        return web.Response(text="END missing sessionId", content_type="text/plain")
    return web.Response(text="CON hello", content_type="text/plain")


async def healthz(request: web.Request) -> web.Response:
    """The process is up."""
    return web.Response(text="ok\n")


def main() -> None:
    """Serve until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18200)
    args = parser.parse_args()
    app = web.Application()
    app.router.add_post("/at/ussd", ussd)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
