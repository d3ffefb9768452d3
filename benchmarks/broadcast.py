"""
Broadcast to the whole regency: how long approving it takes to queue one outbox message per
subscriber, and whether `hotline worker` then drains them at the configured rate (no faster, none
twice) against the SMS provider's fake.

    .venv/bin/python benchmarks/broadcast.py [--subscribers 50000] [--rate 50] [--drain 30]
        [--latency 0.05] [--port 8792]

An embedded PostgreSQL in a temporary directory gets --subscribers confirmed subscribers (numbers
sealed as the SMS flow seals them), spread over every desa and kecamatan and the regency. The
broadcast is approved through storage.broadcasts.approve_and_queue, timed (goal, issue 16: <= 10 s
for 50,000). Its messages are due --rate a second from now; the benchmark's schedule treats now as
inside the sending window (the quiet-hours rule is tested in tests/test_broadcasts.py), so the
figures do not depend on the time of day. A `hotline worker` then runs for --drain seconds
against Africa's Talking's fake; the rate it reached is measured from the fake's own list.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime
from pathlib import Path

import asyncpg
from outbox_drain import statuses  # benchmarks/ is the script's directory

from gateway.identity import Identity
from gateway.usecases.broadcasts import WINDOW_SECONDS, footer
from gateway.ussd import WIB
from storage.areas import desa_by_code
from storage.broadcasts import Schedule, approve_and_queue, create_broadcast
from storage.embedded import embedded_database_url
from storage.migrate import migrate

HOTLINE = str(Path(sys.executable).parent / "hotline")
SECRET = "bench-secret-0123456789"  # noqa: S105 - a fixed secret for a throwaway database
FAKE = """
import sys
from aiohttp import web
from gateway.providers.africastalking.fake import create_fake_at
web.run_app(create_fake_at("bench-key", None, latency_s=float(sys.argv[2])),
            port=int(sys.argv[1]), print=None, access_log=None)
"""


async def prepare(url: str, subscribers: int) -> float:
    """Migrate, store the subscribers; how long sealing and storing them took."""
    identity = Identity(SECRET)
    areas = ["*", *sorted({d.kecamatan_code for d in desa_by_code().values()}), *desa_by_code()]
    started = time.perf_counter()
    records = []
    for i in range(subscribers):
        phone = f"+62812{i:08d}"
        key = identity.reporter_key(phone)
        records.append((key, identity.seal(phone), areas[i % len(areas)], "id" if i % 5 else "en"))
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)
        await conn.copy_records_to_table(
            "subscribers",
            records=[(*r, datetime.now(WIB)) for r in records],
            columns=["phone_key", "recipient_sealed", "area", "lang", "confirmed_at"],
        )
    finally:
        await conn.close()
    return time.perf_counter() - started


async def queue(url: str, rate: float) -> tuple[int, float, float]:
    """Approve a regency-wide broadcast; (messages queued, seconds, when the first was due as
    a time.time())."""
    conn = await asyncpg.connect(url)
    try:
        broadcast_id = await create_broadcast(
            conn, "*", "Sosialisasi kerja luar negeri resmi di balai desa.", "Meeting.", "a", "t"
        )
        now = datetime.now(WIB)
        first_due = now.timestamp()
        plan = Schedule(now, now, WINDOW_SECONDS, rate)  # now counts as the window's opening
        footers = {lang: footer(lang) for lang in ("id", "en")}
        started = time.perf_counter()
        queued = await approve_and_queue(conn, broadcast_id, "b", plan, footers)
        return queued, time.perf_counter() - started, first_due
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--subscribers", type=int, default=50_000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--drain", type=float, default=30.0)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--port", type=int, default=8792)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="broadcast-bench-"))
    url = embedded_database_url(data / "pg")
    bench_db = url.replace("/postgres?", "/broadcast_bench?")
    asyncio.run(_create(url))
    fake = subprocess.Popen(  # noqa: S603 - our own fake gateway
        [sys.executable, "-c", FAKE, str(args.port), str(args.latency)], stdout=subprocess.DEVNULL
    )
    worker = None
    try:
        stored = asyncio.run(prepare(bench_db, args.subscribers))
        queued, seconds, first_due = asyncio.run(queue(bench_db, args.rate))
        env = {
            **os.environ,
            "DATABASE_URL": bench_db,
            "HOTLINE_SECRET": SECRET,
            "HOTLINE_SMS_PER_HOUR": "1000000",
            "LOG_LEVEL": "warning",
            "AT_USERNAME": "sandbox",
            "AT_API_KEY": "bench-key",
            "AT_API_URL": f"http://127.0.0.1:{args.port}",
        }
        started = time.perf_counter()
        worker = subprocess.Popen([HOTLINE, "worker"], env=env, stdout=subprocess.DEVNULL)  # noqa: S603
        time.sleep(args.drain)
        elapsed = time.perf_counter() - started
        due = args.rate * (time.time() - first_due) + 1  # what the schedule let go by now
        worker.terminate()
        worker.wait(timeout=30)
        with urllib.request.urlopen(f"http://127.0.0.1:{args.port}/fake-at/messages") as reply:
            sent = json.load(reply)
        counts = asyncio.run(statuses(bench_db))
    finally:
        for process in [p for p in (worker, fake) if p is not None]:
            process.terminate()
            process.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)
    recipients = [m["to"] for m in sent]
    twice = len(recipients) - len(set(recipients))
    reached = len(recipients) / elapsed
    print(
        f"broadcast to {args.subscribers} subscribers (stored in {stored:.1f} s), rate"
        f" {args.rate:g}/s, fake latency {args.latency * 1000:.0f} ms, drained for {elapsed:.0f} s"
    )
    print("| queued | queue seconds | sent in drain | messages/s reached | duplicated | statuses |")
    print("|---|---|---|---|---|---|")
    print(f"| {queued} | {seconds:.2f} | {len(recipients)} | {reached:.1f} | {twice} | {counts} |")
    print(f"goal: queued in <= 10 s {'met' if seconds <= 10 else 'MISSED'}")
    print(
        f"rate: {len(recipients)} sent of {due:.0f} due by the schedule:"
        f" {'met' if len(recipients) <= due else 'MISSED'} (never ahead of the rate)"
    )


async def _create(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("DROP DATABASE IF EXISTS broadcast_bench")
        await conn.execute("CREATE DATABASE broadcast_bench")
    finally:
        await conn.close()


if __name__ == "__main__":
    main()
