"""
Liveness and readiness: /healthz answers while the process runs, /readyz when PostgreSQL answers.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from gateway import keys
from storage.db import DATABASE_ERRORS

WORKER_HEADER = "X-Worker"


async def healthz(request: web.Request) -> web.Response:
    """GET /healthz: the process is alive; under `serve --workers N` the header X-Worker says
    which worker answered (its index, 0 to N-1: nothing an outsider can use)."""
    worker = request.app[keys.CONFIG].worker
    headers = {WORKER_HEADER: str(worker)} if worker is not None else None
    return web.Response(text="ok\n", headers=headers)


async def readyz(request: web.Request) -> web.Response:
    """GET /readyz: the database answers within the configured timeout."""
    try:
        await asyncio.wait_for(
            request.app[keys.POOL].fetchval("SELECT 1"),
            timeout=request.app[keys.CONFIG].db_timeout_s,
        )
    except DATABASE_ERRORS:
        return web.Response(status=503, text="database unavailable\n")
    return web.Response(text="ready\n")
