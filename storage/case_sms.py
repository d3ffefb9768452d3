"""
What officials' SMS about a case need to read: its thread and history for `INFO <receipt>`, who
an official is (name and office, as the others alerted for the case are told), the others still
alerted for it, and who asked a question (the reporter's answer goes back to them).

Nothing here reads or returns anything about the reporter: a case's rows hold nothing about them.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Queryable


@dataclass(frozen=True, slots=True)
class Colleague:
    """An official still alerted for a case, to be told what another did with it."""

    official_id: int
    is_sample: bool


async def case_thread(conn: Queryable, tip_id: int) -> list[tuple[str, str]]:
    """The officials' questions and the reporter's answers, oldest first, as (kind, body):
    only what the reporter could see (a question held for review or rejected is left out)."""
    rows = await conn.fetch(
        "SELECT kind, body FROM tip_messages WHERE tip_id = $1 AND kind IN ('question', 'answer')"
        " AND review IN ('none', 'released') AND body IS NOT NULL ORDER BY id",
        tip_id,
    )
    return [(r["kind"], r["body"]) for r in rows]


async def official_named(conn: Queryable, official_id: int) -> tuple[str, str]:
    """An official's name and office from the directory."""
    row = await conn.fetchrow("SELECT name, office FROM officials WHERE id = $1", official_id)
    return (row["name"], row["office"]) if row else ("", "")


async def colleagues(conn: Queryable, tip_id: int, official_id: int) -> list[Colleague]:
    """The other active officials still alerted for the case (not handed over, not named as
    involved in it), each once."""
    rows = await conn.fetch(
        "SELECT DISTINCT o.id, o.is_sample FROM alerts a JOIN officials o ON o.id = a.official_id"
        " WHERE a.tip_id = $1 AND a.handed_over_at IS NULL AND o.active AND o.id <> $2"
        " AND NOT EXISTS (SELECT 1 FROM case_involved_officials i"
        "  WHERE i.case_id = $1 AND i.official_id = o.id) ORDER BY o.id",
        tip_id,
        official_id,
    )
    return [Colleague(r["id"], r["is_sample"]) for r in rows]


async def question_asker(conn: Queryable, question_id: int) -> tuple[int, int, bool] | None:
    """(tip id, official id, is sample) of the official who asked this question by SMS, or None
    when a console account asked it (no official to text)."""
    row = await conn.fetchrow(
        "SELECT m.tip_id, o.id, o.is_sample FROM tip_messages m"
        " JOIN officials o ON o.id = m.official_id WHERE m.id = $1 AND m.kind = 'question'"
        " AND o.active",
        question_id,
    )
    return (row["tip_id"], row["id"], row["is_sample"]) if row else None
