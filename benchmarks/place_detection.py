"""
Place detection latency: ussd_menus.places.find_in over the labelled SMS of
tests/data/sms_places.json (the 29 kecamatan as migration 0002 seeds them, the 326 shipped desa),
each SMS timed once per round, many rounds, with the gazetteer built once as the gateway keeps
it: wall-clock time, and the thread's CPU time (which a machine busy with other work does not
inflate by preempting the benchmark). Also prints the set's precision and recall. It runs inside
the SMS LAPOR callback, in the transaction that records the message: goal p99 <= 2 ms (the agency
search's goal).

    .venv/bin/python benchmarks/place_detection.py [--rounds 200]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import statistics
import time
from pathlib import Path

from gateway.ussd import menu_desa
from storage.migrate import available
from ussd_menus.model import Kecamatan
from ussd_menus.places import Gazetteer, Place, find_in

GOAL_P99_MS = 2.0
CASES = Path(__file__).parent.parent / "tests" / "data" / "sms_places.json"


def kecamatan() -> tuple[Kecamatan, ...]:
    """The 29 kecamatan as the migration seeds them."""
    sql = next(m.sql for m in available() if m.name.endswith("_kecamatan.sql"))
    return tuple(Kecamatan(c, n) for c, n in re.findall(r"\('(36\.04\.\d\d)', '([^']+)'", sql))


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    """Time every labelled SMS `--rounds` times; print figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--rounds", type=int, default=200)
    rounds = parser.parse_args().rounds
    cases = json.loads(CASES.read_text("utf-8"))
    started = time.perf_counter()
    places = Gazetteer(kecamatan(), menu_desa())
    built_ms = (time.perf_counter() - started) * 1000
    texts = [c["sms"] for c in cases]
    for text in texts:  # warm up
        find_in(text, places)
    gc.disable()
    timings: list[float] = []
    cpu: list[float] = []
    load_before = os.getloadavg()[0]
    for _ in range(rounds):
        for text in texts:
            c0, t0 = time.thread_time_ns(), time.perf_counter_ns()
            find_in(text, places)
            timings.append((time.perf_counter_ns() - t0) / 1e6)
            cpu.append((time.thread_time_ns() - c0) / 1e6)
    gc.enable()
    found = right = labelled = 0
    for case in cases:
        got = find_in(case["sms"], places)
        want = Place(case["kecamatan"], case["desa"]) if case["kecamatan"] else None
        found += got is not None
        labelled += want is not None
        right += got is not None and got == want
    p99 = percentile(timings, 0.99)
    print(f"python {platform.python_version()}, load average {load_before:.2f} before")
    print(f"gazetteer built in {built_ms:.1f} ms")
    print(
        f"{len(texts)} SMS x {rounds} rounds = {len(timings)} detections:"
        f" p50 {percentile(timings, 0.5):.3f} ms, p99 {p99:.3f} ms,"
        f" mean {statistics.fmean(timings):.3f} ms, max {max(timings):.3f} ms"
        f" (goal p99 <= {GOAL_P99_MS} ms: {'met' if p99 <= GOAL_P99_MS else 'MISSED'})"
    )
    print(f"CPU time: p50 {percentile(cpu, 0.5):.3f} ms, p99 {percentile(cpu, 0.99):.3f} ms")
    print(
        f"labelled set: precision {right / found:.3f} ({right}/{found}),"
        f" recall {right / labelled:.3f} ({right}/{labelled})"
    )


if __name__ == "__main__":
    main()
