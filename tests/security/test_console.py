"""Attacks on the web console over real HTTP (issue 11, findings 5, 6, 9-13): receipts in
operators' pages, parallel and distributed password guessing, argon2 stalling USSD, login CSRF
and cross-site POSTs, missing page headers, forged forwarded headers, idle and inherited
sessions, and a `next` that breaks the redirect."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from argon2 import PasswordHasher

from gateway.app import create_app
from gateway.config import Config, ConfigError
from gateway.console.auth import IP_LIMIT, LOCK_AFTER
from gateway.page_security import CONSOLE_CSP
from storage.users import LoginAttempt, add_user, count_login_attempt
from tests.console_helpers import (
    PASSWORD,
    add_account,
    csrf_token,
    file_test_tip,
    load_sample_officials,
    login_form_token,
    post_login,
    sign_in,
    ussd_hop,
)
from ussd_menus.receipts import show_receipt

NGINX = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"
WRONG = "not the password"
LOCKED_TEXT = "Terlalu banyak percobaan gagal"
WRONG_TEXT = "Nama atau kata sandi salah."
PROXY = "127.0.0.1"  # the test client's address, trusted as a proxy where a test says so


@pytest.fixture
async def proxied(sample_db: str, config: Config, aiohttp_client: Any) -> TestClient:
    """The app behind a trusted proxy (the test client): X-Forwarded-For names the client."""
    settings = replace(config, trusted_proxies=(ip_network(PROXY),))
    client: TestClient = await aiohttp_client(create_app(settings, sample_db))
    return client


async def login_as(
    client: TestClient,
    name: str,
    password: str = PASSWORD,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> ClientResponse:
    """POST the login form with this client's form token; redirects are not followed."""
    form = {
        "name": name,
        "password": password,
        "next": "",
        "login_csrf": token if token is not None else await login_form_token(client),
    }
    return await client.post(
        "/console/login", data=form, headers=headers or {}, allow_redirects=False
    )


async def outcome(response: ClientResponse) -> str:
    """What a login answer means: in, wrong, locked or busy."""
    text = await response.text()
    if response.status == 303:
        return "in"
    if response.status == 401 and WRONG_TEXT in text:
        return "wrong"
    if response.status == 401 and LOCKED_TEXT in text:
        return "locked"
    if response.status == 503:
        return "busy"
    return f"unexpected {response.status}"


async def alert_of_tip(conn: asyncpg.Connection) -> tuple[int, str]:
    """A tip filed in Pontang with its alerts queued: one alert's outbox id, and the receipt."""
    await load_sample_officials(conn)
    receipt = await file_test_tip(conn, "ussd:ATUid_security", resident_sms=False)
    outbox_id = await conn.fetchval(
        "SELECT min(id) FROM outbox WHERE recipient_kind = 'official' AND tip_id IS NOT NULL"
    )
    return int(outbox_id), receipt


