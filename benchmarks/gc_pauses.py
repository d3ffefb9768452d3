"""
Garbage-collector pauses in a serving process: `hotline serve --demo` answers structured hops in
fresh sessions from spread numbers (what a radio campaign sends: every caller new, so the
sessions' memory and the flood guard fill up), and the process times every collection.

A collection stops the event loop, so every hop in flight waits for it: the figure is the longest
pause and the total per run, and how many objects the collector still tracks at the end (what a
full collection walks). Start-up is not counted (the statistics are reset once the server is up).

    .venv/bin/python benchmarks/gc_pauses.py [--seconds 20] [--connections 8]

The server runs on CPU 0 with its embedded PostgreSQL, wrk on CPU 1 (as benchmarks/hop_cost.py).
To compare two trees, run this script in each (copy it into the older one).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import ussd_hops as hops  # benchmarks/ is on sys.path when this script runs

# Runs `hotline` with the collector timed; SIGUSR1 writes the figures to $GC_STATS and resets.
WRAPPER = r"""
import collections, gc, json, os, signal, sys, time
pauses = collections.defaultdict(list)
started = [0.0]
def timed(phase, info):
    if phase == "start":
        started[0] = time.perf_counter()
    else:
        pauses[info["generation"]].append(time.perf_counter() - started[0])
gc.callbacks.append(timed)
def dump(*_):
    kinds = collections.Counter(type(o).__name__ for o in gc.get_objects())
    with open(os.environ["GC_STATS"], "w") as out:
        json.dump({"pauses": pauses, "tracked": len(gc.get_objects()),
                   "kinds": kinds.most_common(5)}, out)
    pauses.clear()
signal.signal(signal.SIGUSR1, dump)
sys.argv = ["hotline", *sys.argv[1:]]
from gateway.cli import main
main()
"""


def stats(proc: subprocess.Popen[bytes], path: Path) -> dict[str, object]:
    """Ask the server for its collector figures (and reset them)."""
    path.unlink(missing_ok=True)
    proc.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size:
            time.sleep(0.2)  # the dump is small; let it finish
            loaded: dict[str, object] = json.loads(path.read_text())
            return loaded
        time.sleep(0.1)
    raise SystemExit("the server wrote no collector figures")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=20, help="measured seconds of load")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hotline-gc-"))
    port = hops.free_port()
    env = dict(os.environ, HOTLINE_DATA_DIR=str(work / "data"), GC_STATS=str(work / "gc.json"))
    for name in ("LOG_LEVEL", "LOG_FORMAT"):
        env.pop(name, None)
    command = [sys.executable, "-c", WRAPPER, "serve", "--demo", "--port", str(port)]
    proc = subprocess.Popen(  # noqa: S603 - fixed argv
        [hops.tool("taskset"), "-c", "0", *command],
        cwd=hops.ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(work / "server.stderr").open("wb"),
    )
    try:
        for _ in range(180):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                    break
            except OSError:
                time.sleep(1)
        else:
            raise SystemExit(f"the server did not start: see {work / 'server.stderr'}")
        script = work / "structured.lua"
        hops.write_paths_lua(script, [["1"]], [1])
        stats(proc, Path(env["GC_STATS"]))  # start-up's collections are not counted
        result = work / "wrk.json"
        load = ["-t1", f"-c{args.connections}", f"-d{args.seconds}s", "-s", str(script)]
        subprocess.run(  # noqa: S603 - fixed argv
            [
                hops.tool("taskset"),
                "-c",
                "1",
                hops.tool("wrk"),
                *load,
                f"http://127.0.0.1:{port}/at/ussd",
            ],
            env=dict(os.environ, HOPS_RUN=f"gc{port}", HOPS_RESULT=str(result)),
            stdout=subprocess.DEVNULL,
            check=True,
        )
        figures = stats(proc, Path(env["GC_STATS"]))
        requests = int(json.loads(result.read_text())["requests"])
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        hops.stop_embedded_postgres(work / "data")
        shutil.rmtree(work, ignore_errors=True)
    pauses = figures["pauses"]
    assert isinstance(pauses, dict)
    print(
        f"{requests:,} hops in {args.seconds}s; objects the collector tracks at the end:"
        f" {figures['tracked']:,} (most: {figures['kinds']})"
    )
    print("| generation | collections | longest pause ms | total ms |")
    print("|---|---|---|---|")
    for generation in ("0", "1", "2"):
        times = pauses.get(generation, [])
        longest = max(times, default=0.0) * 1000
        print(f"| {generation} | {len(times)} | {longest:.2f} | {sum(times) * 1000:.1f} |")


if __name__ == "__main__":
    main()
