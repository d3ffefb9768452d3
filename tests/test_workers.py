"""
`hotline serve --workers N`: real processes on one port, real HTTP, the test's PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from gateway.app import connections_per_process
from gateway.config import ConfigError
from gateway.health import WORKER_HEADER
from gateway.workers import MARGIN, ConnectionBudget, parse_workers, pool_size_for
from tests.conftest import CALLBACK_TOKEN
from tests.processes import free_port, service_env

HOTLINE = str(Path(sys.executable).parent / "hotline")
HOPS = 40


@dataclass
class Served:
    """A running `hotline serve --workers N`: the parent process and where it answers."""

    process: asyncio.subprocess.Process
    url: str
    port: int

    def workers(self) -> list[int]:
        """The parent's child processes (its workers), from /proc."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    stat = (entry / "stat").read_text()
                    if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                        found.append(int(entry.name))
        return found

    async def exit_status(self, within_s: float = 20) -> int:
        """How the parent exited (waits for it)."""
        return await asyncio.wait_for(self.process.wait(), timeout=within_s)


Start = Callable[[int], Awaitable[Served]]


def running(pid: int) -> bool:
    """Whether process `pid` still exists."""
    return Path(f"/proc/{pid}").exists()


def environment(database_url: str, tmp_path: Path, port: int) -> dict[str, str]:
    return service_env(
        database_url, tmp_path, port, HOTLINE_CALLBACK_TOKEN=CALLBACK_TOKEN, HOST="127.0.0.1"
    )


def fresh_connections() -> aiohttp.ClientSession:
    """A client that opens a new connection per request, so the kernel picks a worker each time."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True))


@pytest.fixture
async def serve(database_url: str, tmp_path: Path) -> AsyncIterator[Start]:
    """Start `hotline serve --workers N`; gives it once every worker answers /healthz."""
    started: list[Served] = []

    async def start(workers: int) -> Served:
        port = free_port()
        process = await asyncio.create_subprocess_exec(
            HOTLINE,
            "serve",
            "--workers",
            str(workers),
            env=environment(database_url, tmp_path, port),
            stdout=asyncio.subprocess.DEVNULL,
        )
        served = Served(process, f"http://127.0.0.1:{port}", port)
        started.append(served)
        seen: set[str] = set()
        async with fresh_connections() as http:
            for _ in range(600):
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"{served.url}/healthz") as response:
                        seen.add(response.headers.get(WORKER_HEADER, ""))
                if len(seen) == workers:
                    return served
                await asyncio.sleep(0.05)
        raise AssertionError(f"workers answering after 30 s: {sorted(seen)}")

    yield start
    for served in started:
        if served.process.returncode is None:
            served.process.kill()
            await served.process.wait()


async def hop(http: aiohttp.ClientSession, url: str, number: int) -> str:
    """One first hop of a session of its own, from a number of its own (no flood guard)."""
    form = {"sessionId": f"workers-{number}", "phoneNumber": f"+62812700{number:05d}", "text": ""}
    async with http.post(f"{url}/at/ussd?token={CALLBACK_TOKEN}", data=form) as response:
        assert 200 == response.status
        return await response.text()


async def hops_counted(http: aiohttp.ClientSession, url: str) -> float:
    """hotline_ussd_hop_seconds_count as /metrics shows it."""
    async with http.get(f"{url}/metrics") as response:
        text = await response.text()
    [line] = [x for x in text.splitlines() if x.startswith("hotline_ussd_hop_seconds_count")]
    return float(line.split()[-1])


class TestTwoWorkers:
    async def test_both_workers_answer_on_one_port(self, serve: Start) -> None:
        """`serve --workers 2` runs two processes, and connections to the port reach both."""
        served = await serve(2)
        assert 2 == len(served.workers())

    async def test_metrics_count_the_hops_of_every_worker(self, serve: Start) -> None:
        """After K hops spread over both workers, /metrics says K whichever worker answers."""
        served = await serve(2)
        async with fresh_connections() as http:
            screens = await asyncio.gather(*(hop(http, served.url, n) for n in range(HOPS)))
            assert all(screen.startswith("CON ") for screen in screens)
            counted = [await hops_counted(http, served.url) for _ in range(10)]
        assert [float(HOPS)] * 10 == counted

    async def test_sigterm_stops_every_worker_cleanly(self, serve: Start) -> None:
        """SIGTERM to the parent: the workers stop, the parent exits 0, the port is free."""
        served = await serve(2)
        workers = served.workers()
        served.process.send_signal(signal.SIGTERM)
        assert 0 == await served.exit_status()
        assert not [pid for pid in workers if running(pid)]
        with (
            pytest.raises(ConnectionRefusedError),
            socket.create_connection(("127.0.0.1", served.port), timeout=2),
        ):
            pass

    async def test_a_worker_that_dies_stops_the_service_with_an_error(self, serve: Start) -> None:
        """A worker killed: the parent restarts none, stops the other and exits non-zero."""
        served = await serve(2)
        first, second = served.workers()
        os.kill(first, signal.SIGKILL)
        assert 0 != await served.exit_status()
        assert not running(second)


class TestTooManyWorkers:
    async def test_refused_naming_max_connections(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """More workers than max_connections can hold: nothing starts, the message says why."""
        most = int(await conn.fetchval("SHOW max_connections"))
        workers = most // connections_per_process(1) + 1
        if workers > 256:
            pytest.skip("max_connections too large for --workers' range")
        process = await asyncio.create_subprocess_exec(
            HOTLINE,
            "serve",
            "--workers",
            str(workers),
            env=environment(database_url, tmp_path, free_port()),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        assert 0 != process.returncode
        assert f"max_connections {most}" in stderr.decode()


BUDGET = ConnectionBudget(max_connections=100, reserved=3)  # PostgreSQL's defaults


@pytest.mark.parametrize(
    ("workers", "wanted", "size"),
    [
        (1, 10, 10),  # 16 connections
        (2, 10, 10),  # 2 x 16 = 32 of the 92 available
        (5, 10, 10),  # 5 x 16 = 80
        (6, 10, 9),  # 6 x 16 = 96 > 92; 6 x (9 + 4 + 1) = 84
        (23, 10, 1),  # 23 x (1 + 2 + 1) = 92
    ],
)
def test_pool_size_is_lowered_until_the_workers_fit(workers: int, wanted: int, size: int) -> None:
    """Each worker keeps HOTLINE_DB_POOL_SIZE unless N workers would pass max_connections."""
    assert size == pool_size_for(workers, wanted, BUDGET)
    assert workers * connections_per_process(size) <= BUDGET.max_connections - 3 - MARGIN


def test_workers_that_cannot_fit_are_refused() -> None:
    """24 workers need at least 96 connections where 92 are available: refused, saying so."""
    with pytest.raises(ConfigError, match="max_connections 100"):
        pool_size_for(24, 10, BUDGET)


def test_auto_means_one_worker_per_usable_core() -> None:
    """`--workers auto` starts as many workers as cores this process may run on."""
    assert len(os.sched_getaffinity(0)) == parse_workers("auto")


@pytest.mark.parametrize("raw", ["0", "-1", "257", "two"])
def test_a_worker_count_out_of_range_is_refused(raw: str) -> None:
    """A count below 1, above 256 or not a number is a usage error."""
    with pytest.raises(argparse.ArgumentTypeError):
        parse_workers(raw)
