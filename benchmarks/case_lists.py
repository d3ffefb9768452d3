"""
List pages at 100,000 tips: p50/p95 of every console and API list query (keyset pages of 50),
with the EXPLAIN (ANALYZE, BUFFERS) plan of each.

    .venv/bin/python benchmarks/case_lists.py [--tips 100000] [--runs 200] [--plans]

A fresh embedded PostgreSQL in a temporary directory is migrated and filled with --tips realistic
tips: spread over the 29 kecamatan (a few without one) and their real desa, every status and
category, agency holders, a year of filing dates, Indonesian descriptions built from common
phrases, some assigned with a due date; each tip has its case_events and two outbox rows (the
receipt SMS to the reporter and an alert to an official). Each query calls the same storage
function the console or the API calls (storage.reads.tip_rows / delivery_rows) --runs times; a
recording connection keeps the SQL and parameters of the last call, which are then EXPLAINed.
Goal (issue 14): p95 <= 50 ms per page. The machine's CPU used by other work during the timing is
printed (the machine is shared: a busy machine only ever slows the figures down).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from storage.areas import Area, area_of, desa_by_code
from storage.embedded import embedded_database_url
from storage.keyset import Cursor
from storage.migrate import migrate
from storage.reads import DeliveryFilter, Order, Reader, TipFilter, delivery_rows, tip_rows

GOAL_P95_MS = 50.0
PAGE = 50
SEED = 20261205
STATUSES = (
    ("baru", 3),
    ("diterima", 10),
    ("diteruskan", 25),
    ("diselidiki", 12),
    ("menunggu_pelapor", 3),
    ("selesai_ditindak", 22),
    ("tidak_terbukti", 18),
    ("bukan_wewenang", 7),
)
CATEGORIES = (
    ("calo", 35),
    ("biaya", 25),
    ("dokumen", 12),
    ("visa", 10),
    ("tujuan", 8),
    ("bahaya", 4),
    ("lainnya", 6),
)
HOLDERS = (
    ("DESA", 20),
    ("KEC", 30),
    ("DISNAKER", 25),
    ("BP3MI", 10),
    ("POLRES", 8),
    ("tier 1", 5),
    ("", 2),
)
AGENCIES = ("PT Sinar Jaya Abadi", "PT Bumi Mandiri", "CV Cahaya Timur", "PT Duta Karya", None)
SUBJECTS = (
    "Calo datang ke rumah",
    "Sponsor dari kampung sebelah",
    "Orang yang mengaku dari PT",
    "Tetangga saya dijanjikan kerja",
    "Anak saya direkrut",
    "Ada perekrut",
)
ACTIONS = (
    "minta uang {n} juta untuk ke {c}",
    "menyuruh membayar biaya medical {n} juta",
    "menahan paspor dan KTP",
    "menjanjikan gaji besar di {c} tanpa pelatihan",
    "memakai visa ziarah untuk bekerja di {c}",
    "tidak memberi kontrak kerja",
    "meminta tanda tangan surat kosong",
    "memberangkatkan lewat jalur tidak resmi ke {c}",
)
ENDINGS = (
    "",
    "Sudah bayar sebagian.",
    "Mohon diperiksa.",
    "Keluarga takut melapor.",
    "Katanya resmi tapi tidak ada izin.",
    "Berangkat minggu depan.",
)
STATES = ("delivered", "sent", "failed", "dead")
COUNTRIES = ("Taiwan", "Malaysia", "Arab Saudi", "Hongkong", "Korea", "Jepang", "Turki")


def weighted(rng: random.Random, table: tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([v for v, _ in table], [w for _, w in table])[0]


def description(rng: random.Random) -> str:
    action = rng.choice(ACTIONS).format(n=rng.randint(3, 60), c=rng.choice(COUNTRIES))
    return f"{rng.choice(SUBJECTS)} {action}. {rng.choice(ENDINGS)}".strip()


async def fill(conn: asyncpg.Connection, tips: int) -> None:
    """The tips, their case events and outbox rows; then ANALYZE."""
    rng = random.Random(SEED)
    kecamatan = [r["code"] for r in await conn.fetch("SELECT code FROM kecamatan ORDER BY code")]
    desa: dict[str, list[str]] = {}
    for d in desa_by_code().values():
        desa.setdefault(d.kecamatan_code, []).append(d.name)
    officials = [
        r["id"]
        for r in await conn.fetch(
            "INSERT INTO officials (name, role, phone, office, kecamatan_codes, categories, tier)"
            " SELECT 'Petugas Contoh ' || i, 'Camat', '+62819' || lpad(i::text, 8, '0'), 'Kec',"
            " '{*}', '{*}', 1 + i % 3 FROM generate_series(1, 60) AS i RETURNING id"
        )
    ]
    now = datetime.now(UTC)
    today = now.date()
    records = []
    for n in range(1, tips + 1):
        code = rng.choice(kecamatan) if rng.random() > 0.02 else None
        filed = now - timedelta(seconds=rng.randint(0, 365 * 86400))
        assigned = rng.random() < 0.08
        records.append(
            (
                f"{100000000 + n:09d}",
                rng.choice(("ussd", "ussd", "sms")),
                f"bench:{n}",
                weighted(rng, CATEGORIES),
                code,
                rng.choice(desa.get(code, ["Kubang Puji"])) if code else None,
                rng.choice(AGENCIES),
                description(rng),
                weighted(rng, STATUSES),
                weighted(rng, HOLDERS),
                f"investigator-{rng.randint(1, 20)}" if assigned else None,
                today + timedelta(days=rng.randint(-60, 30)) if assigned else None,
                filed,
                filed,
            )
        )
    await conn.copy_records_to_table(
        "tips",
        records=records,
        columns=[
            "receipt",
            "channel",
            "source_ref",
            "category",
            "kecamatan_code",
            "desa",
            "agency_name",
            "description",
            "status",
            "holder",
            "assigned_account",
            "due_on",
            "created_at",
            "updated_at",
        ],
    )
    rows = await conn.fetch("SELECT id, status, holder, created_at FROM tips")
    events = [
        (r["id"], "baru", r["status"], "system", r["holder"], "", r["created_at"])
        for r in rows
        if r["status"] != "baru"
    ]
    await conn.copy_records_to_table(
        "case_events",
        records=events,
        columns=["tip_id", "from_status", "to_status", "channel", "holder", "note", "at"],
    )
    outbox = []
    for r in rows:  # a resident's receipt SMS is never linked to its tip (0010)
        at, status = r["created_at"], rng.choices(STATES, (90, 6, 3, 1))[0]
        late = at + timedelta(seconds=rng.randint(1, 3600))
        outbox.append((b"sealed", "resident", None, "Laporan diterima", "receipt", None, status))
        outbox[-1] += (at, late)
        outbox.append((None, "official", rng.choice(officials), "Laporan baru", "alert", r["id"]))
        outbox[-1] += (status, at, late)
    await conn.copy_records_to_table(
        "outbox",
        records=outbox,
        columns=[
            "recipient_sealed",
            "recipient_kind",
            "official_id",
            "body",
            "cause",
            "tip_id",
            "status",
            "created_at",
            "updated_at",
        ],
    )
    await conn.execute("VACUUM ANALYZE")


class Recording:
    """A connection that remembers the SQL and arguments of its last fetch (for EXPLAIN)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.last: tuple[str, tuple[object, ...]] = ("", ())

    async def fetch(self, query: str, *args: object) -> list[asyncpg.Record]:
        self.last = (query, args)
        return list(await self.conn.fetch(query, *args))


