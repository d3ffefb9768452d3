"""
Console authentication: argon2 passwords, session cookies, CSRF tokens, roles, login throttling.

Session cookies are HttpOnly and SameSite=Strict, Secure behind TLS; only a hash of the token is
stored. Every POST must carry the session's CSRF token. Repeated failed logins for a name are
slowed down (the answer waits longer with each failure) and then refused for a while.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gateway import keys
from storage.users import (
    Session,
    clear_login_failures,
    create_session,
    end_session,
    recent_login_failures,
    record_login_failure,
    session_for,
    set_password_hash,
    user_by_name,
)

log = structlog.get_logger()
COOKIE = "hotline_session"
SESSION_HOURS = 12
THROTTLE_WINDOW_MIN = 15
LOCK_AFTER = 10
SESSION_KEY = web.RequestKey("console_session", Session)
_hasher = PasswordHasher()
# A hash to verify against when the name is unknown, so timing does not reveal valid names.
_DUMMY = _hasher.hash(secrets.token_urlsafe(16))

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ROLES_ALL = frozenset({"operator", "investigator", "admin"})
ROLES_TIPS = frozenset({"investigator", "admin"})
ROLES_ADMIN = frozenset({"admin"})


def hash_password(password: str) -> str:
    """An argon2 hash."""
    return _hasher.hash(password)


def login_delay(failures: int) -> float:
    """Seconds to wait before answering a login after this many recent failures."""
    return 0.0 if failures < 3 else min(0.25 * 2 ** (failures - 3), 4.0)


async def check_login(request: web.Request, name: str, password: str) -> Session | str | None:
    """A new session, None for wrong credentials, or 'locked' when throttled."""
    pool = request.app[keys.POOL]
    failures = await recent_login_failures(pool, name, THROTTLE_WINDOW_MIN)
    await asyncio.sleep(login_delay(failures))
    if failures >= LOCK_AFTER:
        log.warning("console.login_locked", user=name[:40])
        return "locked"
    user = await user_by_name(pool, name)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY, password)
        ok = user is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None:
        await record_login_failure(pool, name)
        log.warning("console.login_failed", user=name[:40], recent_failures=failures + 1)
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        await set_password_hash(pool, user.id, _hasher.hash(password))
    await clear_login_failures(pool, name)
    return Session(user, secrets.token_urlsafe(24), "id")


async def open_session(
    request: web.Request, response: web.StreamResponse, session: Session
) -> None:
    """Store the session and set its cookie."""
    token = secrets.token_urlsafe(32)
    await create_session(
        request.app[keys.POOL],
        token,
        session.user.id,
        session.csrf_token,
        session.lang,
        SESSION_HOURS,
    )
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=_behind_tls(request),
        max_age=SESSION_HOURS * 3600,
        path="/",
    )
    log.info("console.logged_in", user=session.user.name, role=session.user.role)


async def close_session(request: web.Request, response: web.StreamResponse) -> None:
    """Forget the session."""
    token = request.cookies.get(COOKIE)
    if token:
        await end_session(request.app[keys.POOL], token)
    response.del_cookie(COOKIE, path="/")


def _behind_tls(request: web.Request) -> bool:
    return request.secure or request.headers.get("X-Forwarded-Proto", "") == "https"


async def current_session(request: web.Request) -> Session | None:
    """The request's session, if its cookie is valid."""
    token = request.cookies.get(COOKIE)
    return await session_for(request.app[keys.POOL], token) if token else None


def require(roles: frozenset[str]) -> Callable[[Handler], Handler]:
    """Only these roles may open the page; POSTs must carry the CSRF token."""

    def wrap(handler: Handler) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            session = await current_session(request)
            if session is None:
                raise web.HTTPSeeOther(f"/console/login?next={request.path}")
            if session.user.role not in roles:
                log.warning("console.forbidden", user=session.user.name, path=request.path)
                raise web.HTTPForbidden(text="forbidden\n")
            if request.method == "POST":
                form = await request.post()
                sent = str(form.get("csrf", ""))
                if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
                    log.warning("console.csrf_refused", user=session.user.name, path=request.path)
                    raise web.HTTPForbidden(text="CSRF token missing or wrong\n")
            request[SESSION_KEY] = session
            return await handler(request)

        return guarded

    return wrap
