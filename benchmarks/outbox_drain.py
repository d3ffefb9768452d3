"""
Outbox drain: how fast `hotline worker` sends queued alerts through the Africa's Talking SDK to
the fake gateway answering each request after --latency seconds, and whether any was lost or sent
twice.

    .venv/bin/python benchmarks/outbox_drain.py [--messages 10000] [--latency 0.05] [--workers 1]

An embedded PostgreSQL in a temporary directory gets --messages queued alerts to fictional
officials; the fake gateway runs as its own process; the workers run as `hotline worker`
processes (config from the environment, as in production). Goal (issue 4): >= 200 messages/s.
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
from pathlib import Path

import asyncpg

from storage.embedded import embedded_database_url
from storage.migrate import migrate

HOTLINE = str(Path(sys.executable).parent / "hotline")
FAKE = """
import sys
from aiohttp import web
from gateway.providers.africastalking.fake import create_fake_at
web.run_app(create_fake_at("bench-key", None, latency_s=float(sys.argv[2])),
            port=int(sys.argv[1]), print=None, access_log=None)
"""


async def prepare(url: str, messages: int) -> None:
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)
        officials = await conn.fetch(
            "INSERT INTO officials (name, role, phone, office, kecamatan_codes, categories, tier)"
            " SELECT 'Petugas Contoh ' || i, 'Camat', '+62819' || lpad(i::text, 8, '0'), 'Kec',"
            " '{*}', '{*}', 1 FROM generate_series(1, 50) AS i RETURNING id"
        )
        ids = [r["id"] for r in officials]
        await conn.copy_records_to_table(
            "outbox",
            records=[
                (ids[i % len(ids)], "official", f"Alert contoh nomor {i}", "alert:bench")
                for i in range(messages)
            ],
            columns=["official_id", "recipient_kind", "body", "cause"],
        )
    finally:
        await conn.close()


async def statuses(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT status, count(*) AS n FROM outbox GROUP BY status")
    finally:
        await conn.close()
    return {r["status"]: r["n"] for r in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--port", type=int, default=8791)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="drain-bench-"))
    url = embedded_database_url(data / "pg")
    bench_db = url.replace("/postgres?", "/drain_bench?")
    asyncio.run(_create(url))
    asyncio.run(prepare(bench_db, args.messages))
    fake = subprocess.Popen(  # noqa: S603 - our own fake gateway
        [sys.executable, "-c", FAKE, str(args.port), str(args.latency)],
        stdout=subprocess.DEVNULL,
    )
    env = {
        **os.environ,
        "DATABASE_URL": bench_db,
        "HOTLINE_SECRET": "bench-secret-0123456789",
        "AT_USERNAME": "sandbox",
        "AT_API_KEY": "bench-key",
        "AT_API_URL": f"http://127.0.0.1:{args.port}",
        "HOTLINE_SEND_CONCURRENCY": str(args.concurrency),
        "LOG_LEVEL": "warning",
    }
    workers: list[subprocess.Popen[bytes]] = []
    try:
        time.sleep(1.5)
        started = time.perf_counter()
        workers = [
            subprocess.Popen([HOTLINE, "worker"], env=env, stdout=subprocess.DEVNULL)  # noqa: S603
            for _ in range(args.workers)
        ]
        while True:
            counts = asyncio.run(statuses(bench_db))
            if counts.get("queued", 0) + counts.get("sending", 0) == 0:
                break
            time.sleep(0.25)
        elapsed = time.perf_counter() - started
        with urllib.request.urlopen(f"http://127.0.0.1:{args.port}/fake-at/messages") as reply:
            sent = json.load(reply)
    finally:
        for process in [*workers, fake]:
            process.terminate()
        for process in [*workers, fake]:
            process.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)
    bodies = [m["message"] for m in sent]
    duplicates = len(bodies) - len(set(bodies))
    lost = args.messages - len(set(bodies))
    rate = args.messages / elapsed
    print(
        f"outbox drain: {args.messages} alerts, fake gateway latency {args.latency * 1000:.0f} ms,"
    )
    print(f"{args.workers} worker process(es), {args.concurrency} SDK threads each")
    print("| messages | seconds | messages/s | sent | lost | duplicated | statuses |")
    print("|---|---|---|---|---|---|---|")
    row = (args.messages, f"{elapsed:.1f}", f"{rate:.0f}", len(sent), lost, duplicates, counts)
    print("| " + " | ".join(str(cell) for cell in row) + " |")
    print(f"goal >= 200 messages/s: {'met' if rate >= 200 else 'MISSED'}")


async def _create(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("DROP DATABASE IF EXISTS drain_bench")
        await conn.execute("CREATE DATABASE drain_bench")
    finally:
        await conn.close()


if __name__ == "__main__":
    main()