@dataclass(frozen=True)
class Case:
    name: str
    call: Callable[[Any], Awaitable[Any]]


async def deep_tip_cursor(conn: asyncpg.Connection, order: str, offset: int) -> Cursor:
    row = await conn.fetchrow(
        f"SELECT created_at, id FROM tips ORDER BY created_at {order}, id {order} OFFSET $1",
        offset,
    )
    assert row is not None
    return Cursor(row["created_at"], row["id"])


async def deep_delivery_cursor(conn: asyncpg.Connection, offset: int) -> Cursor:
    row = await conn.fetchrow(
        "SELECT created_at, id FROM outbox ORDER BY created_at DESC, id DESC OFFSET $1", offset
    )
    assert row is not None
    return Cursor(row["created_at"], row["id"])


async def cases(conn: asyncpg.Connection, tips: int) -> list[Case]:
    """Every list page the console and the API ask for."""
    tip_deep = await deep_tip_cursor(conn, "DESC", tips // 2)
    tip_deep_api = await deep_tip_cursor(conn, "ASC", tips // 2)
    delivery_deep = await deep_delivery_cursor(conn, tips)
    now = datetime.now(UTC)
    kec: Area = area_of("36.04.13")
    desa_code = next(d.code for d in desa_by_code().values() if d.kecamatan_code == "36.04.13")
    one_desa = area_of(desa_code)

    def tips_page(wanted: TipFilter, after: Cursor | None = None, order: Order = Order.NEWEST):
        return lambda c: tip_rows(c, wanted, order, PAGE, after)

    def log_page(wanted: DeliveryFilter, after: Cursor | None = None, api: bool = False):
        reader, order = (Reader.API, Order.OLDEST) if api else (Reader.CONSOLE, Order.NEWEST)
        return lambda c: delivery_rows(c, reader, wanted, order, PAGE, after)

    return [
        Case("tips: first page", tips_page(TipFilter())),
        Case(f"tips: deep page (after row {tips // 2})", tips_page(TipFilter(), tip_deep)),
        Case("tips: status menunggu_pelapor", tips_page(TipFilter(status="menunggu_pelapor"))),
        Case("tips: category bahaya", tips_page(TipFilter(category="bahaya"))),
        Case("tips: kecamatan 36.04.13", tips_page(TipFilter(kecamatan_code="36.04.13"))),
        Case("tips: holder POLRES", tips_page(TipFilter(holder="POLRES"))),
        Case(
            "tips: status+category+kecamatan",
            tips_page(TipFilter(status="diselidiki", category="biaya", kecamatan_code="36.04.13")),
        ),
        Case("tips: overdue", tips_page(TipFilter(overdue=True))),
        Case("tips: my cases", tips_page(TipFilter(assigned_account="investigator-7"))),
        Case("tips: text 'membayar' (common)", tips_page(TipFilter(text="membayar"))),
        Case("tips: text 'paspor'", tips_page(TipFilter(text="paspor"))),
        Case("tips: text 'sinar jaya' (agency)", tips_page(TipFilter(text='"sinar jaya"'))),
        Case("tips: text 'zzzbukanada' (none)", tips_page(TipFilter(text="zzzbukanada"))),
        Case("tips: kecamatan account", tips_page(TipFilter(area=kec))),
        Case("tips: kecamatan account, deep", tips_page(TipFilter(area=kec), tip_deep)),
        Case("tips: desa account", tips_page(TipFilter(area=one_desa))),
        Case("tips: kecamatan account, text", tips_page(TipFilter(area=kec, text="membayar"))),
        Case("tips: API oldest first", tips_page(TipFilter(), None, Order.OLDEST)),
        Case("tips: API deep page", tips_page(TipFilter(), tip_deep_api, Order.OLDEST)),
        Case("delivery: first page", log_page(DeliveryFilter())),
        Case(f"delivery: deep page (after row {tips})", log_page(DeliveryFilter(), delivery_deep)),
        Case("delivery: status dead", log_page(DeliveryFilter(status="dead"))),
        Case("delivery: kecamatan account", log_page(DeliveryFilter(area=kec))),
        Case("delivery: API oldest changed", log_page(DeliveryFilter(), api=True)),
        Case(
            "delivery: API changed since",
            log_page(DeliveryFilter(changed_since=now - timedelta(days=30)), api=True),
        ),
    ]


def cpu_busy() -> float:
    """CPU seconds used machine-wide so far (0 when psutil is missing)."""
    try:
        import psutil  # installed with pgserver
    except ImportError:
        return 0.0
    t = psutil.cpu_times()
    return float(t.user + t.system + getattr(t, "nice", 0.0))


async def measure(url: str, tips: int, runs: int, plans: bool) -> None:
    conn = await asyncpg.connect(url)
    try:
        started = time.perf_counter()
        await migrate(conn)
        await fill(conn, tips)
        print(f"filled {tips} tips in {time.perf_counter() - started:.0f} s")
        recording = Recording(conn)
        rows: list[tuple[str, float, float, int]] = []
        explained: list[tuple[str, str]] = []
        wall, busy = time.perf_counter(), cpu_busy()
        for case in await cases(conn, tips):
            for _ in range(5):  # warm-up: caches, asyncpg's prepared statement
                await case.call(recording)
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                page = await case.call(recording)
                times.append((time.perf_counter() - t0) * 1000)
            times.sort()
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            rows.append((case.name, statistics.median(times), p95, len(page.rows)))
            if plans:
                query, args = recording.last
                plan = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + query, *args)
                explained.append((case.name, "\n".join(r[0] for r in plan)))
        wall, busy = time.perf_counter() - wall, cpu_busy() - busy
    finally:
        await conn.close()
    cores = os.cpu_count() or 1
    print(
        f"\n{tips} tips, {runs} runs per query, pages of {PAGE}, {cores} cores;"
        f" machine CPU busy {busy / wall:.2f} cores on average while timing (ours included)"
    )
    print("| query | p50 ms | p95 ms | rows | goal p95 <= 50 ms |")
    print("|---|---|---|---|---|")
    for name, p50, p95, count in rows:
        goal = "met" if p95 <= GOAL_P95_MS else "MISSED"
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {count} | {goal} |")
    for name, plan in explained:
        print(f"\n### {name}\n```\n{plan}\n```")


async def _create(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("DROP DATABASE IF EXISTS lists_bench")
        await conn.execute("CREATE DATABASE lists_bench")
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--tips", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--plans", action="store_true", help="print EXPLAIN (ANALYZE, BUFFERS)")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="lists-bench-"))
    try:
        url = embedded_database_url(data / "pg")
        asyncio.run(_create(url))
        bench = url.replace("/postgres?", "/lists_bench?")
        asyncio.run(measure(bench, args.tips, args.runs, args.plans))
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
