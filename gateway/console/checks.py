"""
The checks-before-signing page (/console/checks): how many checks village officials asked for
(CEKIZIN) per kecamatan and desa inside the account's area, and, for Disnakertrans' roles
(investigators and admins), the list of checks with the agency asked, the answer and its reasons.
Counts carry no agency or official, so every role may see them; the list names officials and
agencies, so only the roles that read cases do.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp import web

from gateway import keys
from gateway.console.auth import ROLES_ALL, ROLES_TIPS, SESSION_KEY, require, session_area
from gateway.console.render import WIB, render
from storage.areas import desa_by_code
from storage.signing_checks import counts_by_area, list_checks
from ussd_menus import destinations

DAYS = 90  # the counts' window
LISTED = 200  # checks on the list, newest first


@require(ROLES_ALL)
async def checks_page(request: web.Request) -> web.Response:
    """GET /console/checks."""
    area = session_area(request)
    pool = request.app[keys.POOL]
    since = datetime.now(WIB) - timedelta(days=DAYS)
    counts = await counts_by_area(pool, area, since)
    role = request[SESSION_KEY].user.role
    checks = await list_checks(pool, area, LISTED) if role in ROLES_TIPS else None
    desa = desa_by_code()
    table = destinations.active()
    return render(
        request,
        "checks.html",
        area=area.code,
        counts=counts,
        checks=checks,
        desa_name=lambda code: desa[code].name if code in desa else (code or "-"),
        country_name=lambda code: c.name("id") if (c := table.country_by_code(code)) else code,
        job_label=lambda key: j.label("id") if (j := table.job_by_key(key)) else key,
    )


def setup_checks(app: web.Application) -> None:
    """Register the checks page."""
    app.router.add_get("/console/checks", checks_page)
