"""
What a USSD hop costs, side by side in one sitting: the bare aiohttp handler, the hotline's
`/at/ussd` on a structured hop and on the journey mix, and a Node menu library (ussd-builder 1.3.2
on Express, benchmarks/peer/) on the same hop. Ratios from the same sitting are the figures that
count; absolute rates depend on the machine.

Closed loop (wrk, as benchmarks/ussd_hops.py runs it: one connection per thread, latency timed per
request in Lua, phone numbers spread so the flood guard never triggers), alternating rounds:

- bare:       benchmarks/bare_server.py, the `text=1` hop;
- floor:      the same handler behind the hotline's request middleware (`--request-log`: callback
              token check, log context, one JSON line per request): what any hop costs at least
              while keeping that line;
- structured: `hotline serve --demo`, `text=1` (the first menu's option 1) in a fresh session
              per request;
- mix:        the hotline on ussd_hops.py's journey mix (18% of hops type free text);
- peer:       benchmarks/peer/server.js, the `text=1` hop.

Open loop (a Python asyncio load generator in this process, pinned to CPU 1: requests leave at a
fixed arrival rate whatever the server answers, and latency is counted from each request's intended
send time, so a slow server cannot hold back the load, no coordinated omission): for bare, the
structured hop and the peer, the highest rate at which p99 stays under 50 ms (steps of
500, 1000, 2000, 3000, ... then bisection); then the journey mix at 1,000 hops/s and the p99 of its
typed hops (each records a span in PostgreSQL). The bare handler's search validates the generator:
it must hold rates well above the hotline's and the peer's. A step where the generator itself fell
behind (send lag p99 over 5 ms) is marked GENERATOR-BOUND and ends a search.

With --workers-compare N (needs `hotline serve --workers`), afterwards: `hotline serve --workers 1`
against `--workers N`, neither pinned, on the structured hop and the mix, alternating rounds.

    .venv/bin/python benchmarks/hop_cost.py [--rounds 3] [--seconds 8] [--ol-seconds 5]
        [--skip-closed] [--skip-open] [--workers-compare 2]

Servers run on CPU 0 (the hotline's embedded PostgreSQL with it), wrk and the generator on CPU 1.
Prints the figures, then markdown tables to paste into benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import heapq
import itertools
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import ussd_hops as hops  # benchmarks/ is on sys.path when this script runs

ROOT = hops.ROOT
PEER_DIR = ROOT / "benchmarks" / "peer"
STRUCTURED_TEXT = "1"
P99_LIMIT_MS = 50.0
GENERATOR_LAG_LIMIT_MS = 5.0  # send lag p99 above this: the generator, not the server, fell behind
OL_FIRST_RATES = (500, 1000, 2000, 3000, 4000)  # then x1.5 until a step fails
# Open-loop sessions are numbered across the whole run: no sessionId or phone number comes back.
SESSION_NUMBERS = itertools.count(1)


# --------------------------------------------------------------------------- what is sent


@dataclass(frozen=True)
class Load:
    """Sessions as AT sends them: the `text` path of every hop, how often each kind of session
    comes, and which hops type free text (one span row in PostgreSQL)."""

    name: str
    sessions: list[list[str]]
    weights: list[int]
    typed: list[list[bool]]

    @property
    def hops_per_session(self) -> float:
        total = sum(self.weights)
        return sum(w * len(s) for w, s in zip(self.weights, self.sessions, strict=True)) / total


def structured_load() -> Load:
    """One hop per session: `text=1` in a fresh session (the hotline answers the check prompt)."""
    return Load("structured", [[STRUCTURED_TEXT]], [1], [[False]])


def mix_load(mix: list[hops.Journey]) -> Load:
    """ussd_hops.py's journey mix, menu choices resolved on the live menu."""
    return Load(
        "mix",
        [j.paths for j in mix],
        [j.weight for j in mix],
        [[j.writes(h) for h in range(1, len(j.paths) + 1)] for j in mix],
    )


# --------------------------------------------------------------------------- open-loop generator


@dataclass(slots=True)
class Hop:
    """One request: its session, which hop, and when it is due (perf_counter seconds)."""

    session: int
    kind: int
    hop: int  # 0-based
    intended: float


