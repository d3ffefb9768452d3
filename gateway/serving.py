"""
How `hotline serve` listens: aiohttp's runner with a deadline on request heads and a cap on open
connections, so clients that trickle bytes or never speak cannot pile up sockets.

aiohttp has no header read timeout as such, but its keep-alive timer is armed when a connection
opens and again after every response, and it closes a connection that has no complete request
head by then. With `keepalive_timeout` set to HOTLINE_HEADER_TIMEOUT_S, a head sent a byte at a
time is cut off after that long, as is an idle keep-alive connection (nginx in front closes its
idle upstream connections sooner, see deploy/nginx.conf). aiohttp has no connection cap either:
the listening socket's protocol factory counts the server's open connections and answers 503 and
closes any connection over HOTLINE_MAX_CONNECTIONS. A request body is read by its handler and is
not under the head deadline; nginx's client_body_timeout covers slow bodies in production.

Under `hotline serve --workers N` (gateway/workers.py) each worker listens on the same port with
SO_REUSEPORT (the kernel spreads connections over them; the cap is per worker) and stops when
its parent is gone, so a killed parent leaves no orphan holding the port.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal

import structlog
from aiohttp import web

from gateway import logs
from gateway.config import Config

log = structlog.get_logger()
_REFUSAL_BODY = b"too many connections\n"
REFUSAL = (
    b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\n"
    b"Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s"
    % (len(_REFUSAL_BODY), _REFUSAL_BODY)
)
REFUSAL_LOG_INTERVAL_S = 10.0
# How long a stop waits for requests still running (a CSV download) before closing them: well
# inside the 30 s a `serve --workers` parent (gateway.workers.STOP_GRACE_S) and Docker give.
SHUTDOWN_TIMEOUT_S = 15.0
PARENT_CHECK_S = 1.0


class _Refused(asyncio.Protocol):
    """A connection over the cap: told 503 at once and closed, never parsed."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(REFUSAL)
        transport.close()


class CappedSite(web.BaseSite):
    """A TCP site that refuses connections beyond `max_connections` open at once."""

    def __init__(
        self,
        runner: web.BaseRunner,
        host: str,
        port: int,
        max_connections: int,
        *,
        reuse_port: bool = False,
    ) -> None:
        super().__init__(runner)
        self.host = host
        self.port = port
        self.max_connections = max_connections
        self.reuse_port = reuse_port  # several worker processes share the port
        self.refused = 0
        self._last_log = 0.0

    @property
    def name(self) -> str:
        """The site's URL, as aiohttp names its sites."""
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        """Listen on host:port with the capping protocol factory."""
        await super().start()
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._protocol,
            self.host,
            self.port,
            backlog=self._backlog,
            reuse_address=True,
            reuse_port=self.reuse_port,
        )

    def _protocol(self) -> asyncio.BaseProtocol:
        server = self._runner.server
        assert server is not None
        if len(server.connections) < self.max_connections:
            return server()
        self.refused += 1
        now = asyncio.get_running_loop().time()
        if now - self._last_log >= REFUSAL_LOG_INTERVAL_S:
            self._last_log = now
            log.warning(
                "http.connections_capped", limit=self.max_connections, refused_total=self.refused
            )
        return _Refused()


def make_runner(app: web.Application, config: Config) -> web.AppRunner:
    """The app's runner with the head deadline (see the module docstring)."""
    return web.AppRunner(
        app,
        access_log=None,
        keepalive_timeout=config.header_timeout_s,
        shutdown_timeout=SHUTDOWN_TIMEOUT_S,
    )


async def serve(app: web.Application, config: Config, parent: int | None = None) -> None:
    """Serve until SIGINT or SIGTERM, or until process `parent` (a worker's) is gone, then shut
    down gracefully (as aiohttp's run_app does); log lines are buffered meanwhile and all
    written before this returns."""
    logs.start_buffering()
    runner = make_runner(app, config)
    await runner.setup()
    watching: asyncio.Task[None] | None = None
    try:
        site = CappedSite(
            runner,
            config.host,
            config.port,
            config.max_connections,
            reuse_port=config.workers > 1,
        )
        await site.start()
        # Everything built at start-up (menus, the registry index, caches' shells) lives as long
        # as the process: out of the collector's sight, a full collection no longer walks it
        # in the middle of someone's hop.
        gc.freeze()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(number, stop.set)
        if parent is not None:
            watching = asyncio.create_task(_watch_parent(parent, stop), name="parent-watch")
        await stop.wait()
        log.info("http.stopping")
    finally:
        if watching is not None:
            watching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watching
        try:
            await runner.cleanup()
        finally:
            logs.stop_buffering()


async def _watch_parent(parent: int, stop: asyncio.Event) -> None:
    """Set `stop` once this process's parent is no longer `parent` (it died; we were adopted)."""
    while True:
        await asyncio.sleep(PARENT_CHECK_S)
        if os.getppid() != parent:
            break
    log.error("http.parent_gone", parent=parent)
    stop.set()
