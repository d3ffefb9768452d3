"""
The accounts page, for admins only: every console account with its role, area and state, forms
to add one, disable or enable it, reset its password, change its role or area, and the latest
audited changes (who changed which account, what, when).

A new account's password and a reset password are random, shown once on the page the POST
redirects to (a one-time note of gateway.console.flash: never stored in clear, never in a URL,
never cached); the admin passes it on. Every
POST carries the session's CSRF token (gateway.console.auth.require). storage.accounts refuses
to disable or demote the last active admin, and the page says so.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web

from gateway import keys
from gateway.console import flash
from gateway.console.auth import ROLES_ADMIN, SESSION_KEY, hash_password, new_password, require
from gateway.console.render import render
from storage.accounts import (
    AccountRefused,
    account_changes,
    create_account,
    reset_password,
    set_active,
    set_area,
    set_role,
)
from storage.areas import InvalidArea, checked_area
from storage.db import Conn
from storage.regions import load_kecamatan
from storage.users import ROLES, UserExists, list_users

log = structlog.get_logger()
Change = Callable[[Conn, str], Awaitable[None]]  # (connection, who changes) -> done
CHANGES_SHOWN = 100
# Why a change was refused: the page's message and the HTTP status.
_REFUSED: dict[type[Exception], tuple[str, int]] = {
    UserExists: ("account_exists", 409),
    InvalidArea: ("account_bad_area", 400),
    AccountRefused: ("account_refused", 409),
}


async def _page(request: web.Request, *, status: int = 200, **values: str) -> web.Response:
    pool = request.app[keys.POOL]
    response = render(
        request,
        "accounts.html",
        status=status,
        accounts=await list_users(pool),
        changes=await account_changes(pool, CHANGES_SHOWN),
        roles=ROLES,
        kecamatan=await load_kecamatan(pool),
        problem=values.pop("problem", ""),
        detail=values.pop("detail", ""),
        password_for=values.pop("password_for", ""),
        password=values.pop("password", ""),
        done=values.pop("done", ""),
    )
    response.headers["Cache-Control"] = "no-store"  # a one-time password must not linger
    return response


@require(ROLES_ADMIN)
async def accounts_page(request: web.Request) -> web.Response:
    """GET /console/accounts (after a change: what was done, from the POST's note)."""
    note = flash.take(request)
    return await _page(
        request,
        done=str(note.get("done", "")),
        password_for=str(note.get("password_for", "")),
        password=str(note.get("password", "")),
    )


async def _change(
    request: web.Request, action: str, work: Change, password_for: str = "", password: str = ""
) -> web.StreamResponse:
    """Run one audited change; then back to the page (303), which says what happened (and
    shows a new password, once); or the page again with why not."""
    actor = request[SESSION_KEY].user.name
    try:
        async with request.app[keys.POOL].acquire() as conn:
            await work(conn, actor)
    except (UserExists, InvalidArea, AccountRefused) as error:
        key, status = next(v for k, v in _REFUSED.items() if isinstance(error, k))
        log.warning("console.account_change_refused", user=actor, action=action)
        return await _page(request, status=status, problem=key, detail=str(error))
    log.info("console.account_changed", user=actor, action=action)
    note = flash.put(request, done=action, password_for=password_for, password=password)
    raise web.HTTPSeeOther(f"/console/accounts?note={note}")


@require(ROLES_ADMIN)
async def add_account(request: web.Request) -> web.StreamResponse:
    """POST /console/accounts: a new account with a random password, shown once."""
    form = await request.post()
    name = str(form.get("name", "")).strip().lower()[:40]
    role = str(form.get("role", ""))
    password = new_password()
    password_hash = hash_password(password)

    async def work(conn: Conn, actor: str) -> None:
        area = await checked_area(conn, str(form.get("area", "*"))[:20])
        await create_account(conn, name, role, password_hash, area.code, actor)

    return await _change(request, "add", work, password_for=name, password=password)


def _name(request: web.Request) -> str:
    return request.match_info["name"]


@require(ROLES_ADMIN)
async def disable(request: web.Request) -> web.StreamResponse:
    """POST /console/accounts/{name}/disable: the account can no longer log in."""
    name = _name(request)
    return await _change(request, "disable", lambda c, a: set_active(c, name, False, a))


@require(ROLES_ADMIN)
async def enable(request: web.Request) -> web.StreamResponse:
    """POST /console/accounts/{name}/enable."""
    name = _name(request)
    return await _change(request, "enable", lambda c, a: set_active(c, name, True, a))


@require(ROLES_ADMIN)
async def reset(request: web.Request) -> web.StreamResponse:
    """POST /console/accounts/{name}/reset-password: a new random password, shown once."""
    name = _name(request)
    password = new_password()
    password_hash = hash_password(password)
    return await _change(
        request,
        "reset_password",
        lambda c, a: reset_password(c, name, password_hash, a),
        password_for=name,
        password=password,
    )


@require(ROLES_ADMIN)
async def change_role(request: web.Request) -> web.StreamResponse:
    """POST /console/accounts/{name}/role."""
    name = _name(request)
    role = str((await request.post()).get("role", ""))
    return await _change(request, "set_role", lambda c, a: set_role(c, name, role, a))


@require(ROLES_ADMIN)
async def change_area(request: web.Request) -> web.StreamResponse:
    """POST /console/accounts/{name}/area."""
    name = _name(request)
    typed = str((await request.post()).get("area", ""))[:20]

    async def work(conn: Conn, actor: str) -> None:
        area = await checked_area(conn, typed)
        await set_area(conn, name, area.code, actor)

    return await _change(request, "set_area", work)


def setup_accounts(app: web.Application) -> None:
    """Register the accounts page."""
    app.router.add_get("/console/accounts", accounts_page)
    app.router.add_post("/console/accounts", add_account)
    one = r"/console/accounts/{name:[a-z0-9._-]{1,40}}"
    app.router.add_post(one + "/disable", disable)
    app.router.add_post(one + "/enable", enable)
    app.router.add_post(one + "/reset-password", reset)
    app.router.add_post(one + "/role", change_role)
    app.router.add_post(one + "/area", change_area)