@dataclass
class Step:
    """What one open-loop run at a fixed rate saw (latencies in ms from the intended send time)."""

    target: str
    rate: float
    seconds: float
    latencies: list[float] = field(default_factory=list)
    typed_latencies: list[float] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)  # ms from intended to handled by the generator
    sent: int = 0
    answered: int = 0
    bad: int = 0  # non-200, not the expected screen, apology screens
    lost: int = 0  # connection errors and requests unanswered at the end
    aborted: str = ""
    connections: int = 0
    generator_cpu: float = 0.0  # cores the generator used
    server_cpu: float = 0.0  # cores the server (and its PostgreSQL) used
    samples: list[str] = field(default_factory=list)

    def p(self, q: float, typed: bool = False) -> float:
        values = self.typed_latencies if typed else self.latencies
        return quantile(values, q)

    @property
    def lag_p99(self) -> float:
        return quantile(self.lags, 99)

    @property
    def achieved(self) -> float:
        """Answers per second over the measured part."""
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def generator_bound(self) -> bool:
        """The generator fell behind, and that, not the server, may explain a missed p99 (even
        without the generator's whole lag, a server-bound step stays over the limit)."""
        if self.aborted or not self.latencies:  # a backlog of hops waiting for a connection
            return False
        server_over = self.p(99) - self.lag_p99 >= P99_LIMIT_MS
        return self.lag_p99 > GENERATOR_LAG_LIMIT_MS and not server_over

    @property
    def ok(self) -> bool:
        return (
            not self.aborted
            and self.bad == 0
            and self.lost == 0
            and bool(self.latencies)
            and self.p(99) < P99_LIMIT_MS
            and not self.generator_bound
        )

    def verdict(self) -> str:
        if self.aborted:
            return f"FAIL ({self.aborted})"
        if self.generator_bound:
            return f"GENERATOR-BOUND (send lag p99 {self.lag_p99:.1f} ms)"
        if self.bad or self.lost:
            return f"FAIL ({self.bad} bad, {self.lost} lost)"
        return "ok" if self.ok else f"FAIL (p99 >= {P99_LIMIT_MS:.0f} ms)"


def quantile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of a list, NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(len(ordered) * q / 100))
    return ordered[min(rank, len(ordered)) - 1]


