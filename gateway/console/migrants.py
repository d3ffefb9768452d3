"""
The prospective migrants page (/console/migrants, issue 16 item 2): the records of the account's
area (a desa account its desa, a kecamatan account its kecamatan, a regency account such as
Disnakertrans every desa), the per-desa counts, and the audit of the area's records.

Only investigators and admins open it (the same roles as tips). Each record shown is a read,
written to migrant_audit under the account's name; the counts carry no names. A record's
departure or return day is set here as officials set it by SMS (BERANGKAT / PULANG), audited.
"""

from __future__ import annotations

from datetime import date, datetime

from aiohttp import web

from gateway import keys
from gateway.console.auth import ROLES_TIPS, SESSION_KEY, require, session_area
from gateway.console.render import WIB, render
from storage.areas import Area, desa_by_code
from storage.migrants import (
    area_audit,
    audit,
    desa_figures,
    migrant_in_area,
    migrants_in_area,
    set_day,
)


def desa_of(area: Area) -> str | None:
    """The desa code of a desa account, else None."""
    return area.code if area.desa_name is not None else None


@require(ROLES_TIPS)
async def migrants_page(request: web.Request) -> web.Response:
    """GET /console/migrants."""
    area = session_area(request)
    reader = f"console:{request[SESSION_KEY].user.name}"
    desa = desa_of(area)
    async with request.app[keys.POOL].acquire() as conn, conn.transaction():
        records = await migrants_in_area(conn, area.kecamatan_code, desa)
        for record in records:
            await audit(conn, record.id, reader, "read")
        figures = [
            f
            for f in await desa_figures(conn, area.kecamatan_code)
            if desa is None or f.desa_code == desa
        ]
        lines = await area_audit(conn, area.kecamatan_code, desa)
    names = {code: d.name for code, d in desa_by_code().items()}
    return render(
        request,
        "migrants.html",
        area=area.code,
        records=records,
        figures=figures,
        audit=lines,
        desa_names=names,
        saved=request.query.get("saved", ""),
    )


def _travel_day(form: dict[str, str], today: date) -> tuple[str, date] | None:
    """The form's (which, day): departed or returned, a day not in the future."""
    which = form.get("which", "")
    try:
        day = date.fromisoformat(form.get("day", ""))
    except ValueError:
        return None
    if which not in ("departed", "returned") or day > today:
        return None
    return which, day


@require(ROLES_TIPS)
async def set_travel(request: web.Request) -> web.StreamResponse:
    """POST /console/migrants/{id}/travel: the departure or return day of a record of the
    account's area (any other is not found)."""
    area = session_area(request)
    form = {k: str(v) for k, v in (await request.post()).items()}
    picked = _travel_day(form, datetime.now(WIB).date())
    async with request.app[keys.POOL].acquire() as conn, conn.transaction():
        record = await migrant_in_area(
            conn, int(request.match_info["id"]), area.kecamatan_code, desa_of(area)
        )
        if record is None:
            return render(request, "not_found.html", status=404)
        if picked is None:
            raise web.HTTPSeeOther("/console/migrants?saved=invalid")
        actor = f"console:{request[SESSION_KEY].user.name}"
        await set_day(conn, record.id, picked[0], picked[1], actor)
    raise web.HTTPSeeOther("/console/migrants?saved=yes")


def setup_migrants(app: web.Application) -> None:
    """Register the prospective migrants page."""
    app.router.add_get("/console/migrants", migrants_page)
    app.router.add_post(r"/console/migrants/{id:\d{1,18}}/travel", set_travel)
