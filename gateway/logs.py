"""
Logging: structlog configured once, one JSON line per event to stdout (console renderer on a
terminal), cheap enough to write on every USSD hop.

Event names are stable `area.thing_happened` literals; data goes in keys. A line costs one dict
merge, one clock read, a phone-number mask over the keys that can carry outside text, and one
orjson call; it goes to an in-memory buffer that `hotline serve` hands to a writer thread at least
every FLUSH_INTERVAL_S and whenever it grows past FLUSH_BYTES, so the event loop never waits on a
slow stdout (on a pipe, in whole lines of at most PIPE_BUF bytes a write, so the workers of
`serve --workers N` sharing one stdout never cut each other's lines). Until a serving process
starts the writer (and in tests), every line is written at once. Shutdown (SIGTERM, once the app
has cleaned up; interpreter exit) flushes what is buffered: a line logged is a line written.

Masking is by field: PLAIN_KEYS hold only values this code makes (counts, ids, literal names, the
route's pattern); every other key's text is masked, so a new key is safe until it is classified.
Phone numbers in free text (an exception's message, a gateway's error, a login name) are still
reduced to their last two digits by the same pattern as everywhere else (gateway.phones.mask).

Request context: the middleware starts each request with `new_request` (a fresh dict in one
context variable); `bind` adds keys to it, so the summary line carries what the handler learnt
(session, menu node) without setting a context variable per key.
"""

from __future__ import annotations

import asyncio
import atexit
import contextvars
import io
import itertools
import logging
import os
import queue
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator, MutableMapping
from select import PIPE_BUF
from typing import Any, BinaryIO, Final, TextIO

import orjson
import structlog

from gateway.config import Config
from gateway.phones import mask

FLUSH_INTERVAL_S: Final = 0.1
FLUSH_BYTES: Final = 64 * 1024
# Chunks waiting for the writer thread; when stdout's reader falls this far behind, logging waits
# for it (back pressure) rather than dropping lines or growing without bound.
MAX_PENDING_CHUNKS: Final = 256

# Keys whose values this code makes: never a resident's text or number, so never scanned.
PLAIN_KEYS: Final = frozenset(
    {
        # every line
        "event", "level", "timestamp", "request_id", "route", "ussd_node",
        # request summary
        "status", "duration_ms",
        # counts, ids and flags
        "added", "agencies", "alarm", "alerts", "again", "attempt", "broadcast_id",
        "broadcasts_cancelled", "by_official", "cancelled", "case_id", "cases", "changed",
        "chars", "confirmed", "created", "demo", "desa", "done", "duplicate", "found",
        "free_text", "had_token", "http_status", "import_id", "job_orders", "limit", "local",
        "message_id", "messages", "migrant_id", "migrants", "misses", "official_id",
        "officials", "outbox_id", "per_hour", "port", "queued", "recipients_forgotten",
        "refused_total", "removed", "reopened", "requeued", "retry_in_s", "rows", "stored",
        "tip_id", "tips", "upload_id",
        # names from this code's own vocabularies
        "category", "channel", "current", "from_status", "to_status", "from_tier", "to_tier",
        "wanted", "kind", "lang", "role", "scope", "result", "reasons", "topic", "provider",
        "effect", "fix", "missing", "field", "week_of", "starts_at", "snapshot_date",
        # serve --workers
        "worker", "workers", "pid", "pids", "parent", "signal", "configured", "per_worker",
        "max_connections", "db_pool_size", "after_s",
    }
)  # fmt: skip
# Keys that can carry outside text (what a resident, an official, a provider or an exception
# wrote), listed so that every key a log call passes is a decision (tests/test_logs.py checks).
# Masked like any unlisted key.
MASKED_KEYS: Final = frozenset(
    {
        "method", "session_id", "service_code", "sms_id", "provider_id", "keyword", "error",
        "exception", "problem", "raw", "raw_status", "failure_reason", "reason", "after",
        "last_step", "user", "ip", "attempts", "origin", "fetch_site", "path", "data_dir", "from_",
        "to", "hotlines", "override", "host", "action", "outcome", "decision", "command", "what",
        "area", "red", "api_client",
    }
)  # fmt: skip

_LEVELS: Final = {"exception": "error", "warn": "warning", "msg": "info"}
_UNMASKED_TYPES: Final = (int, float, bool, type(None))


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_mask_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _mask_value(v) for k, v in value.items()}
    if isinstance(value, _UNMASKED_TYPES):
        return value
    return mask(str(value))  # what orjson's default=str would write


