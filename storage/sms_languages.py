"""
The language each resident chose for SMS replies, under their keyed hash (never a number).
"""

from __future__ import annotations

from storage.db import Queryable


async def chosen_language(conn: Queryable, sender_key: bytes) -> str | None:
    """The language code the sender chose, or None if they never chose one."""
    lang: str | None = await conn.fetchval(
        "SELECT lang FROM sms_languages WHERE sender_key = $1", sender_key
    )
    return lang


async def choose_language(conn: Queryable, sender_key: bytes, lang: str) -> None:
    """Remember the sender's language, replacing an earlier choice."""
    await conn.execute(
        "INSERT INTO sms_languages (sender_key, lang) VALUES ($1, $2)"
        " ON CONFLICT (sender_key) DO UPDATE SET lang = EXCLUDED.lang, chosen_at = now()",
        sender_key,
        lang,
    )
