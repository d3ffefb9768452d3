"""
Report drafts: a report in progress, under the reporter's key, so a dropped session resumes.

A draft expires after a few minutes. When its tip is filed (storage.tips.file_tip, in the tip's
transaction) its progress is dropped, so nothing is offered to resume; what the filing session
resumed from (base_state) stays until the draft expires, so that session's later hops (the receipt
screen, the receipt SMS) replay the same steps.
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


@dataclass(frozen=True, slots=True)
class ReporterState:
    """What starting a report depends on, as stored, read in one round trip (the gateway turns
    it into the menus' ReportContext)."""

    draft: Draft | None
    filed_receipt: str | None
    recent_tips: int


async def reporter_state(
    conn: Queryable,
    reporter_key: bytes,
    source_ref: str,
    draft_minutes: int,
) -> ReporterState:
    """The reporter's fresh draft, the tip this session already filed, and their tips this hour
    (not counting this session's own)."""
    row = await conn.fetchrow(
        "SELECT d.session_id, d.base_state, d.state,"
        " (SELECT receipt FROM tips WHERE source_ref = $2) AS filed,"
        " (SELECT count(*) FROM tips WHERE reporter_key = $1 AND source_ref <> $2"
        "  AND created_at > now() - interval '1 hour') AS recent"
        " FROM (SELECT 1) AS one LEFT JOIN report_drafts d ON d.reporter_key = $1"
        " AND d.updated_at > now() - make_interval(mins => $3)",
        reporter_key,
        source_ref,
        draft_minutes,
    )
    assert row is not None  # the outer SELECT always yields one row
    draft = None
    if row["session_id"] is not None:
        base = json.loads(row["base_state"]) if row["base_state"] is not None else None
        draft = Draft(row["session_id"], base, json.loads(row["state"]))
    return ReporterState(draft, row["filed"], row["recent"])
