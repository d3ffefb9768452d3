"""
Typed hops' spans are written by group commit (issue 18 item 3): hops that arrive together share
one statement, each still learns the span stored first for its start (its own, or another hop's
of the same group or of any process), and a failure or a waiter that gave up never leaves the
others hanging. Real PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import asyncpg
import pytest

from gateway.group_commit import GroupWriter
from storage.ussd_sessions import free_text_spans, record_free_text

Span = tuple[str, int, int]


class Counted:
    """record_free_text on a real pool, counting the statements sent."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.groups: list[int] = []

    async def __call__(self, spans: Sequence[Span]) -> list[int]:
        self.groups.append(len(spans))
        return await record_free_text(self.pool, spans)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A small pool on the test database."""
    async with asyncpg.create_pool(database_url, min_size=1, max_size=2) as opened:
        yield opened


class TestRecordFreeText:
    async def test_new_spans_are_stored_and_echoed(self, conn: asyncpg.Connection) -> None:
        """Spans of several sessions in one statement: each is stored, each gets its own end."""
        assert [5, 9] == await record_free_text(conn, [("g-a", 2, 5), ("g-b", 0, 9)])
        assert {2: 5} == await free_text_spans(conn, "g-a")
        assert {0: 9} == await free_text_spans(conn, "g-b")

    async def test_a_lone_new_span_is_stored_and_echoed(self, conn: asyncpg.Connection) -> None:
        """A group of one (sent as plain parameters, not arrays) is stored and gets its end."""
        assert [6] == await record_free_text(conn, [("g-lone-new", 3, 6)])
        assert {3: 6} == await free_text_spans(conn, "g-lone-new")

    async def test_an_earlier_span_wins(self, conn: asyncpg.Connection) -> None:
        """A start already stored keeps its end; the late hop is told that end."""
        await record_free_text(conn, [("g-c", 2, 5)])
        assert [5] == await record_free_text(conn, [("g-c", 2, 7)])
        assert {2: 5} == await free_text_spans(conn, "g-c")

    async def test_the_first_of_a_group_wins(self, conn: asyncpg.Connection) -> None:
        """Two hops of one group with the same start: the first's end is stored for both."""
        assert [5, 5] == await record_free_text(conn, [("g-d", 2, 5), ("g-d", 2, 8)])
        assert {2: 5} == await free_text_spans(conn, "g-d")

    @pytest.mark.parametrize(
        ("spans", "expected"),
        [([("g-race-1", 2, 9)], [5]), ([("g-race-2", 2, 9), ("g-race-2b", 0, 3)], [5, 3])],
        ids=["alone", "in a group"],
    )
    async def test_a_span_another_process_commits_meanwhile_is_the_answer(
        self,
        database_url: str,
        conn: asyncpg.Connection,
        spans: list[Span],
        expected: list[int],
    ) -> None:
        """Another process stores the same start and commits while this statement waits on its
        row: that end is the answer, though the statement's own snapshot was taken before."""
        other = await asyncpg.connect(database_url)
        try:
            async with other.transaction():
                session, start, _ = spans[0]
                await other.execute(
                    "INSERT INTO ussd_free_text (session_id, start_offset, end_offset)"
                    " VALUES ($1, $2, 5)",
                    session,
                    start,
                )
                waiting = asyncio.ensure_future(record_free_text(conn, spans))
                for _ in range(500):  # until the statement waits on the row (at most 5 s)
                    if await other.fetchval(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                        " AND query LIKE '%INSERT INTO ussd_free_text%'"
                    ):
                        break
                    await asyncio.sleep(0.01)
            assert expected == await waiting
        finally:
            await other.close()


class TestGroupWriter:
    async def test_hops_arriving_together_share_one_statement(self, pool: asyncpg.Pool) -> None:
        """Fifty spans written at once take far fewer statements, each answer its own."""
        counted = Counted(pool)
        writer: GroupWriter[Span, int] = GroupWriter(counted)
        spans = [(f"g-many-{i}", 0, i + 1) for i in range(50)]
        assert [end for _, _, end in spans] == await asyncio.gather(
            *(writer.write(span) for span in spans)
        )
        assert sum(counted.groups) == 50
        assert len(counted.groups) <= 2

    async def test_a_lone_write_goes_at_once(self, pool: asyncpg.Pool) -> None:
        """With nothing else arriving, a write is one statement of one span."""
        counted = Counted(pool)
        writer: GroupWriter[Span, int] = GroupWriter(counted)
        assert 4 == await writer.write(("g-lone", 1, 4))
        assert counted.groups == [1]

    async def test_a_failed_statement_reaches_every_waiter(self) -> None:
        """When the statement fails, each hop of the group gets the error (none hangs)."""

        async def broken(_: Sequence[Span]) -> list[int]:
            raise ConnectionError("database gone")

        writer: GroupWriter[Span, int] = GroupWriter(broken)
        results = await asyncio.gather(
            writer.write(("g-x", 0, 1)), writer.write(("g-y", 0, 1)), return_exceptions=True
        )
        assert all(isinstance(r, ConnectionError) for r in results)

    async def test_a_waiter_that_gave_up_does_not_stop_the_others(self, pool: asyncpg.Pool) -> None:
        """A hop cancelled by its deadline is left out; the rest of its group is written."""
        counted = Counted(pool)
        writer: GroupWriter[Span, int] = GroupWriter(counted)
        gone = asyncio.ensure_future(writer.write(("g-gone", 0, 3)))
        kept = asyncio.ensure_future(writer.write(("g-kept", 0, 3)))
        await asyncio.sleep(0)
        gone.cancel()
        assert 3 == await kept
        assert counted.groups == [1]
        assert {} == await free_text_spans(pool, "g-gone")

    async def test_drain_writes_what_nobody_waited_for(self, pool: asyncpg.Pool) -> None:
        """Items submitted without waiting are all written once `drain` returns (shutdown)."""
        writer: GroupWriter[Span, int] = GroupWriter(Counted(pool))
        for i in range(3):
            writer.submit((f"g-later-{i}", 0, 2))
        await writer.drain()
        assert [{0: 2}] * 3 == [await free_text_spans(pool, f"g-later-{i}") for i in range(3)]

    async def test_a_hanging_statement_is_given_up_and_the_next_group_goes(
        self, pool: asyncpg.Pool
    ) -> None:
        """A statement with no answer past the timeout fails its group; later groups are written."""
        counted = Counted(pool)
        calls = 0

        async def first_hangs(spans: Sequence[Span]) -> list[int]:
            nonlocal calls
            calls += 1
            if calls == 1:
                await asyncio.sleep(60)
            return await counted(spans)

        writer: GroupWriter[Span, int] = GroupWriter(first_hangs, timeout_s=0.2)
        hung = asyncio.ensure_future(writer.write(("g-hung", 0, 1)))
        await asyncio.sleep(0.05)  # the first group is in flight; this one waits for the next
        assert 2 == await writer.write(("g-next", 0, 2))
        with pytest.raises(TimeoutError):
            await hung