def parse_response(buf: bytearray) -> tuple[int, bytes, int] | None:
    """(status, body, bytes consumed) of the first complete HTTP/1.1 response in buf, or None."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buf[:end]).lower()
    status = int(head[9:12])
    at = head.find(b"\r\ncontent-length:")
    if at >= 0:
        stop = head.find(b"\r\n", at + 2)
        length = int(head[at + 17 : stop if stop >= 0 else len(head)])
        if len(buf) < end + 4 + length:
            return None
        return status, bytes(buf[end + 4 : end + 4 + length]), end + 4 + length
    if b"\r\ntransfer-encoding: chunked" not in head:
        raise ValueError("response without Content-Length or chunked encoding")
    pos, body = end + 4, bytearray()
    while True:
        line_end = buf.find(b"\r\n", pos)
        if line_end < 0:
            return None
        size = int(bytes(buf[pos:line_end]).split(b";")[0], 16)
        if size == 0:
            if len(buf) < line_end + 4:
                return None
            return status, bytes(body), line_end + 4
        if len(buf) < line_end + 2 + size + 2:
            return None
        body += buf[line_end + 2 : line_end + 2 + size]
        pos = line_end + 2 + size + 2


class Connection(asyncio.Protocol):
    """A keep-alive connection carrying one request at a time."""

    def __init__(self, generator: Generator) -> None:
        self.generator = generator
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.current: Hop | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.generator.idle(self)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            try:
                parsed = parse_response(self.buf)
            except ValueError:
                self.close()
                return
            if parsed is None:
                return
            status, body, used = parsed
            del self.buf[:used]
            hop, self.current = self.current, None
            if hop is not None:
                self.generator.answered(self, hop, status, body)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self.generator.lost(self)

    def send(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(data)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class Generator:
    """Sends hops at a fixed arrival rate over a growing pool of keep-alive connections.

    New sessions arrive at rate / hops-per-session; a session's next hop is due `think` seconds
    after the answer to its previous hop (a caller reads the screen, then types). Every hop's
    latency counts from when it was due, including any wait for a free connection, so an
    overloaded server shows as latency, never as less load."""

    def __init__(
        self,
        port: int,
        load: Load,
        rate: float,
        expect: list[list[str]],
        max_connections: int,
        think: float,
        spin: bool,
    ) -> None:
        self.port = port
        self.load = load
        self.rate = rate
        self.expect = expect  # per session kind and hop: the answer's expected start
        self.max_connections = max_connections
        self.think = think
        self.spin = spin  # only when the generator has a CPU to itself
        self.head = (
            f"POST /at/ussd HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: "
        )
        self.tails = [[hops.hop_tail(p) for p in paths] for paths in load.sessions]
        self.order = hops.weighted_order(load.weights)
        self.idle_conns: list[Connection] = []
        self.conns: set[Connection] = set()
        self.connecting = 0
        self.waiting: list[Hop] = []  # due, no free connection yet (FIFO via index)
        self.waiting_at = 0
        self.follow_ups: list[tuple[float, int, Hop]] = []  # heap of later hops
        self.in_flight = 0
        self.step: Step | None = None
        self.measure_from = 0.0
        self.tie = 0
        self.tasks: set[asyncio.Task[None]] = set()
        self.drained: asyncio.Event | None = None  # set once sending stopped and all answered

    # connections ----------------------------------------------------------------------------

    def idle(self, conn: Connection) -> None:
        """A connection is free (just opened or answered): give it the oldest waiting hop."""
        self.conns.add(conn)
        if self.waiting_at < len(self.waiting):
            hop = self.waiting[self.waiting_at]
            self.waiting_at += 1
            self.write(conn, hop)
        else:
            self.idle_conns.append(conn)
            self.check_drained()

    def check_drained(self) -> None:
        if self.drained is not None and self.in_flight == 0:
            if self.waiting_at >= len(self.waiting):
                self.drained.set()

    def lost(self, conn: Connection) -> None:
        self.conns.discard(conn)
        if conn in self.idle_conns:
            self.idle_conns.remove(conn)
        if conn.current is not None and self.step is not None:
            self.step.lost += 1
            self.in_flight -= 1
            conn.current = None
            self.check_drained()

    async def open(self, n: int) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(n):
            self.connecting += 1
            await self.connect(loop)

    async def connect(self, loop: asyncio.AbstractEventLoop) -> None:
        """Open one more connection; the caller counted it in `connecting` already."""
        try:
            await loop.create_connection(lambda: Connection(self), "127.0.0.1", self.port)
        except OSError:
            if self.step is not None:
                self.step.aborted = "connection refused"
        finally:
            self.connecting -= 1

    def close_all(self) -> None:
        for conn in list(self.conns):
            conn.close()

    # hops ------------------------------------------------------------------------------------

    def body(self, hop: Hop) -> bytes:
        n = hop.session
        phone = (n * 104729 + 5_000_003) % 10_000_000
        text = f"sessionId=OL{hops.RUN_ID}_{n}&phoneNumber=%2B62812{phone:07d}"
        text += self.tails[hop.kind][hop.hop]
        data = text.encode()
        return (self.head + str(len(data)) + "\r\n\r\n").encode() + data

    def dispatch(self, hop: Hop, loop: asyncio.AbstractEventLoop) -> None:
        """Send a due hop now, or queue it for the next free connection (opening one more). The
        send lag (due -> handled here) is the generator's own delay; a wait for a connection is
        not: it happens when the server holds every connection, and counts as latency."""
        step = self.step
        if step is not None and hop.intended >= self.measure_from:
            step.lags.append((time.perf_counter() - hop.intended) * 1000)
        if self.idle_conns:
            self.write(self.idle_conns.pop(0), hop)
            return
        self.waiting.append(hop)
        waiting = len(self.waiting) - self.waiting_at
        opened = len(self.conns) + self.connecting
        if waiting > self.connecting and opened < self.max_connections:
            self.connecting += 1
            task = loop.create_task(self.connect(loop))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def write(self, conn: Connection, hop: Hop) -> None:
        conn.current = hop
        self.in_flight += 1
        if self.step is not None:
            self.step.sent += 1
        conn.send(self.body(hop))

    def answered(self, conn: Connection, hop: Hop, status: int, body: bytes) -> None:
        now = time.perf_counter()
        self.in_flight -= 1
        step = self.step
        if step is not None:
            step.answered += 1
            text = body.decode("utf-8", "replace")
            expected = self.expect[hop.kind][hop.hop]
            if (
                status != 200
                or text[:4] not in ("CON ", "END ")
                or not text.startswith(expected)
                or hops.APOLOGY_MARK in text
            ):
                step.bad += 1
                if len(step.samples) < 5:
                    step.samples.append(f"{status} {text[:70]!r}")
            if hop.intended >= self.measure_from:
                ms = (now - hop.intended) * 1000
                step.latencies.append(ms)
                if self.load.typed[hop.kind][hop.hop]:
                    step.typed_latencies.append(ms)
        if hop.hop + 1 < len(self.tails[hop.kind]):
            nxt = Hop(hop.session, hop.kind, hop.hop + 1, now + self.think)
            self.tie += 1
            heapq.heappush(self.follow_ups, (nxt.intended, self.tie, nxt))
        self.idle(conn)

    async def run(self, seconds: float, warmup: float, pool: int) -> Step:
        """Send for warmup + seconds (only hops due after the warm-up are measured), then wait up
        to 10 s for the answers still outstanding."""
        loop = asyncio.get_running_loop()
        step = Step("", self.rate, seconds)
        await self.open(pool)
        self.step = step
        session_rate = self.rate / self.load.hops_per_session
        start = time.perf_counter()
        self.measure_from = start + warmup
        stop = self.measure_from + seconds
        rusage0 = resource.getrusage(resource.RUSAGE_SELF)
        arrived = 0
        backlog_limit = max(2000, int(self.rate))
        while True:
            now = time.perf_counter()
            if now >= stop:
                break
            due = int((now - start) * session_rate) + 1
            while arrived < due:
                kind = self.order[arrived % len(self.order)]
                intended = start + arrived / session_rate
                self.dispatch(Hop(next(SESSION_NUMBERS), kind, 0, intended), loop)
                arrived += 1
            while self.follow_ups and self.follow_ups[0][0] <= now:
                self.dispatch(heapq.heappop(self.follow_ups)[2], loop)
            if len(self.waiting) - self.waiting_at > backlog_limit:
                step.aborted = f"over {backlog_limit} requests waiting for a connection"
                break
            if self.waiting_at > 4096 and self.waiting_at * 2 > len(self.waiting):
                del self.waiting[: self.waiting_at]
                self.waiting_at = 0
            next_due = start + arrived / session_rate
            if self.follow_ups:
                next_due = min(next_due, self.follow_ups[0][0])
            gap = next_due - time.perf_counter()
            # Sleep when the next hop is far off; otherwise spin through the event loop (when
            # the generator has CPU 1 to itself), since epoll only wakes to the millisecond.
            if self.spin:
                await asyncio.sleep(gap - 0.0015 if gap > 0.002 else 0)
            else:
                await asyncio.sleep(max(0.0, gap))
        end_sending = time.perf_counter()
        if not step.aborted:
            self.drained = asyncio.Event()
            self.check_drained()
            try:
                await asyncio.wait_for(self.drained.wait(), timeout=10)
            except TimeoutError:
                pass
        rusage1 = resource.getrusage(resource.RUSAGE_SELF)
        unanswered = self.in_flight + len(self.waiting) - self.waiting_at
        step.lost += unanswered
        step.connections = len(self.conns)
        self.step = None
        self.close_all()
        await asyncio.sleep(0.05)  # let the transports close inside this loop
        cpu = (rusage1.ru_utime - rusage0.ru_utime) + (rusage1.ru_stime - rusage0.ru_stime)
        step.generator_cpu = cpu / max(1e-9, time.perf_counter() - start)
        step.seconds = min(seconds, max(1e-9, end_sending - self.measure_from))
        return step


def run_step(
    server: hops.Server,
    load: Load,
    rate: float,
    args: argparse.Namespace,
    expect: list[list[str]],
    seconds: float,
    warmup: float,
) -> Step:
    """One open-loop run at a fixed rate against one server, with the server's CPU use."""
    generator = Generator(
        server.port,
        load,
        rate,
        expect,
        args.ol_connections,
        args.think,
        args.spin,
    )
    procs = server.processes()
    before = hops.cpu_seconds(procs)
    started = time.monotonic()
    gc.collect()
    gc.disable()
    try:
        step = asyncio.run(generator.run(seconds, warmup, args.ol_pool))
    finally:
        gc.enable()
    after = hops.cpu_seconds(procs)
    busy = sum(after[pid] - before.get(pid, 0.0) for pid in after)
    step.server_cpu = busy / max(1e-9, time.monotonic() - started)
    step.target = server.label.split("#")[0]
    if server.proc.poll() is not None:
        raise SystemExit(
            f"{server.label} died during the open-loop run ({server.proc.returncode}):\n"
            + server.stderr_path.read_text(errors="replace")[-3000:]
        )
    return step


