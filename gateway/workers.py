"""
Several serving processes on one host: `hotline serve --workers N` (or `auto`, one per core).

One Python process answers hops on one core. With N workers the parent (this module's
`supervise`) does what must happen once: it resolves the database (DATABASE_URL, or starts the
embedded server and keeps it running), migrates, loads the demo data, sizes the pools (below) and
checks that the port is free. Then it starts N workers, each a fresh interpreter running the same
command with a hidden `--worker-process INDEX` flag (nothing inherited: no event loop, no
connection, no metric value), which listen on the same host:port with SO_REUSEPORT, so the
kernel spreads connections over them, and each runs the whole app: its own pools, caches and
registry index, and every background task (each safe in several processes: see gateway/app.py).

The parent forwards SIGTERM and SIGINT to the workers as SIGTERM and exits once they have all
exited: 0 when each stopped cleanly. It restarts none: when a worker exits on its own (it failed
to start, or crashed), the parent stops the others and exits non-zero, so the service manager
(systemd, Docker's restart policy) restarts the whole service from one known state rather than a
worker at a time behind its back. Workers run in their own session, so a terminal's Ctrl-C
reaches only the parent, and each stops by itself if the parent dies (gateway/serving.py).

Metrics: the parent gives the workers a fresh PROMETHEUS_MULTIPROC_DIR and marks each exited
worker dead in it (gateway/metrics.py says how /metrics adds the workers up).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from types import FrameType

import asyncpg
import structlog
from prometheus_client.multiprocess import mark_process_dead

from gateway.app import connections_per_process
from gateway.config import Config, ConfigError
from gateway.metrics import MULTIPROC_DIR

log = structlog.get_logger()
MAX_WORKERS = 256
# Connections kept free for everything that is not a worker: `hotline` commands (user add, an
# import, migrate), an operator's psql, a `hotline worker` beside the service, monitoring.
MARGIN = 5
# How long stopping workers may take (their graceful shutdown) before they are killed.
STOP_GRACE_S = 30.0
POLL_S = 0.1


def parse_workers(raw: str) -> int:
    """`--workers`: a count, or `auto` for one per core this process may run on."""
    if raw == "auto":
        return max(1, len(os.sched_getaffinity(0)))
    try:
        count = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a number or 'auto', got {raw!r}") from None
    if not 1 <= count <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"between 1 and {MAX_WORKERS}, got {count}")
    return count


@dataclass(frozen=True, slots=True)
class ConnectionBudget:
    """What PostgreSQL allows, as read from the server (SHOW max_connections and its reserve)."""

    max_connections: int
    reserved: int  # superuser_reserved_connections + reserved_connections (PostgreSQL 16+)

    @property
    def available(self) -> int:
        """Connections the workers may hold together: the rest is reserved or kept as MARGIN."""
        return self.max_connections - self.reserved - MARGIN


async def connection_budget(conn: asyncpg.Connection) -> ConnectionBudget:
    """The server's connection limit and the slots only superusers (or pg_use_reserved_
    connections) may take; `reserved_connections` does not exist before PostgreSQL 16."""
    row = await conn.fetchrow(
        "SELECT current_setting('max_connections')::int AS most,"
        " current_setting('superuser_reserved_connections')::int"
        " + coalesce(current_setting('reserved_connections', true), '0')::int AS reserved"
    )
    assert row is not None
    return ConnectionBudget(row["most"], row["reserved"])


def pool_size_for(workers: int, wanted: int, budget: ConnectionBudget) -> int:
    """Each worker's HOTLINE_DB_POOL_SIZE: the configured size, lowered until N workers fit.

    A worker holds connections_per_process(p) = p (main pool) + max(2, p // 2) (state pool)
    + 1 (LISTEN) connections at most; N workers must stay within max_connections less the
    reserved slots and MARGIN:  N x connections_per_process(p) <= budget.available.  The
    largest p <= `wanted` that fits is taken; when even p = 1 (4 connections a worker) does
    not fit, ConfigError says so and nothing starts.
    """
    for size in range(wanted, 0, -1):
        if workers * connections_per_process(size) <= budget.available:
            return size
    least = connections_per_process(1)
    raise ConfigError(
        [
            f"--workers {workers}: needs at least {workers} x {least} = {workers * least}"
            f" PostgreSQL connections, but max_connections {budget.max_connections} less"
            f" {budget.reserved} reserved and {MARGIN} kept for commands leaves"
            f" {budget.available}: use at most {max(budget.available // least, 0)} workers or"
            " raise max_connections"
        ]
    )


def check_port_free(host: str, port: int) -> None:
    """Refuse a port something already listens on. SO_REUSEPORT would let the workers share it
    with a stale server (another `serve --workers` left running) without a word, so the parent
    binds it once without that option first (and lets go before the workers start)."""
    try:
        addresses = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as error:
        raise ConfigError([f"HOST {host!r}: {error}"]) from None
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                probe.bind(address)
            except OSError as error:
                raise ConfigError([f"{host}:{port}: cannot listen ({error.strerror})"]) from None


def worker_command(config: Config, workers: int, index: int, demo: bool) -> list[str]:
    """The command line of worker `index`: the same `serve`, resolved host and port, hidden flag."""
    command = [sys.executable, "-m", "gateway", "serve", "--host", config.host]
    command += ["--port", str(config.port), "--workers", str(workers)]
    command += ["--worker-process", str(index)]
    return command + (["--demo"] if demo else [])


def worker_environment(
    config: Config, database_url: str, pool_size: int, metrics_dir: str
) -> dict[str, str]:
    """The workers' environment: the parent's, with what it resolved once (the database's URL,
    the secret, possibly from the embedded setup's file) and what it decided (the pool size,
    the metrics directory). Nothing here reaches a log."""
    assert config.secret is not None
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "HOTLINE_SECRET": config.secret,
        "HOTLINE_DB_POOL_SIZE": str(pool_size),
        MULTIPROC_DIR: metrics_dir,
    }


class Supervisor:
    """The parent of N workers: starts them, forwards stop signals, waits for them all."""

    def __init__(self, commands: list[list[str]], env: dict[str, str], metrics_dir: str) -> None:
        self.commands = commands
        self.env = env
        self.metrics_dir = metrics_dir
        self.children: dict[int, subprocess.Popen[bytes]] = {}
        self.exited: set[int] = set()
        self.stopping_since: float | None = None
        self.failed = False
        self._signalled: int | None = None  # set by the signal handler, acted on by the loop

    def run(self) -> int:
        """Start every worker and wait for all to exit; the exit status (0: all stopped cleanly
        after a stop signal)."""
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, self._on_signal)
        for command in self.commands:
            if self._signalled is not None:
                break
            child = subprocess.Popen(command, env=self.env, start_new_session=True)  # noqa: S603
            self.children[child.pid] = child
        log.info("http.workers_started", workers=len(self.children), pids=sorted(self.children))
        while len(self.exited) < len(self.children):
            if self._signalled is not None and self.stopping_since is None:
                log.info("http.workers_stopping", signal=signal.Signals(self._signalled).name)
                self.stop()
            self._reap()
            self._kill_late()
            time.sleep(POLL_S)
        return 1 if self.failed else 0

    def _on_signal(self, number: int, frame: FrameType | None) -> None:
        # Only a flag: a handler that logged could wait forever on the log writer's lock, held by
        # the very line this signal interrupted. The loop stops the workers within POLL_S.
        self._signalled = number

    def stop(self) -> None:
        """Ask every running worker to stop (SIGTERM: each shuts down gracefully)."""
        if self.stopping_since is None:
            self.stopping_since = time.monotonic()
        for child in self.children.values():
            if child.returncode is None:
                child.send_signal(signal.SIGTERM)

    def _reap(self) -> None:
        for pid, child in self.children.items():
            # poll() also answers for a child that stop() (in a signal handler) saw exit.
            if pid in self.exited or child.poll() is None:
                continue
            self.exited.add(pid)
            mark_process_dead(pid, self.metrics_dir)  # type: ignore[no-untyped-call]
            expected = self.stopping_since is not None
            clean = child.returncode == 0 or (expected and child.returncode == -signal.SIGTERM)
            if not expected or not clean:
                self.failed = True
                log.error("http.worker_exited", pid=pid, status=child.returncode, alarm=True)
            if not expected:
                self.stop()  # one worker down: stop the rest (see the module docstring)

    def _kill_late(self) -> None:
        if self.stopping_since is None or time.monotonic() - self.stopping_since < STOP_GRACE_S:
            return
        for child in self.children.values():
            if child.returncode is None:
                log.error("http.worker_killed", pid=child.pid, after_s=STOP_GRACE_S)
                child.kill()
                self.failed = True


def supervise(config: Config, database_url: str, workers: int, pool_size: int, demo: bool) -> int:
    """Run `workers` serving processes until they have all exited; the exit status."""
    check_port_free(config.host, config.port)
    metrics_dir = tempfile.mkdtemp(prefix="hotline-metrics-")  # fresh: no earlier run's values
    try:
        env = worker_environment(config, database_url, pool_size, metrics_dir)
        commands = [worker_command(config, workers, i, demo) for i in range(workers)]
        log.info(
            "http.serving",
            host=config.host,
            port=config.port,
            demo=demo,
            workers=workers,
            db_pool_size=pool_size,
        )
        return Supervisor(commands, env, metrics_dir).run()
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
