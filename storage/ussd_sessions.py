"""
Where free-text USSD inputs end inside Africa's Talking's '*'-joined path.

AT resends the whole path on every hop and does not escape '*', so a resident who types '*' in
free text makes the path ambiguous. Only free-text hops are written here; structured hops replay
from the path alone. Rows live minutes and are purged after a day.
"""

from __future__ import annotations

from storage.db import Queryable


async def record_free_text(conn: Queryable, session_id: str, start: int, end: int) -> int:
    """Record a free-text span; returns the end already stored if one existed for that start."""
    stored: int | None = await conn.fetchval(
        "WITH ins AS ("
        " INSERT INTO ussd_free_text (session_id, start_offset, end_offset) VALUES ($1, $2, $3)"
        " ON CONFLICT (session_id, start_offset) DO NOTHING RETURNING end_offset)"
        " SELECT end_offset FROM ins"
        " UNION ALL SELECT end_offset FROM ussd_free_text"
        " WHERE session_id = $1 AND start_offset = $2 LIMIT 1",
        session_id,
        start,
        end,
    )
    return end if stored is None else stored


async def free_text_spans(conn: Queryable, session_id: str) -> dict[int, int]:
    """Every recorded span of a session, start offset -> end offset."""
    rows = await conn.fetch(
        "SELECT start_offset, end_offset FROM ussd_free_text WHERE session_id = $1", session_id
    )
    return {r["start_offset"]: r["end_offset"] for r in rows}


async def purge_free_text(conn: Queryable, older_than_hours: int) -> int:
    """Delete spans of sessions long over; returns how many rows went."""
    result: str = await conn.execute(
        "DELETE FROM ussd_free_text WHERE created_at < now() - make_interval(hours => $1)",
        older_than_hours,
    )
    return int(result.split()[-1])
