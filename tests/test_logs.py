"""Logs: one JSON line per request with the same fields, no phone number in any line, and every
line logged is written, through the buffer, at shutdown and on SIGTERM."""

from __future__ import annotations

import ast
import asyncio
import io
import json
import signal
import sys
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import structlog
from aiohttp.test_utils import TestClient

from gateway import logs
from gateway.config import Config
from tests.processes import free_port, service_env, wait_ready
from tests.sms_client import send_sms

ROOT = Path(__file__).resolve().parent.parent
HOTLINE = str(Path(sys.executable).parent / "hotline")
PHONE = "+6281234567890"
# Every way the number is written (as tests/test_privacy.py scans for).
FORMATS = ("+6281234567890", "6281234567890", "081234567890", "81234567890")
# How outside text may carry it: as typed, spaced, dotted, percent-encoded, inside words.
WRITTEN = (
    "+6281234567890",
    "6281234567890",
    "081234567890",
    "+62 812-3456-7890",
    "+62.812.3456.7890",
    "to=%2B6281234567890&x=1",
    "hubungi 081234567890 segera",
)
LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical", "msg"}
BINDERS = {"bind", "bind_contextvars", "summary", "new_request"}


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    """The JSON lines written so far."""
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]


def logged_keys() -> dict[str, list[str]]:
    """Every keyword a log call or context bind in gateway/ and storage/ passes, with where."""
    found: dict[str, list[str]] = {}
    for path in sorted([*ROOT.glob("gateway/**/*.py"), *ROOT.glob("storage/**/*.py")]):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in LOG_METHODS | BINDERS:
                continue
            for keyword in node.keywords:
                if keyword.arg is not None:
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    found.setdefault(keyword.arg, []).append(where)
    return found


class TestMaskingByField:
    def test_every_logged_key_is_classified(self) -> None:
        """Each key a log call passes is either plain (made by this code) or masked: a new key is
        a decision, not an accident."""
        unclassified = {
            key: where
            for key, where in logged_keys().items()
            if key not in logs.PLAIN_KEYS | logs.MASKED_KEYS
        }
        assert {} == unclassified

    def test_no_key_is_both_plain_and_masked(self) -> None:
        """The two lists do not overlap."""
        assert set() == logs.PLAIN_KEYS & logs.MASKED_KEYS

    def test_the_scan_sees_the_summary_keys(self) -> None:
        """The source scan finds the request summary's keys (it reads the calls it should)."""
        assert {"method", "status", "duration_ms", "session_id"} <= set(logged_keys())

    @pytest.mark.parametrize("key", sorted(logs.MASKED_KEYS | {"some_new_key"}))
    def test_a_number_in_a_masked_key_never_reaches_the_line(
        self, key: str, log_output: io.StringIO
    ) -> None:
        """A number however written, under any key but the plain ones, is cut to its last two
        digits in the line."""
        log = structlog.get_logger()
        for text in WRITTEN:
            log.warning("test.outside_text", **{key: text})
        output = log_output.getvalue()
        assert [] == [f for f in FORMATS if f in output]
        assert len(WRITTEN) == output.count("***90")

    def test_a_number_in_an_exception_never_reaches_the_line(self, log_output: io.StringIO) -> None:
        """An exception's message and traceback that quote the number are masked."""
        log = structlog.get_logger()
        try:
            raise ValueError(f"gateway said: bad recipient {PHONE}")
        except ValueError as error:
            log.exception("test.failed", error=str(error))
        output = log_output.getvalue()
        assert "ValueError" in lines(log_output)[0]["exception"]
        assert [] == [f for f in FORMATS if f in output]

    def test_numbers_inside_lists_dicts_and_objects_are_masked(
        self, log_output: io.StringIO
    ) -> None:
        """Containers and objects rendered as text are masked item by item."""

        class Echo:
            def __str__(self) -> str:
                return f"echo {PHONE}"

        structlog.get_logger().info(
            "test.nested", red=[PHONE, "x"], outcome={"to": PHONE}, what=Echo()
        )
        line = lines(log_output)[0]
        assert (["***90", "x"], {"to": "***90"}, "echo ***90") == (
            line["red"],
            line["outcome"],
            line["what"],
        )

    def test_bound_context_and_the_summary_are_masked(self, log_output: io.StringIO) -> None:
        """A number bound to the request's context or passed to the summary line is masked."""
        logs.new_request("/at/ussd")
        logs.bind(session_id=f"s-{PHONE}", service_code="*123*081234567890#")
        logs.summary("http.request_finished", method="POST", status=200, duration_ms=1.0)
        output = log_output.getvalue()
        assert output
        assert [] == [f for f in FORMATS if f in output]

    async def test_a_number_in_every_field_a_provider_sends_is_masked(
        self, client: TestClient, log_output: io.StringIO
    ) -> None:
        """A hop whose session id, service code and text carry the number, an SMS quoting it and
        one whose message id is the number: no line holds it in any format."""
        form = {
            "sessionId": f"ATUid_{PHONE}",
            "phoneNumber": PHONE,
            "serviceCode": "*123*081234567890#",
            "text": PHONE,
        }
        assert 200 == (await client.post("/at/ussd", data=form)).status
        await send_sms(client, "LAPOR calo minta uang, hubungi 081234567890", sender=PHONE)
        await send_sms(client, "INFO", sender=PHONE, message_id=FORMATS[2])
        output = log_output.getvalue()
        assert 2 <= output.count("http.request_finished")
        assert [] == [f for f in FORMATS if f in output]

    async def test_a_number_logged_after_the_loop_closed_is_written(self) -> None:
        """A line logged once the serving loop has closed (no `close`) is written at once."""
        stream = io.StringIO()
        writer = logs.LineWriter(stream)
        loop = asyncio.new_event_loop()
        writer.start(loop)
        loop.close()
        writer.write(b"late\n")
        writer.close()
        assert "late\n" == stream.getvalue()

    def test_plain_keys_are_written_as_given(self, log_output: io.StringIO) -> None:
        """Values this code makes are not scanned (and numbers of any key stay numbers)."""
        structlog.get_logger().info("test.plain", tip_id=6281234567890, route="/at/ussd")
        line = lines(log_output)[0]
        assert (6281234567890, "/at/ussd") == (line["tip_id"], line["route"])


