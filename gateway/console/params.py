"""
Reading the console's GET filters: a value that does not parse is ignored (no filter), never an
error page, and the form shows back what was understood.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from aiohttp import web


def query_choice(request: web.Request, name: str, choices: Collection[str]) -> str | None:
    """One of the allowed values, or None."""
    value = request.query.get(name, "")
    return value if value in choices else None


def query_date(request: web.Request, name: str) -> date | None:
    """A YYYY-MM-DD date, or None."""
    try:
        return date.fromisoformat(request.query.get(name, ""))
    except ValueError:
        return None


def query_int(request: web.Request, name: str) -> int | None:
    """A positive integer, or None."""
    value = request.query.get(name, "")
    return int(value) if value.isdigit() and len(value) < 19 else None


def query_flag(request: web.Request, name: str) -> bool:
    """A checked checkbox."""
    return request.query.get(name, "") in ("1", "on", "true")


MAX_TEXT = 200


def query_text(request: web.Request, name: str) -> str | None:
    """Words to search for (trimmed, at most MAX_TEXT characters), or None."""
    value = request.query.get(name, "").strip()[:MAX_TEXT]
    return value or None
