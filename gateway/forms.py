"""
Reading Africa's Talking's urlencoded callbacks without ever failing on what arrives.

Bodies over the configured limit get 413 (aiohttp's client_max_size); anything else parses: bytes
that are not UTF-8 are replaced, not fatal, and absurd field counts are cut off. NUL characters
are dropped: PostgreSQL cannot store U+0000, and GSM-7 `@` arrives as 0x00 from aggregators that
pass bytes through, so a NUL would otherwise fail the callback on every provider retry.
"""

from __future__ import annotations

from aiohttp import web
from yarl import query_to_pairs

MAX_FIELDS = 64


async def read_form(request: web.Request) -> dict[str, str]:
    """The form fields of a callback; the first value wins when a field repeats."""
    body = await request.read()
    text = body.decode("utf-8", errors="replace")
    form: dict[str, str] = {}
    # yarl's parser (aiohttp's own, in C) replaces undecodable escapes instead of failing.
    for key, value in query_to_pairs(text)[:MAX_FIELDS]:
        form.setdefault(key.replace("\x00", ""), value.replace("\x00", ""))
    return form
