"""
Agency checks residents made over USSD, kept for the console's "most-asked names not found" chart.

Only the typed name (normalised) and whether the registry knew it are stored: never a phone
number, a session or a place.
"""

from __future__ import annotations

from storage.db import Queryable

MAX_QUERY = 200


async def record_agency_check(conn: Queryable, query_key: str, query: str, found: bool) -> None:
    """Remember one check."""
    await conn.execute(
        "INSERT INTO agency_checks (query_key, query, found) VALUES ($1, $2, $3)",
        query_key[:MAX_QUERY],
        query[:MAX_QUERY],
        found,
    )
