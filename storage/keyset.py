"""
Keyset pagination for the long lists (tips, delivery log, the API's lists): a page ends at a
row, and the next page starts strictly after that row's (moment, id) in the list's order.

No OFFSET: a deep page costs what the first page costs (an index range scan from the key), and a
row filed or changed while someone pages cannot shift the rows after it into a gap or a repeat.
The id breaks ties between rows with the same moment. A cursor travels in a URL as opaque,
URL-safe base64 of "<ISO moment>|<id>"; `decode_cursor` refuses anything else (None), so a
hand-edited cursor is a clear answer, never a database error.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

MAX_ID = 2**63 - 1  # bigint
_MAX_TEXT = 120  # an ISO moment with offset and a bigint, base64: well below

Row = TypeVar("Row")


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page ended: the last row's moment (its order's key) and id."""

    at: datetime
    id: int


@dataclass(frozen=True, slots=True)
class Page(Generic[Row]):
    """One page of a list and where the next one starts (None: this was the last page)."""

    rows: list[Row]
    next: Cursor | None


def encode_cursor(cursor: Cursor) -> str:
    """The cursor as an opaque URL-safe token."""
    raw = f"{cursor.at.isoformat()}|{cursor.id}".encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(text: str) -> Cursor | None:
    """The cursor a token stands for, or None when it is not one `encode_cursor` made."""
    if not text or len(text) > _MAX_TEXT or not text.isascii():
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
        moment, _, number = raw.partition("|")
        at = datetime.fromisoformat(moment)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if at.tzinfo is None or not (number.isdigit() and 0 < int(number) <= MAX_ID):
        return None
    return Cursor(at, int(number))


def paged(rows: list[Row], limit: int, key: Cursor | None) -> Page[Row]:
    """A page from `limit + 1` fetched rows: the extra row only says there is a next page,
    which starts after `key` (the last kept row's cursor)."""
    return Page(rows[:limit], key if len(rows) > limit else None)
