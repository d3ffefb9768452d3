"""
Liveness and readiness: /healthz answers while the process runs, /readyz when PostgreSQL answers.
"""

from __future__ import annotations

import asyncio

import asyncpg
from aiohttp import web

from gateway import keys


async def healthz(request: web.Request) -> web.Response:
    """GET /healthz: the process is alive."""
    return web.Response(text="ok\n")


async def readyz(request: web.Request) -> web.Response:
    """GET /readyz: the database answers within the configured timeout."""
    try:
        await asyncio.wait_for(
            request.app[keys.POOL].fetchval("SELECT 1"),
            timeout=request.app[keys.CONFIG].db_timeout_s,
        )
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
        return web.Response(status=503, text="database unavailable\n")
    return web.Response(text="ready\n")
