"""
Console entry pages: login, logout, language and the home page with its links.
"""

from __future__ import annotations

from aiohttp import web

from gateway import keys
from gateway.console.auth import (
    ROLES_ALL,
    SESSION_KEY,
    check_login,
    close_session,
    open_session,
    require,
)
from gateway.console.render import render
from storage.users import set_session_lang


async def login_form(request: web.Request) -> web.Response:
    """GET /console/login."""
    return render(request, "login.html", problem="", next=_safe_next(request.query.get("next")))


async def login(request: web.Request) -> web.StreamResponse:
    """POST /console/login: check the password (throttled), open a session."""
    form = await request.post()
    name = str(form.get("name", "")).strip().lower()[:40]
    outcome = await check_login(request, name, str(form.get("password", "")))
    target = _safe_next(str(form.get("next", "")))
    if outcome is None or outcome == "locked":
        problem = "login_slowed" if outcome == "locked" else "login_failed"
        return render(request, "login.html", status=401, problem=problem, next=target)
    assert not isinstance(outcome, str)
    response = see_other(target)
    await open_session(request, response, outcome)
    return response


def see_other(target: str) -> web.Response:
    """A 303 redirect that can carry cookies (a returned HTTPException is deprecated)."""
    return web.Response(status=303, headers={"Location": target})


def _safe_next(target: str | None) -> str:
    """Only paths inside the console: no open redirect."""
    if target and target.startswith("/console") and "//" not in target:
        return target
    return "/console"


@require(ROLES_ALL)
async def logout(request: web.Request) -> web.StreamResponse:
    """POST /console/logout."""
    response = see_other("/console/login")
    await close_session(request, response)
    return response


@require(ROLES_ALL)
async def language(request: web.Request) -> web.StreamResponse:
    """POST /console/lang: switch the interface language."""
    form = await request.post()
    lang = "en" if form.get("lang") == "en" else "id"
    token = request.cookies.get("hotline_session", "")
    await set_session_lang(request.app[keys.POOL], token, lang)
    return see_other(_safe_next(str(form.get("next", ""))))


@require(ROLES_ALL)
async def home(request: web.Request) -> web.Response:
    """GET /console: where to go, by role."""
    session = request[SESSION_KEY]
    return render(request, "home.html", role=session.user.role)


def setup_pages(app: web.Application) -> None:
    """Register the entry pages."""
    app.router.add_get("/console", home)
    app.router.add_get("/console/login", login_form)
    app.router.add_post("/console/login", login)
    app.router.add_post("/console/logout", logout)
    app.router.add_post("/console/lang", language)