class TestReceiptsOnlyForTipRoles:
    """Finding 5: whoever knows a receipt can read the thread and answer as the reporter."""

    async def test_operator_sees_no_receipt_on_an_alert(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """An operator's page of an alert names neither form of the tip's receipt."""
        outbox_id, receipt = await alert_of_tip(conn)
        await sign_in(client, conn, "operator")
        text = await (await client.get(f"/console/delivery/{outbox_id}")).text()
        assert (False, False) == (receipt in text, show_receipt(receipt) in text)

    async def test_operator_sees_alert_about_a_tip(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Instead of the receipt, an operator reads that the message is an alert about a tip."""
        outbox_id, _ = await alert_of_tip(conn)
        await sign_in(client, conn, "operator")
        text = await (await client.get(f"/console/delivery/{outbox_id}")).text()
        assert "Peringatan tentang sebuah laporan" in text

    async def test_investigator_sees_the_receipt_linked(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """An investigator may read tips, so the alert's page links the tip by its receipt."""
        outbox_id, receipt = await alert_of_tip(conn)
        await sign_in(client, conn, "investigator")
        text = await (await client.get(f"/console/delivery/{outbox_id}")).text()
        assert f'href="/console/tips/{receipt}">{show_receipt(receipt)}</a>' in text

    @pytest.mark.parametrize("path", ["/console/delivery", "/console/delivery.csv"])
    async def test_log_and_export_carry_no_receipt(
        self, client: TestClient, conn: asyncpg.Connection, path: str
    ) -> None:
        """Neither the delivery log nor its CSV names a receipt, for any role."""
        _, receipt = await alert_of_tip(conn)
        await sign_in(client, conn, "admin")
        text = await (await client.get(path)).text()
        assert (False, False) == (receipt in text, show_receipt(receipt) in text)


class TestLoginGuessing:
    """Finding 6: attempts are counted before the password is checked; strangers only slow an
    account down; argon2 never stalls the event loop."""

    async def test_parallel_guesses_never_pass_the_limit(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """50 wrong passwords and the right one at once: at most LOCK_AFTER are checked."""
        await add_account(conn, "rina", "operator")
        token = await login_form_token(client)
        attempts = [login_as(client, "rina", WRONG, token=token) for _ in range(50)]
        attempts.insert(37, login_as(client, "rina", token=token))
        outcomes = [await outcome(r) for r in await asyncio.gather(*attempts)]
        checked = outcomes.count("wrong") + outcomes.count("in")
        assert (True, 51) == (
            checked <= LOCK_AFTER,
            checked + outcomes.count("locked") + outcomes.count("busy"),
        ), outcomes

    async def test_right_password_is_refused_after_the_limit(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Once this address used up its attempts on a name, the right password is refused."""
        await add_account(conn, "rina", "operator")
        for _ in range(LOCK_AFTER):
            await count_login_attempt(conn, LoginAttempt("rina", PROXY), 15)
        assert "locked" == await outcome(await login_as(client, "rina"))

    async def test_stranger_cannot_lock_the_owner_out(
        self, proxied: TestClient, conn: asyncpg.Connection
    ) -> None:
        """20 wrong passwords from a stranger's address leave the owner able to log in from
        theirs."""
        await add_account(conn, "admin-rina", "admin")
        token = await login_form_token(proxied)
        stranger = {"X-Forwarded-For": "203.0.113.66"}
        await asyncio.gather(
            *(
                login_as(proxied, "admin-rina", WRONG, token=token, headers=stranger)
                for _ in range(20)
            )
        )
        owner = {"X-Forwarded-For": "198.51.100.20"}
        assert "in" == await outcome(await login_as(proxied, "admin-rina", headers=owner))

    async def test_one_address_may_not_spray_many_names(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """After IP_LIMIT attempts on any names, one address is refused even for a right
        password."""
        await add_account(conn, "rina", "operator")
        for n in range(IP_LIMIT):
            await count_login_attempt(conn, LoginAttempt(f"name-{n}", PROXY), 15)
        assert "locked" == await outcome(await login_as(client, "rina"))

    async def test_forwarded_for_from_an_untrusted_peer_is_ignored(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A client cannot dodge its address's limit by writing X-Forwarded-For itself."""
        await add_account(conn, "rina", "operator")
        for _ in range(LOCK_AFTER):
            await count_login_attempt(conn, LoginAttempt("rina", PROXY), 15)
        forged = {"X-Forwarded-For": "198.51.100.99"}
        assert "locked" == await outcome(await login_as(client, "rina", headers=forged))

    async def test_forwarded_for_from_a_trusted_proxy_names_the_client(
        self, proxied: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Behind a trusted proxy the limit is the client's, not the proxy's."""
        await add_account(conn, "rina", "operator")
        for _ in range(LOCK_AFTER):
            await count_login_attempt(conn, LoginAttempt("rina", PROXY), 15)
        client_ip = {"X-Forwarded-For": "198.51.100.99"}
        assert "in" == await outcome(await login_as(proxied, "rina", headers=client_ip))

    async def test_ussd_hop_is_answered_while_passwords_are_checked(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """With 20 logins being checked, one of them against a costly hash, a USSD hop posted
        once that login is under way is answered before it."""
        slow_hash = PasswordHasher(time_cost=12, memory_cost=65536, parallelism=1).hash("x")
        await add_user(conn, "slow-hash", "operator", slow_hash)
        token = await login_form_token(client)
        finished: list[str] = []

        async def login(name: str) -> None:
            await (await login_as(client, name, WRONG, token=token)).read()
            finished.append(name)

        logins = [asyncio.create_task(login(f"nobody-{n}")) for n in range(19)]
        logins.append(asyncio.create_task(login("slow-hash")))
        counted = 0
        while not counted:  # once the slow login is counted, its check comes next
            await asyncio.sleep(0.01)
            counted = await conn.fetchval(
                "SELECT count(*) FROM login_attempts WHERE key = 'name:slow-hash'"
            )
        await ussd_hop(client, "ATUid_security_hop", "", "+6281200000123")
        finished.append("hop")
        await asyncio.gather(*logins)
        assert True is (finished.index("hop") < finished.index("slow-hash")), finished

    async def test_saturated_checks_answer_try_again(
        self, sample_db: str, config: Config, aiohttp_client: Any, conn: asyncpg.Connection
    ) -> None:
        """With every verification slot and the queue taken, a login is told to try again
        (503 with Retry-After), and that attempt is not counted against the address."""
        client = await aiohttp_client(create_app(replace(config, login_verifications=1), sample_db))
        token = await login_form_token(client)
        responses = await asyncio.gather(
            *(login_as(client, f"nobody-{n}", WRONG, token=token) for n in range(12))
        )
        outcomes = [await outcome(r) for r in responses]
        busy = [r for r in responses if r.status == 503]
        counted = await conn.fetchval(
            "SELECT attempts FROM login_attempts WHERE key = $1", "ip:" + PROXY
        )
        assert (True, True, 12 - len(busy)) == (
            len(busy) > 0,
            all(r.headers.get("Retry-After") for r in busy),
            counted,
        ), outcomes


class TestLoginCsrf:
    """Finding 9: another site can neither log a browser in nor post to the console."""

    async def test_login_without_the_form_token_is_refused(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A login POST without the form's token opens no session (403)."""
        await add_account(conn, "rina", "operator")
        response = await login_as(client, "rina", token="")
        sessions = await conn.fetchval("SELECT count(*) FROM console_sessions")
        assert (403, 0) == (response.status, sessions)

    async def test_token_from_another_browser_is_refused(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """An attacker's valid form token does not work without their pre-session cookie."""
        await add_account(conn, "rina", "operator")
        token = await login_form_token(client)
        client.session.cookie_jar.clear()  # the victim's browser never had the attacker's cookie
        response = await login_as(client, "rina", token=token)
        assert 403 == response.status

    @pytest.mark.parametrize(
        "headers",
        [
            {"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"},
            {"Sec-Fetch-Site": "same-site"},
            {"Origin": "http://evil.example"},
            {"Origin": "null"},
        ],
    )
    async def test_cross_site_login_is_refused(
        self, client: TestClient, conn: asyncpg.Connection, headers: dict[str, str]
    ) -> None:
        """A login POST the browser marks as coming from another site is refused with 403."""
        await add_account(conn, "rina", "operator")
        response = await login_as(client, "rina", headers=headers)
        assert (403, True) == (
            response.status,
            "Permintaan dari situs lain ditolak" in await response.text(),
        )

    async def test_same_origin_login_is_accepted(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The console's own login form, as a browser sends it, logs in."""
        await add_account(conn, "rina", "operator")
        host = f"http://{client.server.host}:{client.server.port}"
        headers = {"Sec-Fetch-Site": "same-origin", "Origin": host}
        assert 303 == (await login_as(client, "rina", headers=headers)).status

    async def test_cross_site_post_with_a_valid_csrf_token_is_refused(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Every console POST checks where it came from: a cross-site logout is refused and the
        session stays open."""
        await sign_in(client, conn, "operator")
        token = await csrf_token(client)
        response = await client.post(
            "/console/logout",
            data={"csrf": token},
            headers={"Sec-Fetch-Site": "cross-site"},
            allow_redirects=False,
        )
        still_in = await client.get("/console", allow_redirects=False)
        assert (403, 200) == (response.status, still_in.status)


CONSOLE_PAGES = [
    "/console",
    "/console/delivery",
    "/console/delivery.csv",
    "/console/charts",
    "/console/rekap",
    "/console/registry",
    "/console/officials",
    "/console/tips",
    "/console/coordination",
    "/console/coordination.csv",
    "/console/audit",
    "/console/audit.csv",
]


class TestPageHeaders:
    """Finding 10: every console answer carries CSP, nosniff, a referrer policy and no-store."""

    @pytest.mark.parametrize("path", CONSOLE_PAGES)
    async def test_signed_in_page_has_the_headers(
        self, client: TestClient, conn: asyncpg.Connection, path: str
    ) -> None:
        """A page behind the login carries every security header."""
        await sign_in(client, conn, "admin")
        response = await client.get(path, allow_redirects=False)
        assert (200, CONSOLE_CSP, "nosniff", "same-origin", "no-store") == (
            response.status,
            response.headers.get("Content-Security-Policy"),
            response.headers.get("X-Content-Type-Options"),
            response.headers.get("Referrer-Policy"),
            response.headers.get("Cache-Control"),
        )

    async def test_alert_page_is_not_cacheable(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The page of an alert, which shows tip text, is never stored by a browser or proxy."""
        outbox_id, _ = await alert_of_tip(conn)
        await sign_in(client, conn, "investigator")
        response = await client.get(f"/console/delivery/{outbox_id}")
        assert (200, "no-store") == (response.status, response.headers.get("Cache-Control"))

    @pytest.mark.parametrize(
        ("path", "status"), [("/console/login", 200), ("/console/delivery", 303)]
    )
    async def test_login_page_and_redirects_have_the_headers(
        self, client: TestClient, path: str, status: int
    ) -> None:
        """The login page and the redirect to it carry the headers too."""
        response = await client.get(path, allow_redirects=False)
        assert (status, CONSOLE_CSP, "nosniff") == (
            response.status,
            response.headers.get("Content-Security-Policy"),
            response.headers.get("X-Content-Type-Options"),
        )

    async def test_refusal_has_the_headers(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A 403 for a role without the right still carries the policy."""
        await sign_in(client, conn, "operator")
        response = await client.get("/console/tips", allow_redirects=False)
        assert (403, CONSOLE_CSP) == (
            response.status,
            response.headers.get("Content-Security-Policy"),
        )

    @pytest.mark.parametrize("path", [p for p in CONSOLE_PAGES if not p.endswith(".csv")])
    async def test_no_inline_style_or_script(
        self, client: TestClient, conn: asyncpg.Connection, path: str
    ) -> None:
        """Pages hold no inline style or script, which the policy would block."""
        await sign_in(client, conn, "admin")
        text = await (await client.get(path)).text()
        assert [] == re.findall(r"<style|<script|\sstyle=|\son[a-z]+=", text)

    async def test_stylesheet_is_served_as_css(self, client: TestClient) -> None:
        """The one stylesheet the policy allows is served from the console, as CSS."""
        response = await client.get("/console/static/console.css")
        assert (200, "text/css", "nosniff") == (
            response.status,
            response.content_type,
            response.headers.get("X-Content-Type-Options"),
        )


class TestForwardedHeadersAndCookies:
    """Finding 11: Secure cookies outside the demo; forwarded headers only from trusted
    proxies."""

    async def test_session_cookie_is_secure_by_default(
        self, sample_db: str, config: Config, aiohttp_client: Any, conn: asyncpg.Connection
    ) -> None:
        """Outside the demo, without any setting, the session cookie carries Secure."""
        settings = replace(config, cookie_secure=None)
        client = await aiohttp_client(create_app(settings, sample_db))
        await add_account(conn, "rina", "operator")
        form_page = await client.get("/console/login")
        token = re.search(r'name="login_csrf" value="([^"]+)"', await form_page.text())
        assert token is not None
        # The test client keeps no Secure cookie over plain HTTP: send the form's cookie back.
        nonce = form_page.cookies["hotline_login"].value
        headers = {"Cookie": f"hotline_login={nonce}"}
        response = await login_as(client, "rina", token=token.group(1), headers=headers)
        assert (303, True) == (response.status, "secure" in _session_cookie(response).lower())

    async def test_demo_cookie_is_not_secure(
        self, sample_db: str, config: Config, aiohttp_client: Any, conn: asyncpg.Connection
    ) -> None:
        """The demo over plain HTTP keeps working: its session cookie is not Secure."""
        settings = replace(config, cookie_secure=None, demo=True)
        client = await aiohttp_client(create_app(settings, sample_db))
        await add_account(conn, "rina", "operator")
        response = await post_login(client, "rina")
        assert "secure" not in _session_cookie(response).lower()

    async def test_trusted_proxy_says_https(
        self, proxied: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A trusted proxy's X-Forwarded-Proto: https makes the cookie Secure."""
        await add_account(conn, "rina", "operator")
        response = await login_as(proxied, "rina", headers={"X-Forwarded-Proto": "https"})
        assert "secure" in _session_cookie(response).lower()

    async def test_untrusted_peer_cannot_claim_https(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """X-Forwarded-Proto from a peer that is not a trusted proxy is ignored."""
        await add_account(conn, "rina", "operator")
        response = await login_as(client, "rina", headers={"X-Forwarded-Proto": "https"})
        assert "secure" not in _session_cookie(response).lower()

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [("off", False), ("on", True), ("", None)],
    )
    def test_cookie_secure_setting(self, raw: str, expected: bool | None) -> None:
        """HOTLINE_COOKIE_SECURE is on/off; unset means: on unless in the demo."""
        config = Config.from_env({"HOTLINE_COOKIE_SECURE": raw})
        assert (expected, expected is not False) == (config.cookie_secure, config.secure_cookies)

    def test_trusted_proxies_setting(self) -> None:
        """HOTLINE_TRUSTED_PROXIES takes addresses and CIDR blocks, comma-separated."""
        config = Config.from_env({"HOTLINE_TRUSTED_PROXIES": "10.0.0.5, 172.16.0.0/12"})
        assert (ip_network("10.0.0.5/32"), ip_network("172.16.0.0/12")) == config.trusted_proxies

    def test_bad_trusted_proxy_is_refused(self) -> None:
        """A value that is no address stops start-up naming the variable."""
        with pytest.raises(ConfigError, match="HOTLINE_TRUSTED_PROXIES"):
            Config.from_env({"HOTLINE_TRUSTED_PROXIES": "nginx"})

    def test_nginx_passes_the_terminators_scheme_and_the_client(self) -> None:
        """The shipped nginx passes the TLS terminator's X-Forwarded-Proto (its own scheme only
        when there is none) and appends the client to X-Forwarded-For."""
        conf = NGINX.read_text()
        assert (False, True, True, True) == (
            "X-Forwarded-Proto $scheme" in conf,
            "default $http_x_forwarded_proto;" in conf,
            "X-Forwarded-Proto $hotline_forwarded_proto;" in conf,
            "X-Forwarded-For $proxy_add_x_forwarded_for;" in conf,
        )


def _session_cookie(response: ClientResponse) -> str:
    cookies = [
        c for c in response.headers.getall("Set-Cookie", []) if c.startswith("hotline_session=")
    ]
    assert 1 == len(cookies), response.headers
    return cookies[0]


class TestSessions:
    """Finding 12: sessions end when left idle, and a login ends the session presented."""

    async def test_idle_session_is_over(self, client: TestClient, conn: asyncpg.Connection) -> None:
        """A session unused for longer than the idle timeout asks for a login again."""
        await sign_in(client, conn, "operator")
        await conn.execute("UPDATE console_sessions SET last_seen_at = now() - interval '31 min'")
        response = await client.get("/console", allow_redirects=False)
        assert 303 == response.status

    async def test_use_keeps_a_session_alive(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A session used within the idle timeout stays open, and the use restarts the clock."""
        await sign_in(client, conn, "operator")
        await conn.execute("UPDATE console_sessions SET last_seen_at = now() - interval '29 min'")
        response = await client.get("/console", allow_redirects=False)
        idle = await conn.fetchval("SELECT now() - last_seen_at FROM console_sessions")
        assert (200, True) == (response.status, idle.total_seconds() < 60)

    async def test_login_ends_the_presented_session(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Logging in again from a browser with a session leaves only the new session."""
        await sign_in(client, conn, "operator", "rina")
        first = await conn.fetchval("SELECT token_hash FROM console_sessions")
        await post_login(client, "rina")
        hashes = [
            r["token_hash"] for r in await conn.fetch("SELECT token_hash FROM console_sessions")
        ]
        assert (1, False) == (len(hashes), first in hashes)


class TestNextParameter:
    """Finding 13: a control character in `next` must not break the answer after login."""

    @pytest.mark.parametrize(
        "target",
        ["/console\r\nSet-Cookie: evil=1", "/console/charts\n", "/console\tx", "/console/\x7f"],
    )
    async def test_control_characters_fall_back_to_home(
        self, client: TestClient, conn: asyncpg.Connection, target: str
    ) -> None:
        """`next` with a control character logs in and leads to the console's home."""
        await add_account(conn, "rina", "operator")
        response = await post_login(client, "rina", next_page=target)
        assert (303, "/console") == (response.status, response.headers["Location"])