def mask_fields(event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Phone numbers masked in every value but those of PLAIN_KEYS; numbers and flags are left
    as they are, anything else is masked as text (containers item by item)."""
    for key, value in event.items():
        if key in PLAIN_KEYS:
            continue
        if type(value) is str:
            event[key] = mask(value)
        elif not isinstance(value, _UNMASKED_TYPES):
            event[key] = _mask_value(value)
    return event


class _Clock:
    """UTC ISO timestamps with microseconds, the date and time formatted once per second."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def now(self) -> str:
        """The current time as '2026-12-05T06:40:22.123456Z'."""
        stamp = time.time()
        second = int(stamp)
        if second != self._second:
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        return f"{self._prefix}.{int((stamp - second) * 1_000_000):06d}Z"


CLOCK = _Clock()

# ---- request context ------------------------------------------------------------------------

_REQUEST: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "hotline_log_request", default=None
)


class _RequestIds:
    """Request ids unique enough to follow one request through the logs: a random per-process
    prefix and a counter (no system call per request); drawn again in a forked worker."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """A new prefix and counter (at start and in a forked child)."""
        self._prefix = os.urandom(4).hex()
        self._count = itertools.count()

    def next(self) -> str:
        """The next id: 16 hex digits."""
        return f"{self._prefix}{next(self._count) & 0xFFFFFFFF:08x}"


REQUEST_IDS = _RequestIds()


def new_request(route: str) -> dict[str, Any]:
    """Start a request's log context (request_id and route); the dict later lines merge."""
    context = {"request_id": REQUEST_IDS.next(), "route": route}
    _REQUEST.set(context)
    return context


def bind(**values: Any) -> None:
    """Add keys to the current request's log context (or start one outside a request)."""
    context = _REQUEST.get()
    if context is None:
        _REQUEST.set(dict(values))
    else:
        context.update(values)


def clear() -> None:
    """Forget the current log context (tests, between cases)."""
    _REQUEST.set(None)


def _merge_context(event: MutableMapping[str, Any]) -> None:
    context = _REQUEST.get()
    if context:
        for key, value in context.items():
            event.setdefault(key, value)


def _prepare(event: MutableMapping[str, Any], method: str) -> MutableMapping[str, Any]:
    _merge_context(event)
    event["level"] = _LEVELS.get(method, method)
    event["timestamp"] = CLOCK.now()
    if "exc_info" in event:
        structlog.processors.format_exc_info(None, method, event)
    return mask_fields(event)


def render_json(_logger: Any, method: str, event: MutableMapping[str, Any]) -> bytes:
    """The whole pipeline for a JSON line in one processor: context, level, time, mask, orjson."""
    return orjson.dumps(_prepare(event, method), default=str, option=orjson.OPT_APPEND_NEWLINE)