class TestSummaryLine:
    async def test_same_fields_as_before(self, client: TestClient, log_output: io.StringIO) -> None:
        """A hop's line has the request, route, session, menu node, status, duration and time."""
        form = {"sessionId": "ATUid_fields", "phoneNumber": PHONE, "serviceCode": "*123*45#"}
        await client.post("/at/ussd", data={**form, "text": ""})
        [line] = [e for e in lines(log_output) if e["event"] == "http.request_finished"]
        expected = {
            "event", "level", "timestamp", "request_id", "route", "method", "status",
            "duration_ms", "session_id", "service_code", "ussd_node",
        }  # fmt: skip
        assert expected == set(line)
        assert ("POST", 200, "/at/ussd", "ATUid_fields", "*123*45#", "info") == (
            line["method"],
            line["status"],
            line["route"],
            line["session_id"],
            line["service_code"],
            line["level"],
        )

    async def test_each_request_has_its_own_id(
        self, client: TestClient, log_output: io.StringIO
    ) -> None:
        """Request ids differ between requests and are 16 hex digits."""
        for _ in range(3):
            await client.get("/healthz")
        ids = [e["request_id"] for e in lines(log_output) if e["event"] == "http.request_finished"]
        assert 3 == len(set(ids))
        assert all(len(i) == 16 and int(i, 16) >= 0 for i in ids)

    async def test_context_does_not_leak_into_the_next_request(
        self, client: TestClient, log_output: io.StringIO
    ) -> None:
        """A hop's session does not appear on the next request's line on the same connection."""
        await client.post("/at/ussd", data={"sessionId": "ATUid_leak", "phoneNumber": PHONE})
        await client.get("/healthz")
        finished = [e for e in lines(log_output) if e["event"] == "http.request_finished"]
        assert ("ATUid_leak", None) == tuple(e.get("session_id") for e in finished)

    def test_timestamp_is_utc_iso_with_microseconds(self) -> None:
        """The timestamp reads as ISO 8601 UTC and is the current time."""
        stamp = logs.CLOCK.now()
        parsed = datetime.fromisoformat(stamp)
        assert stamp.endswith("Z") and 27 == len(stamp)
        assert abs((datetime.now(UTC) - parsed).total_seconds()) < 1.0


Buffered = tuple[io.StringIO, logs.LineWriter]


@pytest.fixture
async def buffered() -> AsyncIterator[Buffered]:
    """A writer buffering on the running loop into a string; closed (everything written) after."""
    stream = io.StringIO()
    writer = logs.LineWriter(stream)
    writer.start(asyncio.get_running_loop())
    try:
        yield stream, writer
    finally:
        writer.close()


