"""
Wiring the console into the app: every console page module registers its routes here.
"""

from __future__ import annotations

from aiohttp import web

from gateway.console.pages import setup_pages


def setup_console(app: web.Application) -> None:
    """Register every console route."""
    setup_pages(app)