def show_step(step: Step) -> None:
    print(
        f"    {step.target:<10} {step.rate:>7.0f}/s  answered {step.achieved:>7.0f}/s"
        f"  p50 {step.p(50):6.2f}  p99 {step.p(99):7.2f} ms  send lag p99 {step.lag_p99:5.2f} ms"
        f"  conns {step.connections:>3}  cpu gen {100 * step.generator_cpu:3.0f}%"
        f" srv {100 * step.server_cpu:3.0f}%  {step.verdict()}"
    )
    if step.samples:
        print(f"      bad answers: {step.samples}")


def rate_ladder(limit: float) -> list[float]:
    """500, 1000, 2000, 3000, 4000, then x1.5 up to the limit."""
    rates = [float(r) for r in OL_FIRST_RATES if r <= limit]
    while rates and rates[-1] * 1.5 <= limit:
        rates.append(round(rates[-1] * 1.5 / 100) * 100)
    return rates


@dataclass
class Search:
    """The highest rate at which p99 stayed under the limit, and every step it took."""

    target: str
    best: Step | None
    first_failed: Step | None
    steps: list[Step]

    def highest(self) -> str:
        if self.best is None:
            return f"< {self.steps[0].rate:.0f}/s" if self.steps else "-"
        if self.first_failed is None:
            return f">= {self.best.rate:.0f}/s (top of the ladder)"
        if self.first_failed.generator_bound:
            return f">= {self.best.rate:.0f}/s (generator's ceiling)"
        return f"{self.best.rate:.0f}/s"


def search_rate(
    server: hops.Server, load: Load, expect: list[list[str]], args: argparse.Namespace
) -> Search:
    """Step up the ladder until a step fails, then bisect to within 5% (at least 100/s)."""
    label = server.label.split("#")[0]
    hops.wait_idle(f"open loop {label}", args.wait_idle)
    run_step(server, load, 500, args, expect, seconds=1.0, warmup=1.0)  # warm-up, not reported
    steps: list[Step] = []

    def measure(rate: float) -> Step:
        # An overloaded step leaves the server a backlog to drop: give it longer.
        time.sleep(args.ol_pause * (1 if not steps or steps[-1].ok else 3))
        step = run_step(server, load, rate, args, expect, args.ol_seconds, warmup=1.0)
        show_step(step)
        steps.append(step)
        return step

    best: Step | None = None
    failed: Step | None = None
    for rate in rate_ladder(args.ol_max):
        step = measure(rate)
        if not step.ok:
            failed = step
            break
        best = step
    while failed is not None and not failed.generator_bound:
        low = best.rate if best is not None else 0.0
        if failed.rate - low <= max(100.0, 0.05 * failed.rate):
            break
        step = measure(round((low + failed.rate) / 2 / 50) * 50)
        if step.ok:
            best = step
        else:
            failed = step
    return Search(label, best, failed, steps)


