"""Console sign-in over real HTTP: passwords, throttling, sessions, CSRF, cookies, redirects."""

from __future__ import annotations

import time

import asyncpg
from aiohttp.test_utils import TestClient

from storage.users import LoginAttempt, count_login_attempt
from tests.console_helpers import PASSWORD, add_account, csrf_token, post_login, sign_in


class TestLogin:
    async def test_right_password_redirects_to_the_console(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A right name and password answer with a redirect to the console's home."""
        await add_account(conn, "rina", "operator")
        response = await post_login(client, "rina")
        assert (303, "/console") == (response.status, response.headers["Location"])

    async def test_signed_in_user_sees_the_home_page(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """After logging in, the home page opens and names the user."""
        await sign_in(client, conn, "operator", "rina")
        response = await client.get("/console", allow_redirects=False)
        assert (200, True) == (response.status, "rina (Operator)" in await response.text())

    async def test_wrong_password_is_401(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A wrong password is refused with 401."""
        await add_account(conn, "rina", "operator")
        response = await post_login(client, "rina", "not the password")
        assert 401 == response.status

    async def test_wrong_password_says_so(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The refusal tells the user the name or password is wrong."""
        await add_account(conn, "rina", "operator")
        response = await post_login(client, "rina", "not the password")
        assert "Nama atau kata sandi salah." in await response.text()

    async def test_unknown_name_is_401(self, client: TestClient) -> None:
        """A name without an account is refused like a wrong password."""
        response = await post_login(client, "nobody")
        assert 401 == response.status

    async def test_repeated_failures_slow_down(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The sixth failed login in a row takes noticeably longer than the first (it waits 1 s,
        the first not at all)."""
        await add_account(conn, "rina", "operator")
        took = []
        for _ in range(6):
            started = time.perf_counter()
            await post_login(client, "rina", "not the password")
            took.append(time.perf_counter() - started)
        assert took[5] - took[0] >= 0.2, took

    async def test_locked_after_ten_failures(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """After ten recent attempts from this address even the right password is refused,
        saying to wait."""
        await add_account(conn, "rina", "operator")
        for _ in range(10):
            await count_login_attempt(conn, LoginAttempt("rina", "127.0.0.1"), 15)
        response = await post_login(client, "rina", PASSWORD)
        assert (401, True) == (
            response.status,
            "Terlalu banyak percobaan gagal" in await response.text(),
        )

    async def test_page_without_session_redirects_to_login(self, client: TestClient) -> None:
        """A console page without a session sends the browser to the login page."""
        response = await client.get("/console/delivery", allow_redirects=False)
        assert (303, "/console/login?next=/console/delivery") == (
            response.status,
            response.headers["Location"],
        )


class TestRedirectAfterLogin:
    async def test_console_page_is_followed(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """next= a console page leads there after logging in."""
        await add_account(conn, "rina", "operator")
        response = await post_login(client, "rina", next_page="/console/charts")
        assert "/console/charts" == response.headers["Location"]

    async def test_other_site_is_refused(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """next=https://evil leads to the console's home instead: no open redirect."""
        await add_account(conn, "rina", "operator")
        response = await post_login(client, "rina", next_page="https://evil.example/console")
        assert "/console" == response.headers["Location"]

    async def test_scheme_relative_url_is_refused(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """next=//evil leads to the console's home instead."""
        await add_account(conn, "rina", "operator")
        response = await post_login(client, "rina", next_page="//evil.example/console")
        assert "/console" == response.headers["Location"]


class TestLogout:
    async def test_logout_ends_the_session(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """After logging out, the console asks for a login again."""
        await sign_in(client, conn, "operator")
        token = await csrf_token(client)
        await client.post("/console/logout", data={"csrf": token}, allow_redirects=False)
        response = await client.get("/console", allow_redirects=False)
        assert (303, "/console/login?next=/console") == (
            response.status,
            response.headers["Location"],
        )

    async def test_logout_removes_the_stored_session(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Logging out deletes the session row."""
        await sign_in(client, conn, "operator")
        token = await csrf_token(client)
        await client.post("/console/logout", data={"csrf": token}, allow_redirects=False)
        assert 0 == await conn.fetchval("SELECT count(*) FROM console_sessions")


class TestCsrf:
    async def test_missing_token_is_refused(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A POST without the CSRF token is refused with 403."""
        await sign_in(client, conn, "operator")
        response = await client.post("/console/logout", data={}, allow_redirects=False)
        assert 403 == response.status

    async def test_wrong_token_is_refused(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A POST with another token is refused with 403."""
        await sign_in(client, conn, "operator")
        response = await client.post(
            "/console/logout", data={"csrf": "forged"}, allow_redirects=False
        )
        assert 403 == response.status

    async def test_refused_post_changes_nothing(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A logout refused for its token leaves the session open."""
        await sign_in(client, conn, "operator")
        await client.post("/console/logout", data={"csrf": "forged"}, allow_redirects=False)
        response = await client.get("/console", allow_redirects=False)
        assert 200 == response.status


class TestSessionCookie:
    async def test_cookie_is_http_only(self, client: TestClient, conn: asyncpg.Connection) -> None:
        """Scripts cannot read the session cookie."""
        await add_account(conn, "rina", "operator")
        response = await post_login(client, "rina")
        assert "httponly" in response.headers["Set-Cookie"].lower()

    async def test_cookie_is_same_site_strict(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Other sites' requests do not carry the session cookie."""
        await add_account(conn, "rina", "operator")
        response = await post_login(client, "rina")
        assert "samesite=strict" in response.headers["Set-Cookie"].lower()
