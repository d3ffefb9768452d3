"""
REKAP build time: how long the officials' digest (figures in one statement, storage/rekap.py, and
its SMS text, ussd_menus/rekap.py) takes at --tips tips, for the whole regency and for a whole
weekly round (every one of the 29 kecamatan and every agency in the sample directory).

    .venv/bin/python benchmarks/rekap.py [--tips 100000] [--repeats 30] [--explain]

A fresh embedded PostgreSQL in a temporary directory gets the migrations, the sample officials and
--tips synthetic tips spread over the 29 kecamatan and the last year (statuses of every kind,
closed ones with their closing move in case_events, a fifth naming an unlicensed agency, some
overdue by due date or by an unacknowledged alert), plus 20,000 agency checks. Each build is
timed --repeats times; p50/p95 are printed with the machine's load average before and after (the
machine is shared: other work slows a run down). Goal: the whole regency well under a second.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from gateway.phones import normalize
from storage.embedded import embedded_database_url
from storage.migrate import migrate
from storage.officials import import_officials, parse_officials
from storage.regions import load_kecamatan
from storage.rekap import Scope, figures_query, rekap_figures
from storage.sample import sample_officials_csv
from storage.tips import CATEGORIES
from ussd_menus.cases import STATUSES
from ussd_menus.rekap import rekap_text

AGENCIES = ("KEC", "DESA", "DISNAKER", "BP3MI", "POLRES", "POLSEK", "IMIGRASI")


async def fill(url: str, tips: int) -> list[str]:
    """Migrations, sample officials, the synthetic tips and checks; the kecamatan codes."""
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)
        codes = [k.code for k in await load_kecamatan(conn)]
        officials = parse_officials(sample_officials_csv(), normalize, set(codes), CATEGORIES)
        await import_officials(conn, officials, sample=True)
        await conn.execute(
            "INSERT INTO tips (receipt, channel, source_ref, category, kecamatan_code, desa,"
            " agency_name, status, holder, created_at, updated_at, due_on)"
            " SELECT lpad(i::text, 9, '0'), 'ussd', 'bench:' || i, 'calo',"
            " ($2::text[])[1 + i % array_length($2::text[], 1)], 'Desa ' || (i % 13),"
            " CASE WHEN i % 5 = 0 THEN 'PT Bayangan ' || (i % 97) END,"
            " ($3::text[])[1 + (i / 7) % 8], ($4::text[])[1 + (i / 3) % 7],"
            " now() - make_interval(mins => (i * 5) % 525600),"
            " now() - make_interval(mins => (i * 5) % 525600) + interval '2 days',"
            " CASE WHEN i % 11 = 0 THEN current_date + (i % 20) - 10 END"
            " FROM generate_series(1, $1) AS i",
            tips,
            codes,
            list(STATUSES),
            list(AGENCIES),
        )
        await conn.execute(
            "INSERT INTO case_events (tip_id, from_status, to_status, channel, at)"
            " SELECT id, 'diselidiki', status, 'system', updated_at FROM tips"
            " WHERE status IN ('selesai_ditindak', 'tidak_terbukti', 'bukan_wewenang')"
        )
        await conn.execute(
            "INSERT INTO alerts (tip_id, official_id, tier, reason, ack_due_at)"
            " SELECT t.id, (SELECT min(id) FROM officials), 1, 'new',"
            " t.created_at + interval '1 day'"
            " FROM tips t WHERE t.status IN ('baru', 'diteruskan')"
        )
        await conn.execute(
            "INSERT INTO agency_checks (query_key, query, found, checked_at)"
            " SELECT 'calo ' || (i % 300), 'Calo ' || (i % 300), i % 3 = 0,"
            " now() - make_interval(mins => (i * 17) % 525600) FROM generate_series(1, 20000) i"
        )
        await conn.execute("ANALYZE")
        return codes
    finally:
        await conn.close()


async def timed(repeats: int, build: Callable[[], Awaitable[object]]) -> list[float]:
    """Milliseconds of each of `repeats` builds (after one unmeasured warm-up)."""
    await build()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        await build()
        times.append((time.perf_counter() - started) * 1000)
    return times


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def measure(
    url: str, codes: list[str], repeats: int, explain: bool
) -> list[tuple[str, int, list[float]]]:
    """(what, digests per build, timings) for the regency, one kecamatan, one weekly round."""
    conn = await asyncpg.connect(url)
    until = datetime.now(UTC)
    since = until - timedelta(days=7)

    async def one(scope: Scope) -> str:
        figures = await rekap_figures(conn, scope, since, until)
        return rekap_text("Kab. Serang", since.date(), until.date(), figures)

    scopes = [Scope((c,)) for c in codes] + [Scope(None, holder=a) for a in AGENCIES]

    async def round_() -> None:
        for scope in scopes:
            await one(scope)

    try:
        if explain:
            sql, args = figures_query(Scope(None), since, until)
            plan = await conn.fetch("EXPLAIN ANALYZE " + sql, *args)
            print("\n".join(r[0] for r in plan))
        return [
            ("whole regency", 1, await timed(repeats, lambda: one(Scope(None)))),
            ("one kecamatan", 1, await timed(repeats, lambda: one(Scope((codes[0],))))),
            (
                "one agency (regency-wide, POLRES)",
                1,
                await timed(repeats, lambda: one(Scope(None, holder="POLRES"))),
            ),
            (
                f"{len(codes)} kecamatan + {len(AGENCIES)} agencies",
                len(scopes),
                await timed(max(3, repeats // 5), round_),
            ),
        ]
    finally:
        await conn.close()


async def _create(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("DROP DATABASE IF EXISTS rekap_bench")
        await conn.execute("CREATE DATABASE rekap_bench")
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--tips", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--explain", action="store_true", help="print the regency's plan")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="rekap-bench-"))
    try:
        url = embedded_database_url(data / "pg")
        bench_db = url.replace("/postgres?", "/rekap_bench?")
        asyncio.run(_create(url))
        started = time.perf_counter()
        codes = asyncio.run(fill(bench_db, args.tips))
        print(f"filled {args.tips} tips in {time.perf_counter() - started:.1f} s")
        load_before = os.getloadavg()
        rows = asyncio.run(measure(bench_db, codes, args.repeats, args.explain))
        load_after = os.getloadavg()
    finally:
        shutil.rmtree(data, ignore_errors=True)
    print(f"REKAP build at {args.tips} tips, {os.cpu_count()} cores")
    print("| build | digests | repeats | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|---|")
    for what, digests, times in rows:
        print(
            f"| {what} | {digests} | {len(times)} | {pct(times, 50):.1f} | {pct(times, 95):.1f}"
            f" | {max(times):.1f} |"
        )
    print(
        f"load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}"
        f" (1/5/15 min after: {', '.join(f'{v:.2f}' for v in load_after)})"
    )


if __name__ == "__main__":
    main()
