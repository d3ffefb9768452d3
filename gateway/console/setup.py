"""
Wiring the console into the app: every console page module registers its routes here.
"""

from __future__ import annotations

from aiohttp import web

from gateway.console.accounts import setup_accounts
from gateway.console.audit import setup_audit
from gateway.console.auth import setup_auth
from gateway.console.broadcasts import setup_broadcasts
from gateway.console.case_export import setup_case_export
from gateway.console.cases import setup_cases
from gateway.console.charts import setup_charts
from gateway.console.checks import setup_checks
from gateway.console.conflicts import setup_conflicts
from gateway.console.coordination import setup_coordination
from gateway.console.delivery import setup_delivery
from gateway.console.find import setup_find
from gateway.console.flash import setup_flash
from gateway.console.migrants import setup_migrants
from gateway.console.pages import setup_pages
from gateway.console.rekap import setup_rekap
from gateway.console.tips import setup_tips
from gateway.console.uploads import setup_uploads


def setup_console(app: web.Application) -> None:
    """Register every console route (gateway.middleware runs gateway.console.guard on each)."""
    setup_auth(app)
    setup_flash(app)
    setup_pages(app)
    setup_delivery(app)
    setup_tips(app)
    setup_find(app)
    setup_conflicts(app)
    setup_cases(app)
    setup_uploads(app)
    setup_charts(app)
    setup_rekap(app)
    setup_checks(app)
    setup_migrants(app)
    setup_coordination(app)
    setup_case_export(app)
    setup_broadcasts(app)
    setup_accounts(app)
    setup_audit(app)
