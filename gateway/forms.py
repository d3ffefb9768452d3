"""
Reading Africa's Talking's urlencoded callbacks without ever failing on what arrives.

Bodies over the configured limit get 413 (aiohttp's client_max_size); anything else parses: bytes
that are not UTF-8 are replaced, not fatal, and absurd field counts are cut off. Control characters
are removed here, at the boundary: PostgreSQL cannot store U+0000 at all (GSM-7 '@' is 0x00, so an
aggregator passing bytes through raw sends it in ordinary text), and the others only garble
screens and SMS. Newlines stay; tabs become spaces.
"""

from __future__ import annotations

import re

from aiohttp import web
from yarl import query_to_pairs

MAX_FIELDS = 64
# C0 controls except newline (tab is mapped to a space first), and DEL.
_CONTROLS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
_LINE_BREAKS = re.compile(r"\r\n?")


def clean_text(value: str) -> str:
    """A field's value without control characters: CR/CRLF become newlines, tabs spaces."""
    if value.isprintable():  # nearly every field: nothing to clean (each hop has five)
        return value
    value = _LINE_BREAKS.sub("\n", value).replace("\t", " ")
    return _CONTROLS.sub("", value)


async def read_form(request: web.Request) -> dict[str, str]:
    """The form fields of a callback; the first value wins when a field repeats."""
    body = await request.read()
    text = body.decode("utf-8", errors="replace")
    form: dict[str, str] = {}
    # yarl's parser (aiohttp's own, in C) replaces undecodable escapes instead of failing.
    for key, value in query_to_pairs(text)[:MAX_FIELDS]:
        form.setdefault(clean_text(key), clean_text(value))
    return form
