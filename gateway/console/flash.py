"""
One-time notes from a form's POST to the page it redirects to (POST/redirect/GET, issue 17): a
refresh of that page never posts the form again.

A note (what was done, and for an account a new password shown once) is kept in the process's
memory, never in a URL or the database: the redirect's query carries only a random id, the note
is bound to the session that made it, read once, and forgotten after a few minutes.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from gateway.console.auth import COOKIE

TTL_SECONDS = 300
MOST_KEPT = 1000  # a bound on memory: the oldest notes go first


@dataclass(frozen=True, slots=True)
class Note:
    """What a POST left for the next page of the same session."""

    session: str
    made: float
    values: dict[str, Any]


FLASHES = web.AppKey("console_flashes", dict[str, Note])


def setup_flash(app: web.Application) -> None:
    """The app's (empty) store of notes."""
    app[FLASHES] = {}


def _store(app: web.Application) -> dict[str, Note]:
    return app[FLASHES]


def put(request: web.Request, **values: Any) -> str:
    """Keep a note for this session; its id goes into the redirect's query (`?note=`)."""
    store = _store(request.app)
    now = time.monotonic()
    for key in [k for k, n in store.items() if now - n.made > TTL_SECONDS]:
        del store[key]
    while len(store) >= MOST_KEPT:
        del store[next(iter(store))]
    note_id = secrets.token_urlsafe(12)
    store[note_id] = Note(request.cookies.get(COOKIE, ""), now, values)
    return note_id


def take(request: web.Request) -> dict[str, Any]:
    """The note named by the query's `note`, once, if this session made it; else nothing."""
    note_id = request.query.get("note", "")[:40]
    note = _store(request.app).pop(note_id, None) if note_id else None
    if note is None or time.monotonic() - note.made > TTL_SECONDS:
        return {}
    if not secrets.compare_digest(note.session, request.cookies.get(COOKIE, "")):
        return {}
    return note.values
