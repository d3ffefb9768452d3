"""
Infobip batching: how fast InfobipSender drains messages to the fake Infobip answering each
request after --latency seconds, batched (--batch rows per request) and one at a time (1 row per
request), with the same number of requests in flight, side by side in one run.

    .venv/bin/python benchmarks/infobip_batching.py [--messages 2000] [--latency 0.05]
        [--batch 50] [--concurrency 4]

The fake runs as its own process (gateway.providers.infobip.fake, no delivery reports). This
process plays the outbox worker: --concurrency drainers each take up to `sender.max_batch`
messages from one queue and await `sender.send`, until the queue is empty. It measures the sender
and the HTTP round trips only; the outbox worker's database work comes on top once it is wired in.
Every run checks with the fake that each message arrived exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
import urllib.request
from collections import deque
from dataclasses import dataclass

from gateway.core.messages import Accepted, OutgoingSms
from gateway.providers.infobip.sender import InfobipSender

KEY = "bench-key"
FAKE = """
import sys
from aiohttp import web
from gateway.providers.infobip.fake import create_fake_infobip
web.run_app(create_fake_infobip("bench-key", latency_s=float(sys.argv[2])),
            port=int(sys.argv[1]), print=None, access_log=None)
"""


@dataclass(frozen=True)
class Run:
    """One drain: what was asked and what came of it."""

    label: str
    max_batch: int
    requests: int
    seconds: float
    accepted: int
    arrived: int
    duplicated: int
    cpu_other: float  # CPU used by other processes during the run, in cores


async def drain(url: str, ids: range, max_batch: int, concurrency: int) -> tuple[int, int]:
    """Send every id through one sender; returns (requests made, messages accepted)."""
    queue = deque(OutgoingSms(i, f"+62812{i:08d}", f"Alert contoh nomor {i}") for i in ids)
    sender = InfobipSender(
        url, KEY, "PMI-Serang", None, max_batch=max_batch, concurrency=concurrency
    )
    requests = accepted = 0

    async def drainer() -> None:
        nonlocal requests, accepted
        while queue:
            batch = [queue.popleft() for _ in range(min(sender.max_batch, len(queue)))]
            outcomes = await sender.send(batch)
            requests += 1
            accepted += sum(isinstance(o, Accepted) for o in outcomes)

    try:
        await asyncio.gather(*(drainer() for _ in range(concurrency)))
    finally:
        await sender.close()
    return requests, accepted


def fake_messages(port: int) -> list[dict[str, str]]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/fake-infobip/messages") as reply:
        messages: list[dict[str, str]] = json.load(reply)
    return messages


def measure(
    label: str, port: int, ids: range, max_batch: int, concurrency: int, fake_pid: int
) -> Run:
    before = len(fake_messages(port))
    cpu = Cpu(fake_pid)
    started = time.perf_counter()
    requests, accepted = asyncio.run(drain(f"http://127.0.0.1:{port}", ids, max_batch, concurrency))
    seconds = time.perf_counter() - started
    other = cpu.other() / seconds
    arrived = fake_messages(port)[before:]
    distinct = {m["messageId"] for m in arrived}
    return Run(
        label,
        max_batch,
        requests,
        seconds,
        accepted,
        len(distinct),
        len(arrived) - len(distinct),
        other,
    )


class Cpu:
    """CPU used machine-wide minus this process and the fake (0 when psutil is missing)."""

    def __init__(self, fake_pid: int) -> None:
        try:
            import psutil  # installed with pgserver
        except ImportError:
            self._psutil = None
            return
        self._psutil = psutil
        self._fake = psutil.Process(fake_pid)
        self._start = self._sample()

    def _sample(self) -> float:
        assert self._psutil is not None
        machine = self._psutil.cpu_times()
        total = machine.user + machine.system + getattr(machine, "nice", 0.0)
        ours = sum(self._psutil.Process().cpu_times()[:2]) + sum(self._fake.cpu_times()[:2])
        return float(total - ours)

    def other(self) -> float:
        return 0.0 if self._psutil is None else max(0.0, self._sample() - self._start)


def wait_ready(port: int) -> None:
    deadline = time.monotonic() + 15
    while True:
        try:
            fake_messages(port)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--port", type=int, default=8792)
    args = parser.parse_args()
    fake = subprocess.Popen(  # noqa: S603 - our own fake Infobip
        [sys.executable, "-c", FAKE, str(args.port), str(args.latency)],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_ready(args.port)
        n = args.messages
        runs = [
            measure("batched", args.port, range(n), args.batch, args.concurrency, fake.pid),
            measure("one at a time", args.port, range(n, 2 * n), 1, args.concurrency, fake.pid),
        ]
    finally:
        fake.terminate()
        fake.wait(timeout=30)
    print(
        f"infobip batching: {n} messages, fake Infobip latency {args.latency * 1000:.0f} ms,"
        f" {args.concurrency} requests in flight"
    )
    print(
        "| mode | rows/request | requests | seconds | messages/s | accepted | lost | duplicated"
        " | cpu other |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for run in runs:
        row = (
            run.label,
            run.max_batch,
            run.requests,
            f"{run.seconds:.2f}",
            f"{n / run.seconds:,.0f}",
            run.accepted,
            n - run.arrived,
            run.duplicated,
            f"{run.cpu_other:.2f} cores",
        )
        print("| " + " | ".join(str(cell) for cell in row) + " |")
    ratio = runs[1].seconds / runs[0].seconds
    print(f"batched / one at a time: {ratio:.1f}x the messages per second")


if __name__ == "__main__":
    main()
