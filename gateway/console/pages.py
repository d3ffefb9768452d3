"""
Console entry pages: login, logout, language, the home page with its links, and the stylesheet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources

import structlog
from aiohttp import web

from gateway import keys
from gateway.console.auth import (
    ROLES_ALL,
    ROLES_TIPS,
    SESSION_KEY,
    check_login,
    close_session,
    login_token,
    login_token_valid,
    open_session,
    require,
    session_area,
    set_login_cookie,
)
from gateway.console.render import WIB, render
from gateway.forwarded import behind_tls
from storage.areas import Area
from storage.db import Queryable
from storage.job_orders import job_orders_date
from storage.reads import DeliveryFilter, TipFilter, delivery_count, tip_count
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


@dataclass(frozen=True, slots=True)
class Work:
    """One count of today's work on the home page and the filtered list that shows exactly
    those rows (the count and the list run the same filter)."""

    key: str
    count: int
    link: str


async def todays_work(conn: Queryable, role: str, area: Area, today: date) -> list[Work]:
    """What waits for this role in this area: cases filed today (WIB) and overdue cases (roles
    that may read tips only: for others even a count of cases is not theirs), alerts officials
    have not yet acknowledged (in time and overdue), failed and dead SMS."""
    work: list[Work] = []
    if role in ROLES_TIPS:
        day = today.isoformat()
        for key, wanted, query in (
            (
                "work_new_cases",
                TipFilter(since=today, until=today, area=area),
                f"from={day}&to={day}",
            ),
            ("work_overdue_cases", TipFilter(overdue=True, area=area), "overdue=1"),
        ):
            work.append(Work(key, await tip_count(conn, wanted), f"/console/tips?{query}"))
    for key, sms, query in (
        ("work_alerts_waiting", DeliveryFilter(alerts="waiting", area=area), "alerts=waiting"),
        ("work_alerts_overdue", DeliveryFilter(alerts="overdue", area=area), "alerts=overdue"),
        ("work_sms_failed", DeliveryFilter(status="failed", area=area), "status=failed"),
        ("work_sms_dead", DeliveryFilter(status="dead", area=area), "status=dead"),
    ):
        work.append(Work(key, await delivery_count(conn, sms), f"/console/delivery?{query}"))
    return work


@require(ROLES_ALL)
async def home(request: web.Request) -> web.Response:
    """GET /console: today's work for the account's role and area, each count a link to the
    list that shows it; the registry's data date and age; a warning when data is stale."""
    session = request[SESSION_KEY]
    pool = request.app[keys.POOL]
    days = request.app[keys.CONFIG].data_stale_days
    today = datetime.now(WIB).date()
    stale = await stale_data(pool, today, days)
    registry_day = await registry_date(pool)
    return render(
        request,
        "home.html",
        role=session.user.role,
        area_code=session.user.area,
        work=await todays_work(pool, session.user.role, session_area(request), today),
        registry_day=registry_day,
        registry_age=(today - registry_day).days if registry_day else None,
        stale=stale,
        stale_days=days,
    )


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
