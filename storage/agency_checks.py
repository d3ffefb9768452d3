"""
Agency checks residents made over USSD, kept for the console's "most-asked names not found" chart.

Only the typed name (normalised) and whether the registry knew it are stored: never a phone
number, a session or a place.
"""

from __future__ import annotations

from collections.abc import Sequence

from storage.db import Queryable

MAX_QUERY = 200


async def record_agency_checks(
    conn: Queryable, checks: Sequence[tuple[str, str, bool]]
) -> list[None]:
    """Remember checks (query key, query, found), several residents' in one statement (a group
    commit, gateway.group_commit)."""
    await conn.execute(
        "INSERT INTO agency_checks (query_key, query, found)"
        " SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[])",
        [key[:MAX_QUERY] for key, _, _ in checks],
        [query[:MAX_QUERY] for _, query, _ in checks],
        [found for _, _, found in checks],
    )
    return [None] * len(checks)
