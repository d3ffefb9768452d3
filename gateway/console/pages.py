"""
Console entry pages: login, logout, language, the home page with its links, and the stylesheet.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from importlib import resources

import structlog
from aiohttp import web

from gateway import keys
from gateway.console.auth import (
    ROLES_ALL,
    SESSION_KEY,
    check_login,
    close_session,
    login_token,
    login_token_valid,
    open_session,
    require,
    set_login_cookie,
)
from gateway.console.render import WIB, render
from gateway.forwarded import behind_tls
from storage.db import Queryable
from storage.job_orders import job_orders_date
from storage.registry import registry_date
from storage.users import set_session_lang
from ussd_menus import destinations

log = structlog.get_logger()
STYLESHEET = (resources.files("gateway.console") / "static" / "console.css").read_text("utf-8")
# A refused login: the page's message, and the HTTP status.
REFUSED = {
    "wrong": ("login_failed", 401),
    "locked": ("login_slowed", 401),
    "busy": ("login_busy", 503),
    "csrf": ("csrf", 403),
}


async def login_form(request: web.Request) -> web.Response:
    """GET /console/login."""
    return _login_page(request, "", _safe_next(request.query.get("next")))


def _login_page(request: web.Request, problem: str, target: str, status: int = 200) -> web.Response:
    """The login form, bound to this browser's pre-session cookie."""
    if request.app[keys.CONFIG].secure_cookies and not behind_tls(request):
        # Browsers drop Secure cookies sent over plain HTTP: the form would never log in.
        log.warning("console.cookies_need_tls", fix="serve over TLS or HOTLINE_COOKIE_SECURE=off")
    nonce, token = login_token(request)
    response = render(
        request, "login.html", status=status, problem=problem, next=target, login_csrf=token
    )
    set_login_cookie(request, response, nonce)
    if status == 503:
        response.headers["Retry-After"] = "2"
    return response


async def login(request: web.Request) -> web.StreamResponse:
    """POST /console/login: check the form's token and the password (throttled), open a
    session."""
    form = await request.post()
    target = _safe_next(str(form.get("next", "")))
    if not login_token_valid(request, str(form.get("login_csrf", ""))):
        log.warning("console.login_csrf_refused")
        problem, status = REFUSED["csrf"]
        return _login_page(request, problem, target, status)
    name = str(form.get("name", "")).strip().lower()[:40]
    outcome = await check_login(request, name, str(form.get("password", "")))
    if isinstance(outcome, str):
        problem, status = REFUSED[outcome]
        return _login_page(request, problem, target, status)
    response = see_other(target)
    await open_session(request, response, outcome)
    return response


def see_other(target: str) -> web.Response:
    """A 303 redirect that can carry cookies (a returned HTTPException is deprecated)."""
    return web.Response(status=303, headers={"Location": target})


def _safe_next(target: str | None) -> str:
    """Only paths inside the console, in printable ASCII: no open redirect, and no control
    character that would break the redirect's header after the session is made."""
    if (
        target
        and target.startswith("/console")
        and "//" not in target
        and "\\" not in target
        and target.isascii()
        and target.isprintable()
    ):
        return target
    return "/console"


async def stylesheet(request: web.Request) -> web.Response:
    """GET /console/static/console.css: the console's only stylesheet (its CSP allows no
    inline style)."""
    return web.Response(
        text=STYLESHEET, content_type="text/css", headers={"Cache-Control": "max-age=3600"}
    )


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
    days = request.app[keys.CONFIG].data_stale_days
    stale = await stale_data(request.app[keys.POOL], datetime.now(WIB).date(), days)
    return render(request, "home.html", role=session.user.role, stale=stale, stale_days=days)


async def stale_data(conn: Queryable, today: date, days: int) -> list[tuple[str, date | None]]:
    """The data answers are built from that is older than `days` (or never imported): the
    registry snapshot, the job orders, the bans (bans.toml's newest check date: when someone
    last went over the file), each with its date, for the home page's warning
    (HOTLINE_DATA_STALE_DAYS)."""
    bans = [b.verified_on for b in destinations.active().bans]
    dated = (
        ("stale_registry", await registry_date(conn)),
        ("stale_job_orders", await job_orders_date(conn)),
        ("stale_bans", max(bans) if bans else None),
    )
    limit = today - timedelta(days=days)
    return [(key, day) for key, day in dated if day is None or day < limit]


def setup_pages(app: web.Application) -> None:
    """Register the entry pages."""
    app.router.add_get("/console", home)
    app.router.add_get("/console/login", login_form)
    app.router.add_post("/console/login", login)
    app.router.add_post("/console/logout", logout)
    app.router.add_post("/console/lang", language)
    app.router.add_get("/console/static/console.css", stylesheet)
