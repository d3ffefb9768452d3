"""
Console authentication: argon2 passwords, session cookies, CSRF tokens, roles, login throttling.

Session cookies are HttpOnly and SameSite=Strict, and Secure unless the demo (or
HOTLINE_COOKIE_SECURE=off) says otherwise; only a hash of the token is stored. A session ends
after SESSION_HOURS or when left idle (HOTLINE_SESSION_IDLE_MINUTES), and logging in ends the
session the browser presented. Every POST must carry the session's CSRF token; the login form,
which has no session yet, carries a token signed with HOTLINE_SECRET and bound to a pre-session
cookie, so another site cannot log a browser into an account of its choosing.

Login throttling: each attempt is counted before its password is checked (storage.users), so
parallel guesses cannot slip past a limit. One address may try a name LOCK_AFTER times and any
names IP_LIMIT times per window; a name tried from anywhere is only slowed down, never locked, so
a stranger cannot lock its owner out. argon2 runs in worker threads, at most
HOTLINE_LOGIN_VERIFICATIONS at once with a short queue; beyond that the answer is "try again",
and the event loop (USSD hops) never waits for a password check.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Literal
from urllib.parse import quote

import structlog
from aiohttp import web
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gateway import keys
from gateway.forwarded import behind_tls, client_ip
from storage.areas import Area, area_of
from storage.users import (
    LoginAttempt,
    Session,
    count_login_attempt,
    create_session,
    end_session,
    login_succeeded,
    purge_sessions,
    refund_login_attempt,
    session_for,
    set_password_hash,
    user_by_name,
)

log = structlog.get_logger()
COOKIE = "hotline_session"
LOGIN_COOKIE = "hotline_login"  # the pre-session nonce the login form's token is bound to
LOGIN_COOKIE_MINUTES = 120
SESSION_HOURS = 12
THROTTLE_WINDOW_MIN = 15
LOCK_AFTER = 10  # attempts on one name from one address per window
IP_LIMIT = 30  # attempts on any names from one address per window
QUEUE_PER_SLOT = 4  # logins that may wait for each verification slot before "try again"
_NONCE = re.compile(r"[A-Za-z0-9_-]{32}")
SESSION_KEY = web.RequestKey("console_session", Session)
_hasher = PasswordHasher()
# A hash to verify against when the name is unknown, so timing does not reveal valid names.
_DUMMY = _hasher.hash(secrets.token_urlsafe(16))

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Refusal = Literal["wrong", "locked", "busy"]
ROLES_ALL = frozenset({"operator", "investigator", "admin"})
ROLES_TIPS = frozenset({"investigator", "admin"})
ROLES_ADMIN = frozenset({"admin"})


class LoginGate:
    """Password checks off the event loop: `running` argon2 verifications at once in threads,
    a bounded queue behind them, and None ("busy") rather than an ever longer wait."""

    def __init__(self, running: int, waiting: int) -> None:
        self._slots = asyncio.Semaphore(running)
        self._capacity = running + waiting
        self._pending = 0

    @property
    def saturated(self) -> bool:
        """Every slot is busy and the queue is full."""
        return self._pending >= self._capacity

    async def verify(self, password_hash: str, password: str) -> bool | None:
        """Whether the password matches; None when too many checks are under way."""
        if self.saturated:
            return None
        self._pending += 1
        try:
            async with self._slots:
                return await asyncio.to_thread(_matches, password_hash, password)
        finally:
            self._pending -= 1


LOGIN_GATE = web.AppKey("console_login_gate", LoginGate)


def setup_auth(app: web.Application) -> None:
    """The app's login gate, sized by HOTLINE_LOGIN_VERIFICATIONS."""
    running = app[keys.CONFIG].login_verifications
    app[LOGIN_GATE] = LoginGate(running, running * QUEUE_PER_SLOT)


def _matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def hash_password(password: str) -> str:
    """An argon2 hash."""
    return _hasher.hash(password)


def new_password() -> str:
    """A random password for a reset, shown once (about 96 bits)."""
    return secrets.token_urlsafe(12)


def login_delay(failures: int) -> float:
    """Seconds to wait before answering a login after this many recent attempts on the name."""
    return 0.0 if failures < 3 else min(0.25 * 2 ** (failures - 3), 4.0)


