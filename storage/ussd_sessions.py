"""
What the core keeps of a USSD session so any gateway process can serve its next hop.

Free-text spans: a full-path gateway (Africa's Talking) resends the whole '*'-joined path on every
hop and does not escape '*', so a resident who types '*' in free text makes the path ambiguous.
Only free-text hops are written here; structured hops replay from the path alone.

Input paths: a gateway that sends only the latest input leaves the path to us; each hop appends
its input in one atomic statement and gets the whole path back, so hops served by different
processes build one path. Rows live minutes and are purged after a day.
"""

from __future__ import annotations

from collections.abc import Sequence

from storage.db import Queryable


async def record_free_text(conn: Queryable, spans: Sequence[tuple[str, int, int]]) -> list[int]:
    """Record free-text spans (session id, start, end), several sessions' in one statement (a
    group commit); for each, the end stored for its start: its own, or the one another hop (of
    this group or earlier, by any process) stored first.

    A group of one, the usual case below saturation, goes as plain parameters: the same answer
    about 0.15 ms sooner than through arrays and unnest (typed hops' p50 at 1,000 hops/s went
    from 1.45-1.75 ms to 1.16-1.52 ms, benchmarks/hop_cost.py)."""
    if len(spans) == 1:
        session_id, start, end = spans[0]
        stored: int | None = await conn.fetchval(
            "WITH ins AS ("
            " INSERT INTO ussd_free_text (session_id, start_offset, end_offset)"
            " VALUES ($1, $2, $3) ON CONFLICT (session_id, start_offset) DO NOTHING"
            " RETURNING end_offset)"
            " SELECT COALESCE((SELECT end_offset FROM ins),"
            " (SELECT end_offset FROM ussd_free_text WHERE session_id = $1 AND start_offset = $2))",
            session_id,
            start,
            end,
        )
        ends = [stored]
    else:
        rows = await conn.fetch(
            "WITH input AS ("
            " SELECT * FROM unnest($1::text[], $2::int[], $3::int[]) WITH ORDINALITY"
            " AS t(session_id, start_offset, end_offset, n)),"
            " ins AS ("
            " INSERT INTO ussd_free_text (session_id, start_offset, end_offset)"
            " SELECT DISTINCT ON (session_id, start_offset) session_id, start_offset, end_offset"
            " FROM input ORDER BY session_id, start_offset, n"
            " ON CONFLICT (session_id, start_offset) DO NOTHING"
            " RETURNING session_id, start_offset, end_offset)"
            " SELECT COALESCE(ins.end_offset, f.end_offset) AS stored FROM input i"
            " LEFT JOIN ins USING (session_id, start_offset)"
            " LEFT JOIN ussd_free_text f USING (session_id, start_offset)"
            " ORDER BY i.n",
            [session for session, _, _ in spans],
            [start for _, start, _ in spans],
            [end for _, _, end in spans],
        )
        ends = [r["stored"] for r in rows]
    # A start another process stored and committed while this statement waited on it: ON
    # CONFLICT saw its row, the statement's own snapshot (taken before) cannot. A new one can.
    pairs = list(zip(spans, ends, strict=True))
    unseen = [(session, start) for (session, start, _), end in pairs if end is None]
    seen = await _stored_ends(conn, unseen) if unseen else {}
    return [
        end if end is not None else seen.get((session, start), own)
        for (session, start, own), end in pairs
    ]


async def _stored_ends(
    conn: Queryable, starts: Sequence[tuple[str, int]]
) -> dict[tuple[str, int], int]:
    """The stored end of each (session id, start) that has one."""
    rows = await conn.fetch(
        "SELECT session_id, start_offset, end_offset FROM ussd_free_text"
        " WHERE (session_id, start_offset) IN (SELECT * FROM unnest($1::text[], $2::int[]))",
        [session for session, _ in starts],
        [start for _, start in starts],
    )
    return {(r["session_id"], r["start_offset"]): r["end_offset"] for r in rows}


async def free_text_spans(conn: Queryable, session_id: str) -> dict[int, int]:
    """Every recorded span of a session, start offset -> end offset."""
    rows = await conn.fetch(
        "SELECT start_offset, end_offset FROM ussd_free_text WHERE session_id = $1", session_id
    )
    return {r["start_offset"]: r["end_offset"] for r in rows}


async def append_input(conn: Queryable, session_id: str, text: str, *, new: bool) -> str:
    """The session's '*'-joined path with this hop's input added (`new`: the dial, which starts
    the path afresh with what was dialled, usually nothing)."""
    path: str = await conn.fetchval(
        "INSERT INTO ussd_inputs AS i (session_id, path, inputs)"
        " VALUES ($1, $2, CASE WHEN $3 AND $2 = '' THEN 0 ELSE 1 END)"
        " ON CONFLICT (session_id) DO UPDATE SET"
        " path = CASE WHEN $3 OR i.inputs = 0 THEN $2 ELSE i.path || '*' || $2 END,"
        " inputs = CASE WHEN $3 AND $2 = '' THEN 0 WHEN $3 THEN 1 ELSE i.inputs + 1 END,"
        " updated_at = now()"
        " RETURNING path",
        session_id,
        text,
        new,
    )
    return path


async def stored_path(conn: Queryable, session_id: str) -> str | None:
    """The path kept for a latest-input session; None if the core kept none."""
    path: str | None = await conn.fetchval(
        "SELECT path FROM ussd_inputs WHERE session_id = $1", session_id
    )
    return path


async def purge_free_text(conn: Queryable, older_than_hours: int) -> int:
    """Delete spans and input paths of sessions long over; returns how many rows went."""
    removed = 0
    for table, column in (("ussd_free_text", "created_at"), ("ussd_inputs", "updated_at")):
        result: str = await conn.execute(
            f"DELETE FROM {table} WHERE {column} < now() - make_interval(hours => $1)",
            older_than_hours,
        )
        removed += int(result.split()[-1])
    return removed
