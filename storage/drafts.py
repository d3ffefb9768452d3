"""
Report drafts: a report in progress, under the reporter's key, so a dropped session resumes.

A draft expires after a few minutes and is deleted when its tip is filed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from storage.db import Queryable


@dataclass(frozen=True, slots=True)
class Draft:
    """The stored draft: who wrote it last, what that session resumed from, and where it is."""

    session_id: str
    base_state: Any
    state: Any


async def load_draft(conn: Queryable, reporter_key: bytes, max_age_minutes: int) -> Draft | None:
    """The reporter's draft if it is fresh enough."""
    row = await conn.fetchrow(
        "SELECT session_id, base_state, state FROM report_drafts WHERE reporter_key = $1"
        " AND updated_at > now() - make_interval(mins => $2)",
        reporter_key,
        max_age_minutes,
    )
    if row is None:
        return None
    base = json.loads(row["base_state"]) if row["base_state"] is not None else None
    return Draft(row["session_id"], base, json.loads(row["state"]))


async def save_draft(
    conn: Queryable,
    reporter_key: bytes,
    session_id: str,
    base_state: Any,
    state: Any,
) -> None:
    """Keep the reporter's progress."""
    await conn.execute(
        "INSERT INTO report_drafts (reporter_key, session_id, base_state, state)"
        " VALUES ($1, $2, $3::jsonb, $4::jsonb)"
        " ON CONFLICT (reporter_key) DO UPDATE SET session_id = excluded.session_id,"
        " base_state = excluded.base_state, state = excluded.state, updated_at = now()",
        reporter_key,
        session_id,
        None if base_state is None else json.dumps(base_state),
        json.dumps(state),
    )


async def delete_draft(conn: Queryable, reporter_key: bytes) -> None:
    """Forget the reporter's draft (start over)."""
    await conn.execute("DELETE FROM report_drafts WHERE reporter_key = $1", reporter_key)
