"""
Outbox drain: how fast `hotline worker` sends queued alerts through the SMS provider's sender to
its fake answering each request after --latency seconds, and whether any was lost or sent twice.

    .venv/bin/python benchmarks/outbox_drain.py [--messages 10000] [--latency 0.05] [--workers 1]
        [--provider africastalking|infobip] [--batch 50]

An embedded PostgreSQL in a temporary directory gets --messages queued alerts to fictional
officials; the fake runs as its own process; the workers run as `hotline worker` processes (config
from the environment, as in production: the real outbox worker, claiming, recording every
outcome). Goal (issue 4): >= 200 messages/s.

With --provider infobip the run is done twice, side by side on a fresh database each time:
batched (INFOBIP_MAX_BATCH=--batch rows per request) and one at a time (INFOBIP_MAX_BATCH=1),
both with HOTLINE_SEND_CONCURRENCY=--concurrency requests in flight at most.
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
FAKES = {
    "africastalking": """
import sys
from aiohttp import web
from gateway.providers.africastalking.fake import create_fake_at
web.run_app(create_fake_at("bench-key", None, latency_s=float(sys.argv[2])),
            port=int(sys.argv[1]), print=None, access_log=None)
""",
    "infobip": """
import sys
from aiohttp import web
from gateway.providers.infobip.fake import create_fake_infobip
web.run_app(create_fake_infobip("bench-key", latency_s=float(sys.argv[2])),
            port=int(sys.argv[1]), print=None, access_log=None)
""",
}
MESSAGES_PATH = {"africastalking": "/fake-at/messages", "infobip": "/fake-infobip/messages"}
BODY_FIELD = {"africastalking": "message", "infobip": "text"}


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


def provider_env(provider: str, port: int, batch: int) -> dict[str, str]:
    """The provider's settings for `hotline worker`, pointing at the fake."""
    if provider == "infobip":
        return {
            "HOTLINE_SMS_PROVIDER": "infobip",
            "INFOBIP_BASE_URL": f"http://127.0.0.1:{port}",
            "INFOBIP_API_KEY": "bench-key",
            "INFOBIP_SENDER": "BENCH",
            "INFOBIP_MAX_BATCH": str(batch),
        }
    return {
        "AT_USERNAME": "sandbox",
        "AT_API_KEY": "bench-key",
        "AT_API_URL": f"http://127.0.0.1:{port}",
    }


def run(args: argparse.Namespace, batch: int) -> tuple[object, ...]:
    """One drain of --messages alerts on a fresh database; its table row."""
    data = Path(tempfile.mkdtemp(prefix="drain-bench-"))
    url = embedded_database_url(data / "pg")
    bench_db = url.replace("/postgres?", "/drain_bench?")
    asyncio.run(_create(url))
    asyncio.run(prepare(bench_db, args.messages))
    fake = subprocess.Popen(  # noqa: S603 - our own fake gateway
        [sys.executable, "-c", FAKES[args.provider], str(args.port), str(args.latency)],
        stdout=subprocess.DEVNULL,
    )
    env = {
        **os.environ,
        "DATABASE_URL": bench_db,
        "HOTLINE_SECRET": "bench-secret-0123456789",
        "HOTLINE_SEND_CONCURRENCY": str(args.concurrency),
        "HOTLINE_SMS_PER_HOUR": "1000000",
        "LOG_LEVEL": "warning",
        **provider_env(args.provider, args.port, batch),
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
        listing = f"http://127.0.0.1:{args.port}{MESSAGES_PATH[args.provider]}"
        with urllib.request.urlopen(listing) as reply:
            sent = json.load(reply)
    finally:
        for process in [*workers, fake]:
            process.terminate()
        for process in [*workers, fake]:
            process.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)
    bodies = [m[BODY_FIELD[args.provider]] for m in sent]
    duplicates = len(bodies) - len(set(bodies))
    lost = args.messages - len(set(bodies))
    rate = args.messages / elapsed
    return (
        batch,
        args.messages,
        f"{elapsed:.1f}",
        f"{rate:.0f}",
        len(sent),
        lost,
        duplicates,
        counts,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--provider", choices=sorted(FAKES), default="africastalking")
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    batches = [args.batch, 1] if args.provider == "infobip" else [1]
    rows = [run(args, batch) for batch in batches]
    print(
        f"outbox drain via {args.provider}: {args.messages} alerts, fake latency"
        f" {args.latency * 1000:.0f} ms, {args.workers} worker process(es),"
        f" at most {args.concurrency} requests in flight each"
    )
    print(
        "| rows/request | messages | seconds | messages/s | sent | lost | duplicated | statuses |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")
    for row in rows:
        rate = float(str(row[3]))
        print(f"rows/request {row[0]}: goal >= 200 messages/s {'met' if rate >= 200 else 'MISSED'}")


async def _create(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("DROP DATABASE IF EXISTS drain_bench")
        await conn.execute("CREATE DATABASE drain_bench")
    finally:
        await conn.close()


if __name__ == "__main__":
    main()
