"""
The REKAP page (/console/rekap): the officials' weekly digest for the account's area, with a
week picker (WIB weeks, Monday to Sunday). Counts only, never a tip's text or receipt, so every
console role may open it; the figures are those of the SMS digest (storage/rekap.py), limited to
the account's area like every other page.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from aiohttp import web

from gateway import keys
from gateway.console.auth import ROLES_ALL, require, session_area
from gateway.console.render import WIB, render
from gateway.rekap import week_bounds
from storage.migrants import desa_figures
from storage.rekap import area_scope, rekap_figures

WEEKS = 12  # how far back the picker goes
NAMES = 10  # agency names listed on the page (the SMS lists 3)


def weeks(today: date) -> list[date]:
    """The Mondays of the last WEEKS weeks, this week first."""
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=n) for n in range(WEEKS)]


def _picked(text: str, choices: list[date]) -> date:
    """The week asked for if it is one of the picker's, else this week."""
    try:
        wanted = date.fromisoformat(text)
    except ValueError:
        return choices[0]
    return wanted if wanted in choices else choices[0]


@require(ROLES_ALL)
async def rekap_page(request: web.Request) -> web.Response:
    """GET /console/rekap[?week=YYYY-MM-DD]."""
    area = session_area(request)
    choices = weeks(datetime.now(WIB).date())
    week = _picked(request.query.get("week", ""), choices)
    since, until = week_bounds(week)
    pool = request.app[keys.POOL]
    figures = await rekap_figures(pool, area_scope(area), since, until, NAMES)
    # Prospective migrants recorded with consent (issue 16), counts only, within the area.
    migrants = [
        f
        for f in await desa_figures(pool, area.kecamatan_code)
        if area.desa_name is None or f.desa_code == area.code
    ]
    return render(
        request,
        "rekap.html",
        area=area.code,
        week=week,
        week_end=week + timedelta(days=6),
        weeks=choices,
        figures=figures,
        migrants=(
            sum(f.planned for f in migrants),
            sum(f.departed for f in migrants),
            sum(f.returned for f in migrants),
        ),
    )


def setup_rekap(app: web.Application) -> None:
    """Register the REKAP page."""
    app.router.add_get("/console/rekap", rekap_page)