class TestBufferedWriter:
    async def test_lines_are_written_within_the_flush_interval(self, buffered: Buffered) -> None:
        """Buffered lines are not written at once, but within FLUSH_INTERVAL_S."""
        stream, writer = buffered
        writer.write(b"one\n")
        assert "" == stream.getvalue()
        await asyncio.sleep(logs.FLUSH_INTERVAL_S + 0.2)
        assert "one\n" == stream.getvalue()

    async def test_a_full_buffer_is_handed_over_without_waiting(self, buffered: Buffered) -> None:
        """Past FLUSH_BYTES the buffer goes to the writer thread without waiting for the timer."""
        stream, writer = buffered
        line = b"x" * 1023 + b"\n"
        for _ in range(logs.FLUSH_BYTES // len(line)):
            writer.write(line)
        for _ in range(50):  # the thread writes it; the loop never yields for the timer
            if stream.getvalue():
                break
            threading.Event().wait(0.01)
        assert logs.FLUSH_BYTES == len(stream.getvalue())

    async def test_close_writes_everything_in_order(self, buffered: Buffered) -> None:
        """Closing writes every buffered line, in order, and from then on lines go at once."""
        stream, writer = buffered
        for n in range(10_000):
            writer.write(b"%d\n" % n)
        writer.close()
        assert [str(n) for n in range(10_000)] == stream.getvalue().splitlines()
        writer.write(b"after\n")
        assert stream.getvalue().endswith("9999\nafter\n")

    async def test_lines_from_other_threads_are_written(self, buffered: Buffered) -> None:
        """A line logged from another thread is written too."""
        stream, writer = buffered
        await asyncio.to_thread(writer.write, b"from a thread\n")
        writer.write(b"from the loop\n")
        writer.close()
        assert {"from a thread", "from the loop"} == set(stream.getvalue().splitlines())

    @pytest.mark.parametrize("sizes", [[10] * 1000, [300, 5000, 20, 4095, 4096, 1], [1]])
    def test_a_shared_pipe_gets_whole_lines_of_at_most_pipe_buf(self, sizes: list[int]) -> None:
        """Written to a pipe, a chunk goes in pieces of whole lines within PIPE_BUF (so workers
        sharing stdout never cut each other's lines); a longer line goes alone."""
        data = b"".join(b"x" * (n - 1) + b"\n" for n in sizes)
        pieces = list(logs.whole_lines(data, logs.PIPE_BUF))
        assert data == b"".join(pieces)
        assert all(p.endswith(b"\n") for p in pieces)
        assert all(len(p) <= logs.PIPE_BUF or p.count(b"\n") == 1 for p in pieces)

    def test_without_a_serving_loop_lines_are_written_at_once(self) -> None:
        """Outside a serving process (commands, tests) each line is written when logged."""
        stream = io.StringIO()
        logs.configure(Config(log_format="json"), stream=stream, cache=False)
        structlog.get_logger().info("test.at_once")
        assert "test.at_once" == lines(stream)[0]["event"]


async def read_lines(stream: asyncio.StreamReader, into: list[dict[str, Any]]) -> None:
    """Parse JSON lines from a process's stdout until it closes."""
    while line := await stream.readline():
        into.append(json.loads(line))


class TestSigterm:
    async def test_a_burst_during_sigterm_loses_no_line(self) -> None:
        """SIGTERM while logging: every line logged before it and 100,000 logged during the
        shutdown are on stdout, none missing, none twice."""
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.log_burst_app", str(free_port()),
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, limit=2**20,
        )  # fmt: skip
        assert process.stdout is not None
        received: list[dict[str, Any]] = []
        first = await asyncio.wait_for(process.stdout.readline(), 30)
        received.append(json.loads(first))
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(read_lines(process.stdout, received), 120)
        assert 0 == await process.wait()
        [counted] = [e["before"] for e in received if e["event"] == "burst.counted"]
        before = [e["n"] for e in received if e["event"] == "burst.before"]
        during = [e["n"] for e in received if e["event"] == "burst.during"]
        assert counted > 0
        assert list(range(counted)) == before
        assert list(range(100_000)) == during
        assert "burst.finished" == received[-1]["event"]

    @pytest.fixture
    async def served(self, database_url: str, tmp_path: Path) -> AsyncIterator[Any]:
        """`hotline serve` as a real process on the test database, logging at info to a pipe."""
        env = service_env(database_url, tmp_path, free_port(), LOG_LEVEL="info", LOG_FORMAT="json")
        process = await asyncio.create_subprocess_exec(
            HOTLINE, "serve", "--demo", env=env, stdout=asyncio.subprocess.PIPE, limit=2**20
        )
        url = f"http://127.0.0.1:{env['PORT']}"
        await wait_ready(url)
        yield process, url
        if process.returncode is None:
            process.kill()
        await process.wait()

    async def test_hotline_serve_writes_every_hop_line_before_exiting(self, served: Any) -> None:
        """`hotline serve` told SIGTERM right after its last answer has written one line for
        each hop it answered, with no phone number in any of them."""
        process, url = served
        received: list[dict[str, Any]] = []
        reader = asyncio.create_task(read_lines(process.stdout, received))
        hops = 300
        async with aiohttp.ClientSession() as http:

            async def hop(n: int) -> int:
                form = {"sessionId": f"sigterm-{n}", "phoneNumber": f"+6281299{n:06d}"}
                async with http.post(f"{url}/at/ussd", data={**form, "text": ""}) as response:
                    await response.read()
                    return response.status

            statuses = await asyncio.gather(*(hop(n) for n in range(hops)))
        process.send_signal(signal.SIGTERM)
        assert 0 == await asyncio.wait_for(process.wait(), 30)
        await asyncio.wait_for(reader, 10)
        assert [200] * hops == statuses
        finished = [
            e["session_id"]
            for e in received
            if e["event"] == "http.request_finished" and e["route"] == "/at/ussd"
        ]
        assert sorted(f"sigterm-{n}" for n in range(hops)) == sorted(finished)
        assert "http.stopping" in [e["event"] for e in received]
        text = json.dumps(received)
        assert [] == [n for n in range(hops) if f"81299{n:06d}" in text]
