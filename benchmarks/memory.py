"""
Memory: resident set size of a serving `hotline serve` process with a 5,000-agency registry,
after it has answered a few thousand USSD hops (the search index and answer caches filled).

    .venv/bin/python benchmarks/memory.py [--agencies 5000] [--hops 3000]

Goal (issue 6): RSS <= 150 MB. The embedded PostgreSQL is a separate process and not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search import make_agencies

from storage.registry_csv import format_agencies

HOTLINE = str(Path(sys.executable).parent / "hotline")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# HOTLINE_CALLBACK_TOKEN: required outside --demo
TOKEN = "memory-bench-token-0123456789"  # noqa: S105 - a benchmark's throwaway token


async def load(url: str, hops: int, names: list[str]) -> None:
    async with aiohttp.ClientSession() as http:
        for i in range(hops // 3):
            for text in ("", "1", f"1*{random.choice(names)}"):
                form = {"sessionId": f"mem-{i}", "phoneNumber": f"+62812{i:08d}", "text": text}
                target = f"{url}/at/ussd?token={TOKEN}"
                async with http.post(target, data=form) as response:
                    await response.read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--agencies", type=int, default=5000)
    parser.add_argument("--hops", type=int, default=3000)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="mem-bench-"))
    agencies = make_agencies(args.agencies, random.Random(7))
    registry = data / "registry.csv"
    registry.write_text(format_agencies(agencies), "utf-8")
    port = free_port()
    env = {
        **os.environ,
        "HOTLINE_DATA_DIR": str(data / "var"),
        "PORT": str(port),
        "LOG_LEVEL": "warning",
        "HOTLINE_CALLBACK_TOKEN": TOKEN,
    }
    command = [HOTLINE, "registry", "import", str(registry)]
    subprocess.run(command, env=env, check=True, capture_output=True)  # noqa: S603 - our own CLI
    server = subprocess.Popen([HOTLINE, "serve"], env=env, stdout=subprocess.DEVNULL)  # noqa: S603
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        started = psutil.Process(server.pid).memory_info().rss
        asyncio.run(load(url, args.hops, [a.name for a in agencies]))
        rss = psutil.Process(server.pid).memory_info().rss
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)
    mb = rss / 2**20
    print(f"memory: hotline serve with {args.agencies} agencies, after {args.hops} USSD hops")
    print("| RSS at start MB | RSS after load MB |")
    print("|---|---|")
    print(f"| {started / 2**20:.1f} | {mb:.1f} |")
    print(f"goal <= 150 MB: {'met' if mb <= 150 else 'MISSED'}")


if __name__ == "__main__":
    main()