async def check_login(request: web.Request, name: str, password: str) -> Session | Refusal:
    """A new session, or why not: a wrong name or password, too many attempts, or busy."""
    pool = request.app[keys.POOL]
    gate = request.app[LOGIN_GATE]
    if gate.saturated:
        log.warning("console.login_busy", user=name[:40])
        return "busy"
    attempt = LoginAttempt(name, client_ip(request))
    counts = await count_login_attempt(pool, attempt, THROTTLE_WINDOW_MIN)
    if counts.pair > LOCK_AFTER or counts.ip > IP_LIMIT:
        log.warning("console.login_locked", user=name[:40], ip=attempt.ip, attempts=counts.pair)
        return "locked"
    await asyncio.sleep(login_delay(counts.name - 1))
    user = await user_by_name(pool, name)
    matches = await gate.verify(user.password_hash if user else _DUMMY, password)
    if matches is None:
        await refund_login_attempt(pool, attempt)
        log.warning("console.login_busy", user=name[:40])
        return "busy"
    if not matches or user is None:
        log.warning("console.login_failed", user=name[:40], ip=attempt.ip, attempts=counts.pair)
        return "wrong"
    if _hasher.check_needs_rehash(user.password_hash):
        await set_password_hash(pool, user.id, _hasher.hash(password))
    await login_succeeded(pool, attempt, THROTTLE_WINDOW_MIN)
    return Session(user, secrets.token_urlsafe(24), "id")


def login_token(request: web.Request) -> tuple[str, str]:
    """The login form's pre-session nonce (the browser's, if it has a valid one) and the token
    the form must send back: the nonce signed with HOTLINE_SECRET."""
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not _NONCE.fullmatch(nonce):
        nonce = secrets.token_urlsafe(24)
    return nonce, _sign(request, nonce)


def login_token_valid(request: web.Request, sent: str) -> bool:
    """The form's token matches the nonce in this browser's pre-session cookie."""
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    return bool(_NONCE.fullmatch(nonce)) and hmac.compare_digest(
        sent.encode(), _sign(request, nonce).encode()
    )


def set_login_cookie(request: web.Request, response: web.StreamResponse, nonce: str) -> None:
    """Give the browser the nonce its login form is bound to."""
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        httponly=True,
        samesite="Strict",
        secure=_secure(request),
        max_age=LOGIN_COOKIE_MINUTES * 60,
        path="/console",
    )


def _sign(request: web.Request, nonce: str) -> str:
    secret = request.app[keys.CONFIG].secret or ""
    key = hashlib.sha256(b"console-login-form:" + secret.encode()).digest()
    return hmac.new(key, nonce.encode(), hashlib.sha256).hexdigest()


async def open_session(
    request: web.Request, response: web.StreamResponse, session: Session
) -> None:
    """End the session the browser presented, if any, then store the new one and set its
    cookie: one browser, one session, and a login never inherits an earlier one."""
    pool = request.app[keys.POOL]
    presented = request.cookies.get(COOKIE)
    if presented:
        await end_session(pool, presented)
    await purge_sessions(pool, request.app[keys.CONFIG].session_idle_minutes)
    token = secrets.token_urlsafe(32)
    await create_session(
        pool, token, session.user.id, session.csrf_token, session.lang, SESSION_HOURS
    )
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=_secure(request),
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


def _secure(request: web.Request) -> bool:
    """Cookies carry Secure by setting (HOTLINE_COOKIE_SECURE, on outside the demo), or when
    the request came over TLS as far as we or a trusted proxy can tell."""
    return request.app[keys.CONFIG].secure_cookies or behind_tls(request)


async def current_session(request: web.Request) -> Session | None:
    """The request's session, if its cookie is valid and it has not gone idle."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    idle = request.app[keys.CONFIG].session_idle_minutes
    return await session_for(request.app[keys.POOL], token, idle)


def session_area(request: web.Request) -> Area:
    """The area the logged-in account may see (tips outside it are 404 everywhere)."""
    return area_of(request[SESSION_KEY].user.area)


def require(roles: frozenset[str]) -> Callable[[Handler], Handler]:
    """Only these roles may open the page; POSTs must carry the CSRF token."""

    def wrap(handler: Handler) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            session = await current_session(request)
            if session is None:
                raise web.HTTPSeeOther(f"/console/login?next={quote(request.path)}")
            if session.user.role not in roles:
                log.warning("console.forbidden", user=session.user.name, path=request.path)
                request[SESSION_KEY] = session  # the refusal page speaks the account's language
                raise web.HTTPForbidden(text="forbidden")
            if request.method == "POST":
                form = await request.post()
                sent = str(form.get("csrf", ""))
                if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
                    log.warning("console.csrf_refused", user=session.user.name, path=request.path)
                    request[SESSION_KEY] = session
                    raise web.HTTPForbidden(text="csrf")
            request[SESSION_KEY] = session
            return await handler(request)

        return guarded

    return wrap
