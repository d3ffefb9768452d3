"""
Pending CSV uploads from the console (registry, job orders, officials): stored, previewed, then
applied or cancelled. A cancelled upload is deleted; an applied one keeps its content, who
uploaded it and applied_at: the version history of officials and job orders. Its mode says what the
admin said the file is: a full snapshot ("replace") or an update of some rows ("update").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Queryable

KINDS = ("registry", "officials", "job_orders")


@dataclass(frozen=True, slots=True)
class Upload:
    """A CSV file an admin uploaded."""

    id: int
    kind: str
    file_name: str
    content: str
    user_name: str
    created_at: datetime
    applied_at: datetime | None
    mode: str = "replace"


async def save_upload(
    conn: Queryable, kind: str, file_name: str, content: str, user_id: int, mode: str = "replace"
) -> int:
    """Store an upload for preview; its id."""
    upload_id: int = await conn.fetchval(
        "INSERT INTO uploads (kind, file_name, content, user_id, mode)"
        " VALUES ($1, $2, $3, $4, $5) RETURNING id",
        kind,
        file_name,
        content,
        user_id,
        mode,
    )
    return upload_id


async def upload_by_id(conn: Queryable, upload_id: int, kind: str) -> Upload | None:
    """An upload of this kind, applied or not."""
    row = await conn.fetchrow(
        "SELECT p.id, p.kind, p.file_name, p.content, u.name AS user_name, p.created_at,"
        " p.applied_at, p.mode FROM uploads p JOIN users u ON u.id = p.user_id"
        " WHERE p.id = $1 AND p.kind = $2",
        upload_id,
        kind,
    )
    return Upload(**dict(row)) if row else None


async def claim_upload(conn: Queryable, upload_id: int, kind: str) -> Upload | None:
    """Mark a pending upload applied (call in the transaction that applies it); None if it is
    unknown, cancelled or applied already."""
    row = await conn.fetchrow(
        "UPDATE uploads p SET applied_at = now() FROM users u"
        " WHERE p.id = $1 AND p.kind = $2 AND p.applied_at IS NULL AND u.id = p.user_id"
        " RETURNING p.id, p.kind, p.file_name, p.content, u.name AS user_name, p.created_at,"
        " p.applied_at, p.mode",
        upload_id,
        kind,
    )
    return Upload(**dict(row)) if row else None


async def cancel_upload(conn: Queryable, upload_id: int, kind: str) -> bool:
    """Forget a pending upload; False if it is unknown or applied already."""
    result: str = await conn.execute(
        "DELETE FROM uploads WHERE id = $1 AND kind = $2 AND applied_at IS NULL", upload_id, kind
    )
    return result.endswith(" 1")