# --------------------------------------------------------------------------- closed loop


@dataclass
class Runner:
    """The started servers and the wrk scripts for each load."""

    servers: dict[str, list[hops.Server]]
    scripts: dict[str, Path]  # load name -> wrk Lua script


CLOSED_RUNS = (  # label, server kind, load
    ("bare", "bare", "structured"),
    ("floor", "floor", "structured"),
    ("structured", "hotline", "structured"),
    ("mix", "hotline", "mix"),
    ("peer", "peer", "structured"),
)


def closed_rounds(
    runner: Runner,
    runs: tuple[tuple[str, str, str], ...],
    args: argparse.Namespace,
    work: Path,
    pin: bool,
) -> dict[str, list[hops.Result]]:
    """Alternate the runs `--rounds` times; every result of every round."""
    results: dict[str, list[hops.Result]] = {label: [] for label, _, _ in runs}
    for r in range(args.rounds):
        for label, kind, load in runs:
            servers = runner.servers[kind]
            result = hops.measure_kind(
                servers, args, runner.scripts[load], work, f"{label}{r}", pin
            )
            result.label = label
            results[label].append(result)
            print(
                f"  round {r + 1} {label:<11} {result.rps:8.0f} req/s"
                f"  p50 {hops.percentile(result.hist, 50):6.2f}"
                f"  p99 {hops.percentile(result.hist, 99):7.2f} ms  errors {result.errors}"
            )
    return results


def best_round(results: list[hops.Result]) -> hops.Result:
    """Other work on the machine only ever slows a round down."""
    return max(results, key=lambda x: x.rps)


def typed_split(result: hops.Result, load: Load) -> tuple[Counter[int], Counter[int]]:
    """The mix's latency buckets split into typed hops and the others."""
    typed: Counter[int] = Counter()
    other: Counter[int] = Counter()
    for kind, buckets in result.kinds.items():
        j, h = (int(x) for x in kind.split("."))
        (typed if load.typed[j - 1][h - 1] else other).update(buckets)
    return typed, other


def ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


# --------------------------------------------------------------------------- servers


