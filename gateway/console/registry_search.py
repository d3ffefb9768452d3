"""
Searching the registry page: by words of an agency's name or its licence number, and by the
licence's state today (an `aktif` row past its end date counts as expired, as residents are
told). The registry is a few hundred rows: it is filtered in memory after one read.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from aiohttp import web

from gateway.console.params import query_choice, query_text
from storage.registry import STATUSES, Agency


def matches(agency: Agency, words: str) -> bool:
    """Every word appears in the name or the licence number (case and spacing ignored)."""
    haystack = f"{agency.name} {agency.licence_number}".casefold()
    return all(word in haystack for word in words.casefold().split())


def registry_search(
    request: web.Request, agencies: Sequence[Agency], today: date
) -> dict[str, Any]:
    """The registry template's search values: the agencies shown and what was asked."""
    words = query_text(request, "q")
    status = query_choice(request, "status", STATUSES)
    shown = [
        a
        for a in agencies
        if (words is None or matches(a, words))
        and (status is None or a.effective_status(today) == status)
    ]
    return {
        "agencies": shown,
        "total": len(agencies),
        "wanted_q": words or "",
        "wanted_status": status or "",
        "registry_statuses": STATUSES,
    }
