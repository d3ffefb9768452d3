"""
The headers every browser-facing page carries (the console and the demo's phone simulator).

Pages here show tip text, a delivery log and, in the demo, the callbacks' token: no browser or
proxy may keep a copy (no-store), no other site may frame them, load them as another type, or
learn their URLs from a Referer, and a Content-Security-Policy allows only the page's own
stylesheet (or, for the simulator, its nonce-pinned script and style).
"""

from __future__ import annotations

from aiohttp import web

CONSOLE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self';"
    " frame-ancestors 'none'; base-uri 'none'"
)
BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def harden(response: web.StreamResponse, csp: str = CONSOLE_CSP) -> None:
    """Give a page the shared headers; what the page set itself already is kept."""
    if response.prepared:
        return  # a streamed answer has sent its headers
    response.headers.setdefault("Content-Security-Policy", csp)
    for name, value in BASE_HEADERS.items():
        response.headers.setdefault(name, value)