def hotline_has_workers() -> bool:
    """Whether this tree's `hotline serve` takes --workers (issue 18 item 4)."""
    out = subprocess.run(  # noqa: S603 - fixed argv
        [str(hops.VENV_BIN / "hotline"), "serve", "--help"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    return "--workers" in out.stdout


def ensure_peer() -> None:
    """node on PATH and the peer's pinned packages installed (npm ci from package-lock.json)."""
    if shutil.which("node") is None:
        sys.exit("node not found: the peer needs Node.js 20 or later")
    if not (PEER_DIR / "node_modules" / "ussd-builder").is_dir():
        if shutil.which("npm") is None:
            sys.exit("npm not found: run `npm ci` in benchmarks/peer/")
        print("  installing the peer's packages: npm ci in benchmarks/peer/")
        subprocess.run(  # noqa: S603 - fixed argv
            [hops.tool("npm"), "ci", "--no-audit", "--no-fund"], cwd=PEER_DIR, check=True
        )


def start(
    kind: str,
    label: str,
    index: int,
    pin: str | None,
    work: Path,
    data_dir: Path | None,
    extra: list[str] | None = None,
) -> hops.Server:
    server = hops.start_server(kind, index, pin, work, data_dir, extra or [])
    server.label = f"{label}#{index}"
    try:
        hops.wait_healthy(server, timeout_s=180)
    except BaseException:
        hops.stop_all([server])
        raise
    return server


def probe(port: int, path: str, n: int) -> str:
    """The answer to one hop in a fresh session (before any load)."""
    return hops.post_hop(port, f"ATUid_probe{hops.RUN_ID}_{n}", f"+62812{8000000 + n:07d}", path)


def expected_starts(port: int, load: Load) -> list[list[str]]:
    """What each hop's answer must start with: the first line of the live answer for the
    one-hop load (so a server mixing up requests shows as bad answers), CON/END otherwise."""
    if load.name == "structured":
        screen = probe(port, STRUCTURED_TEXT, port % 1000)
        if not screen.startswith("CON "):
            raise SystemExit(f"text={STRUCTURED_TEXT} on port {port} answered {screen[:80]!r}")
        return [[screen.split("\n")[0]]]
    return [["" for _ in paths] for paths in load.sessions]


# --------------------------------------------------------------------------- report


def md_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def closed_markdown(
    results: dict[str, list[hops.Result]], load_mix: Load | None, args: argparse.Namespace
) -> list[str]:
    names = {
        "bare": "bare aiohttp handler (`await request.post()`, `CON hello`)",
        "floor": "the bare handler behind the hotline's request middleware and log line",
        "structured": f"hotline `/at/ussd`, structured hop (`text={STRUCTURED_TEXT}`)",
        "mix": "hotline `/at/ussd`, journey mix (18% typed text)",
        "peer": "ussd-builder 1.3.2 on Express 5.2.1, same hop",
        "workers-1": f"hotline `--workers 1`, `text={STRUCTURED_TEXT}`",
        "workers-N": f"hotline `--workers {args.workers_compare}`, `text={STRUCTURED_TEXT}`",
        "workers-1-mix": "hotline `--workers 1`, journey mix",
        "workers-N-mix": f"hotline `--workers {args.workers_compare}`, journey mix",
    }
    rows = []
    for label, rs in results.items():
        b = best_round(rs)
        rows.append(
            [
                names.get(label, label),
                f"{b.rps:,.0f}",
                f"{hops.percentile(b.hist, 50):.2f}",
                f"{hops.percentile(b.hist, 99):.2f}",
                str(b.errors),
                f"{100 * b.server_cpu:.0f}%" + (f" + db {100 * b.db_cpu:.0f}%" if b.db_cpu else ""),
            ]
        )
    out = [md_table(["server", "req/s", "p50 ms", "p99 ms", "errors", "cpu"], rows)]
    if "mix" in results and load_mix is not None:
        typed, other = typed_split(best_round(results["mix"]), load_mix)
        out.append(
            f"\nJourney mix, typed hops: p50 {hops.bucket_percentile(typed, 50):.2f} ms,"
            f" p99 {hops.bucket_percentile(typed, 99):.2f} ms;"
            f" other hops: p50 {hops.bucket_percentile(other, 50):.2f} ms,"
            f" p99 {hops.bucket_percentile(other, 99):.2f} ms."
        )
    return out


def ratio_lines(
    results: dict[str, list[hops.Result]], pairs: list[tuple[str, str, str, float | None]]
) -> list[str]:
    """Each ratio of best rounds and per round, with its goal; the lines also go to markdown."""
    lines = []
    for name, top, bottom, goal in pairs:
        if top not in results or bottom not in results:
            continue
        best = ratio(best_round(results[top]).rps, best_round(results[bottom]).rps)
        per_round = [
            ratio(t.rps, b.rps) for t, b in zip(results[top], results[bottom], strict=True)
        ]
        verdict = ""
        if goal is not None:
            verdict = f" (goal >= {goal}: {'met' if best >= goal else 'MISSED'})"
        lines.append(
            f"- {name}: **{best:.2f}** (best rounds){verdict}; per round "
            + ", ".join(f"{x:.2f}" for x in per_round)
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3, help="closed-loop rounds (alternating)")
    parser.add_argument("--seconds", type=int, default=8, help="closed loop: measured s per run")
    parser.add_argument("--warmup", type=int, default=2, help="closed loop: warm-up s per run")
    parser.add_argument("--connections", type=int, default=32, help="closed loop: wrk connections")
    parser.add_argument("--ol-seconds", type=float, default=5, help="open loop: s per rate step")
    parser.add_argument("--ol-max", type=float, default=30000, help="open loop: highest rate tried")
    parser.add_argument(
        "--ol-connections", type=int, default=512, help="open loop: most connections opened"
    )
    parser.add_argument("--ol-pool", type=int, default=64, help="open loop: connections up front")
    parser.add_argument("--ol-pause", type=float, default=1.0, help="open loop: s between steps")
    parser.add_argument(
        "--typed-rate", type=float, default=1000, help="open loop: hops/s of the typed-hop run"
    )
    parser.add_argument(
        "--typed-seconds", type=float, default=20, help="open loop: measured s of the typed run"
    )
    parser.add_argument(
        "--typed-only", action="store_true", help="open loop: only the typed-hop run, no searches"
    )
    parser.add_argument(
        "--think", type=float, default=0.5, help="open loop: s between an answer and the next hop"
    )
    parser.add_argument("--skip-closed", action="store_true", help="no closed-loop runs")
    parser.add_argument("--skip-open", action="store_true", help="no open-loop runs")
    parser.add_argument(
        "--workers-compare",
        type=int,
        metavar="N",
        help="also compare `hotline serve --workers N` with --workers 1 (both unpinned)",
    )
    parser.add_argument("--no-pin", action="store_true", help="do not pin servers and clients")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=60,
        metavar="S",
        help="wait up to S seconds for a quiet machine before each run (0: don't)",
    )
    args = parser.parse_args()
    args.processes = 1  # what ussd_hops' helpers read
    if shutil.which("wrk") is None and not args.skip_closed:
        sys.exit("wrk not found: apt-get install -y wrk")
    pin = not args.no_pin and (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None
    args.spin = pin
    workers_flag = hotline_has_workers()
    if args.workers_compare and not workers_flag:
        sys.exit("--workers-compare: this tree's `hotline serve` has no --workers option yet")
    ensure_peer()

    work = Path(tempfile.mkdtemp(prefix="hotline-hopcost-"))
    wrk_version = subprocess.run(  # noqa: S603 - fixed argv
        [hops.tool("wrk"), "-v"], capture_output=True, text=True, check=False
    ).stdout.split("\n")[0]
    node_version = subprocess.run(  # noqa: S603 - fixed argv
        [hops.tool("node"), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print("Hop cost side by side: bare aiohttp, hotline /at/ussd, ussd-builder peer")
    print(
        f"  cpus={os.cpu_count()} python={sys.version.split()[0]} node={node_version}"
        f" {wrk_version.strip()}; pinning: "
        + ("servers CPU 0, wrk and the generator CPU 1" if pin else "none")
    )
    cpu_server = "0" if pin else None
    one_worker = ["--workers", "1"] if workers_flag else []
    data_dir = None if os.environ.get("DATABASE_URL") else work / "data"
    running: list[hops.Server] = []
    sitting = Sitting(time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    try:
        hotline = start("hotline", "hotline", 0, cpu_server, work, data_dir, one_worker)
        running.append(hotline)
        mix, walked = hops.walk(hotline.port, hops.journeys())
        if not all(ok for _, ok in walked):
            raise SystemExit(f"the journey mix does not walk on the live menu: {walked}")
        sitting.mix = mix_load(mix)
        running.append(start("bare", "bare", 0, cpu_server, work, None))
        running.append(start("floor", "floor", 0, cpu_server, work, None))
        running.append(start("peer", "peer", 0, cpu_server, work, None))
        for i, server in enumerate(running):
            screen = probe(server.port, STRUCTURED_TEXT, i).split("\n")[0]
            print(f"  text={STRUCTURED_TEXT} on {server.label}: {screen!r}")
        scripts = {"structured": work / "structured.lua", "mix": work / "mix.lua"}
        structured = structured_load()
        hops.write_paths_lua(scripts["structured"], structured.sessions, structured.weights)
        hops.write_lua(scripts["mix"], mix)
        runner = Runner({s.label.split("#")[0]: [s] for s in running}, scripts)
        if not args.skip_closed:
            print(
                f"\nClosed loop: wrk, {args.connections} connections (one per thread), warm-up"
                f" {args.warmup}s, {args.seconds}s measured, {args.rounds} alternating rounds"
            )
            sitting.closed = closed_rounds(runner, CLOSED_RUNS, args, work, pin)
        if not args.skip_open:
            open_loop(runner, sitting, args, pin)
        if args.workers_compare:
            hops.stop_all(running)
            running.clear()
            sitting.workers = compare_workers(args, work, scripts, running)
    finally:
        hops.stop_all(running)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report(args, sitting)


@dataclass
class Sitting:
    """Everything measured in one run of this script."""

    started_at: str
    mix: Load | None = None
    closed: dict[str, list[hops.Result]] = field(default_factory=dict)
    searches: list[Search] = field(default_factory=list)
    typed: Step | None = None
    workers: dict[str, list[hops.Result]] = field(default_factory=dict)


def open_loop(runner: Runner, sitting: Sitting, args: argparse.Namespace, pin: bool) -> None:
    """The rate searches (bare, structured hop, peer), then the journey mix at --typed-rate; this
    process (the generator) runs on CPU 1 meanwhile."""
    print(
        f"\nOpen loop: fixed arrival rate, latency from the intended send time,"
        f" {args.ol_seconds:g}s per step after 1s warm-up; pass: p99 < {P99_LIMIT_MS:g} ms,"
        f" no bad answers, generator send lag p99 <= {GENERATOR_LAG_LIMIT_MS:g} ms"
    )
    structured = structured_load()
    if pin:
        os.sched_setaffinity(0, {1})
    try:
        for kind in () if args.typed_only else ("bare", "hotline", "peer"):
            server = runner.servers[kind][0]
            expect = expected_starts(server.port, structured)
            sitting.searches.append(search_rate(server, structured, expect, args))
        if sitting.mix is None:
            return
        hotline = runner.servers["hotline"][0]
        hops.wait_idle("typed hops", args.wait_idle)
        print(
            f"  journey mix at {args.typed_rate:g} hops/s for {args.typed_seconds:g}s"
            f" (think {args.think:g}s between hops):"
        )
        expect = expected_starts(hotline.port, sitting.mix)
        typed = run_step(
            hotline, sitting.mix, args.typed_rate, args, expect, args.typed_seconds, warmup=3.0
        )
        typed.target = "mix"
        show_step(typed)
        sitting.typed = typed
    finally:
        if pin:
            os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))


def compare_workers(
    args: argparse.Namespace, work: Path, scripts: dict[str, Path], running: list[hops.Server]
) -> dict[str, list[hops.Result]]:
    """`hotline serve --workers 1` against `--workers N`, unpinned, alternating rounds on the
    structured hop and the mix; both share one embedded PostgreSQL (unpinned too)."""
    wdir = None if os.environ.get("DATABASE_URL") else work / "data-workers"
    n = str(args.workers_compare)
    print(f"\n--workers 1 against --workers {n}, unpinned (wrk shares the cores)")
    w1 = start("hotline", "workers-1", 1, None, work, wdir, ["--workers", "1"])
    running.append(w1)
    wn = start("hotline", "workers-N", 2, None, work, wdir, ["--workers", n])
    running.append(wn)
    runs = (
        ("workers-1", "w1", "structured"),
        ("workers-N", "wn", "structured"),
        ("workers-1-mix", "w1", "mix"),
        ("workers-N-mix", "wn", "mix"),
    )
    return closed_rounds(Runner({"w1": [w1], "wn": [wn]}, scripts), runs, args, work, False)


def open_loop_notes(searches: list[Search], typed_step: Step | None) -> list[str]:
    """The open-loop ratio, the generator's ceiling and the typed hops, as markdown bullets."""
    notes = []
    by = {s.target: s for s in searches}
    h, p = by.get("hotline"), by.get("peer")
    if h and p and h.best and p.best:
        notes.append(
            f"- hotline / peer, open loop: **{h.best.rate / p.best.rate:.2f}**"
            f" (goal >= 3: {'met' if h.best.rate >= 3 * p.best.rate else 'MISSED'})"
        )
    b = by.get("bare")
    if b is not None and b.steps:
        kept_up = [st for st in b.steps if not st.generator_bound]
        behind = [st.rate for st in b.steps if st.generator_bound]
        held = max((st.achieved for st in kept_up), default=0.0)
        kept = (
            f"kept up with {held:,.0f} req/s (send lag p99 <= {GENERATOR_LAG_LIMIT_MS:g} ms)"
            if kept_up
            else "fell behind from the first step (a busy machine?)"
        )
        if kept_up and behind:
            kept += f" and fell behind at {min(behind):,.0f}/s"
        elif kept_up:
            kept += ", never falling behind"
        notes.append(
            f"- the generator itself (validated on the bare handler): it {kept};"
            f" the bare handler's own limit: {b.highest()}"
        )
    if typed_step is not None:
        t = typed_step
        notes.append(
            f"- typed hops at {t.rate:,.0f} hops/s (journey mix, {len(t.typed_latencies)} typed"
            f" hops in {t.seconds:g}s): p50 {t.p(50, typed=True):.2f} ms,"
            f" **p99 {t.p(99, typed=True):.2f} ms** (goal <= 5 ms:"
            f" {'met' if t.p(99, typed=True) <= 5 else 'MISSED'}); all hops p99 {t.p(99):.2f} ms,"
            f" {t.bad} bad, {t.lost} lost, send lag p99 {t.lag_p99:.2f} ms"
        )
    return notes


def report(args: argparse.Namespace, sitting: Sitting) -> None:
    """The figures as markdown, ready for benchmarks/RESULTS.md."""
    closed, searches, workers = sitting.closed, sitting.searches, sitting.workers
    started_at, mix_lo, typed_step = sitting.started_at, sitting.mix, sitting.typed
    md: list[str] = [
        f"### Hop cost side by side (`benchmarks/hop_cost.py`, {started_at})",
        "",
        f"One sitting on {os.cpu_count()} cores; servers pinned to CPU 0 (the hotline with its"
        " embedded PostgreSQL), wrk and the open-loop generator to CPU 1; default log level.",
    ]
    if closed:
        md += [
            "",
            f"Closed loop: wrk, {args.connections} connections, {args.seconds}s per run, best of"
            f" {args.rounds} alternating rounds:",
            "",
            *closed_markdown(closed, mix_lo, args),
            "",
            "Ratios of req/s:",
            "",
            *ratio_lines(
                closed,
                [
                    ("floor (bare + request middleware, log line) / bare", "floor", "bare", None),
                    ("structured hop / bare", "structured", "bare", 0.8),
                    ("journey mix / bare", "mix", "bare", 0.7),
                    ("hotline / ussd-builder peer (same hop)", "structured", "peer", 3.0),
                ],
            ),
        ]
    if searches:
        rows = []
        for s in searches:
            at = s.best
            rows.append(
                [
                    {
                        "bare": "bare aiohttp handler",
                        "hotline": f"hotline, structured hop (`text={STRUCTURED_TEXT}`)",
                        "peer": "ussd-builder peer",
                    }.get(s.target, s.target),
                    s.highest(),
                    "-" if at is None else f"{at.p(50):.2f} / {at.p(99):.2f}",
                    "-" if at is None else f"{at.lag_p99:.2f}",
                ]
            )
        md += [
            "",
            "Open loop (fixed arrival rate, latency from the intended send time,"
            f" {args.ol_seconds:g}s per step): the highest rate with p99 < {P99_LIMIT_MS:g} ms.",
            "",
            md_table(
                ["server", "highest rate", "p50 / p99 ms there", "generator send lag p99 ms"], rows
            ),
        ]
    notes = open_loop_notes(searches, typed_step)
    if notes:
        md += ["", *notes]
    if workers:
        md += [
            "",
            f"Several processes: `--workers {args.workers_compare}` against `--workers 1`,"
            " unpinned (wrk shares the 2 cores):",
            "",
            *closed_markdown(workers, None, args),
            "",
            *ratio_lines(
                workers,
                [
                    (f"--workers {args.workers_compare} / 1, hop", "workers-N", "workers-1", 1.7),
                    (
                        f"--workers {args.workers_compare} / 1, mix",
                        "workers-N-mix",
                        "workers-1-mix",
                        None,
                    ),
                ],
            ),
        ]
    if closed and any(
        best_round(rs).other_cpu > 0.1 for rs in [*closed.values(), *workers.values()]
    ):
        md.append("\nWARNING: other processes used the CPUs during the run; figures are disturbed.")
    print("\n---- markdown for benchmarks/RESULTS.md ----\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
