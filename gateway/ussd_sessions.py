"""
Where a hop's own input sits in its session's path: the part of USSD hop handling that remembers.

The menus replay a '*'-joined path of inputs. A full-path gateway (Africa's Talking) resends that
path on every hop, unescaped, so free text holding '*' is ambiguous: every typed text is recorded
where it ends (free-text spans, one write on the hop that typed it, in PostgreSQL, grouped with
the other sessions' typed hops of the moment: gateway.group_commit), and this
process remembers the previous hop of its recent sessions, so it usually knows where this hop's
input starts without a read.

A gateway that sends only the latest input leaves the path to us: each hop appends its input to
the session's path in PostgreSQL in one atomic statement that returns the whole path
(storage.ussd_sessions.append_input), so hops of one session served by different processes build
one path; this hop's input is then known exactly, '*' and '#' included, and the spans keep
earlier typed text whole. From there both kinds of hop are handled the same way.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg

from gateway.core.messages import FullPath, LatestInput, UssdHop
from gateway.deadline import Deadline
from gateway.group_commit import GroupWriter
from storage.ussd_sessions import append_input, free_text_spans, record_free_text, stored_path

_SESSIONS_CACHED = 20_000


@dataclass(frozen=True, slots=True)
class Located:
    """A hop's place in its session: the whole path, and where this hop's input starts."""

    path: str
    current: int | None  # None: unknown (a full path whose previous hop another process served)
    resent: bool  # the gateway sent the same hop again
    spans_stale: bool  # spans recorded elsewhere may be missing from this process's memory


@dataclass(slots=True)
class Session:
    """What this process saw of a session: recorded spans and the previous hop's path."""

    spans: dict[int, int] = field(default_factory=dict)
    last_text: str | None = None
    current_start: int | None = None
    # Receipts looked up and not found; immutable, so that 20,000 sessions in memory do not add
    # 20,000 sets for the garbage collector to walk.
    missed: frozenset[str] = frozenset()
    # The caller's number in the officials directory, looked up once per session (ussd_desk):
    # whether it was looked up, and the active official's id (None: a resident).
    official_known: bool = False
    official_id: int | None = None

    def known_facts(self) -> dict[tuple[str, str], object]:
        """What the menus may read of this session without a lookup: the `official` fact."""
        return {("official", ""): self.official_id is not None} if self.official_known else {}

    def start_of(self, text: str) -> int | None:
        """Where this hop's own input begins, if the previous hop came through here."""
        if self.last_text is None:
            return None
        if text == self.last_text:  # the gateway resent the hop
            return self.current_start
        if self.last_text == "":  # the first input follows the dial directly, or hops were missed
            return 0 if "*" not in text else None
        if text.startswith(self.last_text + "*"):
            # Exactly one new input; a '*' in it could also mean hops served elsewhere.
            start = len(self.last_text) + 1
            return start if "*" not in text[start:] else None
        return None


class SessionPaths:
    """Recent sessions in this process's memory, and what the core stores of each session."""

    def __init__(self, pool: asyncpg.Pool, state_pool: asyncpg.Pool, deadline: Deadline) -> None:
        self.pool = pool
        # Spans and input paths live minutes and are written without waiting for the disk.
        self.state_pool = state_pool
        self.deadline = deadline
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        # Typed hops arriving together store their spans in one statement (group commit).
        self._spans: GroupWriter[tuple[str, int, int], int] = GroupWriter(
            self._write_spans, deadline.timeout_s
        )

    def session(self, session_id: str) -> Session:
        """This process's memory of a session (new and empty if it has none)."""
        session = self._sessions.get(session_id)
        if session is None:
            session = self._sessions[session_id] = Session()
            if len(self._sessions) > _SESSIONS_CACHED:
                self._sessions.popitem(last=False)
        return session

    async def locate(self, hop: UssdHop) -> Located:
        """The hop's path and input start; a latest-input hop is appended to its stored path."""
        session = self.session(hop.session_id)
        if isinstance(hop.input, FullPath):
            text = hop.input.text
            resent = text == session.last_text
            return Located(text, session.start_of(text), resent, spans_stale=False)
        assert isinstance(hop.input, LatestInput)
        typed = hop.input.text
        previous = session.last_text
        path = await self.deadline.run(
            append_input(self.state_pool, hop.session_id, typed, new=hop.input.new)
        )
        current = len(path) - len(typed)
        # This process's spans are complete only if it served the previous hop itself.
        served_previous = hop.input.new or (
            previous is not None and path[: max(current - 1, 0)] == previous
        )
        return Located(path, current, resent=False, spans_stale=not served_previous)

    def remember(self, session_id: str, located: Located) -> None:
        """This hop was answered here: the next one can find its input start without a read."""
        session = self.session(session_id)
        session.last_text, session.current_start = located.path, located.current

    async def stored_spans(self, session_id: str) -> dict[int, int]:
        """Every span recorded for the session, by any process; merged into memory."""
        stored = await self.deadline.run(free_text_spans(self.pool, session_id))
        self.session(session_id).spans.update(stored)
        return stored

    async def record(self, session_id: str, span: tuple[int, int]) -> bool:
        """Store a free-text boundary; False if another process stored a different one."""
        start, end = span
        stored = await self.deadline.run(self._spans.write((session_id, start, end)))
        return stored == end

    async def _write_spans(self, spans: Sequence[tuple[str, int, int]]) -> list[int]:
        return await record_free_text(self.state_pool, spans)

    async def path_of(self, session_id: str, sent: FullPath | None) -> str:
        """A finished session's path: as the gateway sent it, else as the core kept it."""
        if sent is not None:
            return sent.text
        kept = await self.deadline.run(stored_path(self.pool, session_id))
        return kept or ""