def prepare(_logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """The same steps as render_json but the rendering (for the console renderer)."""
    return _prepare(event, method)


# ---- the writer -----------------------------------------------------------------------------


class LineWriter:
    """Log lines to a stream: at once until `start`, then through a buffer and a writer thread.

    Buffered, a line is appended to a list (no system call, no lock); the buffer goes to the
    thread after FLUSH_INTERVAL_S (a timer armed by the first line into an empty buffer) or
    when it holds FLUSH_BYTES. A line logged on another thread than the loop's goes to the
    writer thread by itself (the buffer is the loop thread's alone). When stdout's reader falls
    MAX_PENDING_CHUNKS behind, handing over waits for it: back pressure, never a dropped line.
    `close` flushes and waits until the thread has written everything.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._binary: BinaryIO | None = getattr(stream, "buffer", None)
        self._shared_pipe = _is_pipe(stream)
        self._lines: list[bytes] = []
        self._size = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._timer: asyncio.TimerHandle | None = None
        self._chunks: queue.Queue[bytes | None] | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def buffering(self) -> bool:
        """Whether lines are buffered (a serving process) rather than written at once."""
        return self._chunks is not None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Buffer from now on, flushing on `loop` (the serving process's event loop)."""
        if self._chunks is not None:
            return
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self._chunks = queue.Queue(MAX_PENDING_CHUNKS)
        self._thread = threading.Thread(target=self._drain, name="log-writer", daemon=True)
        self._thread.start()

    def write(self, line: bytes) -> None:
        """Write or buffer one rendered line (ending in a newline)."""
        chunks = self._chunks
        if chunks is None:
            with self._lock:
                self._write(line)
        elif threading.get_ident() != self._loop_thread:
            chunks.put(line)  # the buffer is the loop thread's alone
        else:
            self._lines.append(line)
            self._size += len(line)
            if self._size >= FLUSH_BYTES:
                self.flush()
            elif self._timer is None:
                self._arm()

    def _arm(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():  # the loop ended without `close`: write now
            self.flush()
        else:
            self._timer = loop.call_later(FLUSH_INTERVAL_S, self.flush)

    def flush(self) -> None:
        """Hand what is buffered to the writer thread (from the loop's thread, or after it)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._lines:
            return
        chunk = b"".join(self._lines)
        self._lines, self._size = [], 0
        chunks = self._chunks
        if chunks is None:
            with self._lock:
                self._write(chunk)
        else:
            chunks.put(chunk)

    def close(self) -> None:
        """Flush, let the thread write everything, and write at once from now on."""
        self.flush()
        chunks, thread = self._chunks, self._thread
        if chunks is None or thread is None:
            return
        self._chunks = self._thread = self._loop = None  # new lines are written at once
        chunks.put(None)
        thread.join()
        while not chunks.empty():  # a line another thread handed over as this closed
            if (late := chunks.get_nowait()) is not None:
                with self._lock:
                    self._write(late)

    def after_fork(self) -> None:
        """In a forked child: no thread, nothing inherited in the buffer, write at once."""
        self._lines, self._size, self._timer = [], 0, None
        self._chunks = self._thread = self._loop = None
        self._lock = threading.Lock()

    def _drain(self) -> None:
        assert self._chunks is not None
        chunks = self._chunks
        while (chunk := chunks.get()) is not None:
            with self._lock:
                try:
                    self._write(chunk)
                except (OSError, ValueError):  # stdout's reader went away: keep draining, or
                    pass  # the queue fills and the event loop blocks on its next line

    def _write(self, data: bytes) -> None:
        if self._binary is not None:
            self.stream.flush()  # anything printed to the text layer goes first
            for piece in whole_lines(data, PIPE_BUF) if self._shared_pipe else (data,):
                self._binary.write(piece)
                self._binary.flush()
        else:
            self.stream.write(data.decode())
            self.stream.flush()


def _is_pipe(stream: TextIO) -> bool:
    """Whether stdout may be shared by several writers (a pipe, or journald's socket)."""
    try:
        mode = os.fstat(stream.fileno()).st_mode
        return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
    except (OSError, ValueError, io.UnsupportedOperation):
        return False


def whole_lines(data: bytes, limit: int) -> Iterator[bytes]:
    """`data` in pieces of whole lines of at most `limit` bytes (a longer line alone). On a pipe
    that several processes share (`serve --workers N` on one stdout), a write of at most PIPE_BUF
    bytes is never interleaved with another's, so no line is cut by another worker's."""
    start, end = 0, len(data)
    while end - start > limit:
        cut = data.rfind(b"\n", start, start + limit) + 1
        if cut <= start:  # one line longer than the limit
            cut = data.find(b"\n", start + limit) + 1 or end
        yield data[start:cut]
        start = cut
    if start < end:
        yield data[start:]


class _LineLogger:
    """structlog's logger: every level method hands the rendered line to the writer."""

    def __init__(self, writer: LineWriter) -> None:
        self.writer = writer

    def msg(self, message: bytes | str) -> None:
        """Write one rendered event."""
        if isinstance(message, str):
            message = message.encode() + b"\n"
        self.writer.write(message)

    debug = info = warning = warn = error = critical = exception = fatal = log = msg


WRITER = LineWriter(sys.stdout)


def _close_writer() -> None:
    WRITER.close()


def _after_fork() -> None:
    WRITER.after_fork()
    REQUEST_IDS.reset()


atexit.register(_close_writer)
os.register_at_fork(after_in_child=_after_fork)


def start_buffering() -> None:
    """Buffer log lines on the running event loop (a serving process; see the docstring)."""
    WRITER.start(asyncio.get_running_loop())


def stop_buffering() -> None:
    """Write out what is buffered, wait until it is written, and write lines at once from now on
    (shutdown: `serve` once the app has cleaned up, and at interpreter exit)."""
    WRITER.close()


# The processor list handed to structlog: capture_logs (tests) swaps its items in place.
_PIPELINE: list[Callable[..., Any]] = []
_SUMMARY_WRITER: LineWriter | None = None


def summary(event: str, **fields: Any) -> None:
    """One info line rendered and written directly, without structlog's bound logger (about
    2 µs less a line): the per-request summary. Through structlog instead when info lines are
    filtered out, the console renderer is on, or a test captures the events (capture_logs)."""
    writer = _SUMMARY_WRITER
    if writer is None or _PIPELINE[-1] is not render_json:
        structlog.get_logger().info(event, **fields)
    else:
        fields["event"] = event
        writer.write(render_json(None, "info", fields))


def configure(config: Config, *, stream: TextIO | None = None, cache: bool = True) -> None:
    """Set up structlog for the process; tests pass cache=False so capture_logs works."""
    global WRITER, _PIPELINE, _SUMMARY_WRITER
    stream = stream or sys.stdout
    WRITER.close()
    WRITER = writer = LineWriter(stream)
    console = config.log_format == "console" or (config.log_format == "auto" and stream.isatty())
    level = logging.getLevelNamesMapping()[config.log_level.upper()]
    _PIPELINE = [prepare, structlog.dev.ConsoleRenderer()] if console else [render_json]
    _SUMMARY_WRITER = None if console or level > logging.INFO else writer
    structlog.configure(
        processors=_PIPELINE,
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=lambda *_: _LineLogger(writer),
        cache_logger_on_first_use=cache,
    )
