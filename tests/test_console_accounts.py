"""The console's accounts page over real HTTP: admins only, CSRF on every change, a password
shown once, every change audited, and the last active admin kept."""

from __future__ import annotations

import asyncio
import re

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from storage.accounts import AccountRefused, set_active
from tests.console_helpers import add_account, csrf_token, post_login, sign_in

PAGE = "/console/accounts"


async def post(client: TestClient, path: str, **form: str) -> tuple[int, str, str]:
    """POST a form of the accounts page with its CSRF token; the POST's status, then the page
    and Cache-Control of the page it redirects to (a refusal's own page when it does not)."""
    form["csrf"] = await csrf_token(client, PAGE)
    response = await client.post(path, data=form, allow_redirects=False)
    status = response.status
    if status == 303:
        response = await client.get(response.headers["Location"], allow_redirects=False)
    return status, await response.text(), response.headers.get("Cache-Control", "")


def shown_password(page: str) -> str:
    """The one-time password on the page."""
    match = re.search(r'<code id="new-password">([^<]+)</code>', page)
    assert match is not None
    return match.group(1)


async def account(conn: asyncpg.Connection, name: str) -> asyncpg.Record:
    """The stored account."""
    row = await conn.fetchrow("SELECT role, area, active FROM users WHERE name = $1", name)
    assert row is not None
    return row


class TestPostRedirectGet:
    async def test_a_change_redirects_with_a_one_time_note(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A successful change answers 303 to the accounts page; the password shows once."""
        await sign_in(client, conn, "admin")
        form = {"csrf": await csrf_token(client, PAGE), "name": "siti", "role": "operator"}
        response = await client.post(PAGE, data=form, allow_redirects=False)
        location = response.headers["Location"]
        first = await (await client.get(location)).text()
        again = await (await client.get(location)).text()
        assert (303, True, True, False) == (
            response.status,
            location.startswith(PAGE + "?note="),
            'id="new-password"' in first,
            'id="new-password"' in again,
        )


class TestWhoMayOpen:
    @pytest.mark.parametrize("role", ["operator", "investigator"])
    async def test_other_roles_are_refused(
        self, client: TestClient, conn: asyncpg.Connection, role: str
    ) -> None:
        """Only admins open the accounts page."""
        await sign_in(client, conn, role)
        assert 403 == (await client.get(PAGE)).status

    @pytest.mark.parametrize("role", ["operator", "investigator"])
    async def test_other_roles_cannot_add(
        self, client: TestClient, conn: asyncpg.Connection, role: str
    ) -> None:
        """A non-admin's POST adds nobody."""
        await sign_in(client, conn, role)
        form = {"csrf": await csrf_token(client), "name": "mallory", "role": "admin", "area": "*"}
        await client.post(PAGE, data=form, allow_redirects=False)
        assert 0 == await conn.fetchval("SELECT count(*) FROM users WHERE name = 'mallory'")

    async def test_admin_sees_every_account(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The page lists each account with its area."""
        await sign_in(client, conn, "admin")
        await add_account(conn, "siti", "investigator")
        page = await (await client.get(PAGE)).text()
        assert {"admin-1", "siti"} == set(re.findall(r'<tr data-name="([^"]+)"', page))

    async def test_without_csrf_nothing_changes(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A POST without the CSRF token is refused and adds nobody."""
        await sign_in(client, conn, "admin")
        form = {"name": "siti", "role": "investigator", "area": "*"}
        response = await client.post(PAGE, data=form, allow_redirects=False)
        count = await conn.fetchval("SELECT count(*) FROM users WHERE name = 'siti'")
        assert (403, 0) == (response.status, count)


class TestAdd:
    async def test_adds_with_role_and_area(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The new account has the role and area given."""
        await sign_in(client, conn, "admin")
        await post(client, PAGE, name="siti", role="investigator", area="36.04.13")
        stored = await account(conn, "siti")
        assert ("investigator", "36.04.13") == (stored["role"], stored["area"])

    async def test_password_shown_logs_in(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The password shown once opens the new account."""
        await sign_in(client, conn, "admin")
        _, page, _ = await post(client, PAGE, name="siti", role="investigator", area="*")
        assert 303 == (await post_login(client, "siti", shown_password(page))).status

    async def test_password_page_is_not_cached(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The page with the password says no-store."""
        await sign_in(client, conn, "admin")
        _, _, cache = await post(client, PAGE, name="siti", role="investigator", area="*")
        assert "no-store" == cache

    async def test_unknown_area_is_refused(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """An unknown kecamatan is a 400 naming the problem, and adds nobody."""
        await sign_in(client, conn, "admin")
        status, page, _ = await post(
            client, PAGE, name="siti", role="investigator", area="36.04.99"
        )
        count = await conn.fetchval("SELECT count(*) FROM users WHERE name = 'siti'")
        assert (400, 0, True) == (status, count, 'data-problem="account_bad_area"' in page)

    async def test_existing_name_is_refused(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A name in use is a 409."""
        await sign_in(client, conn, "admin")
        await add_account(conn, "siti", "investigator")
        status, _, _ = await post(client, PAGE, name="siti", role="admin", area="*")
        assert 409 == status

    async def test_is_audited_with_the_admin(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The audit names the admin who added the account."""
        await sign_in(client, conn, "admin")
        await post(client, PAGE, name="siti", role="investigator", area="36.04.13")
        row = await conn.fetchrow("SELECT actor, action, detail FROM account_changes")
        assert ("admin-1", "add", "role=investigator area=36.04.13") == tuple(row)

    async def test_audit_is_listed_on_the_page(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The page's change list shows who changed which account."""
        await sign_in(client, conn, "admin")
        _, page, _ = await post(client, PAGE, name="siti", role="investigator", area="*")
        assert '<tr data-action="add" data-user="siti" data-actor="admin-1">' in page


class TestChanges:
    async def test_disable(self, client: TestClient, conn: asyncpg.Connection) -> None:
        """Disabling leaves the account inactive."""
        await sign_in(client, conn, "admin")
        await add_account(conn, "siti", "investigator")
        await post(client, f"{PAGE}/siti/disable")
        assert not (await account(conn, "siti"))["active"]

    async def test_disabled_account_cannot_log_in(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A disabled account's password no longer opens a session."""
        await sign_in(client, conn, "admin")
        await add_account(conn, "siti", "investigator")
        await post(client, f"{PAGE}/siti/disable")
        assert 401 == (await post_login(client, "siti")).status

    async def test_enable(self, client: TestClient, conn: asyncpg.Connection) -> None:
        """Enabling makes a disabled account active again."""
        await sign_in(client, conn, "admin")
        await add_account(conn, "siti", "investigator")
        await post(client, f"{PAGE}/siti/disable")
        await post(client, f"{PAGE}/siti/enable")
        assert (await account(conn, "siti"))["active"]

    async def test_set_role(self, client: TestClient, conn: asyncpg.Connection) -> None:
        """The role form changes the role."""
        await sign_in(client, conn, "admin")
        await add_account(conn, "siti", "investigator")
        await post(client, f"{PAGE}/siti/role", role="operator")
        assert "operator" == (await account(conn, "siti"))["role"]

    async def test_set_area_to_a_desa(self, client: TestClient, conn: asyncpg.Connection) -> None:
        """The area form takes a desa code."""
        await sign_in(client, conn, "admin")
        await add_account(conn, "siti", "investigator")
        await post(client, f"{PAGE}/siti/area", area="36.04.12.2008")
        assert "36.04.12.2008" == (await account(conn, "siti"))["area"]

    async def test_unknown_desa_is_refused(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A desa code not in the list is a 400 and keeps the old area."""
        await sign_in(client, conn, "admin")
        await add_account(conn, "siti", "investigator")
        status, _, _ = await post(client, f"{PAGE}/siti/area", area="36.04.12.9999")
        assert (400, "*") == (status, (await account(conn, "siti"))["area"])

    async def test_reset_password_shows_a_working_password(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The reset password, shown once, opens the account."""
        await sign_in(client, conn, "admin")
        await add_account(conn, "siti", "investigator")
        _, page, _ = await post(client, f"{PAGE}/siti/reset-password")
        assert 303 == (await post_login(client, "siti", shown_password(page))).status

    async def test_password_is_shown_only_once(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Opening the page again shows no password."""
        await sign_in(client, conn, "admin")
        await add_account(conn, "siti", "investigator")
        _, page, _ = await post(client, f"{PAGE}/siti/reset-password")
        again = await (await client.get(PAGE)).text()
        assert shown_password(page) not in again


class TestLastAdmin:
    async def test_cannot_disable_itself(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The only admin cannot disable its own account: 409, still active."""
        await sign_in(client, conn, "admin")
        status, page, _ = await post(client, f"{PAGE}/admin-1/disable")
        active = (await account(conn, "admin-1"))["active"]
        assert (409, True, True) == (status, active, "last active admin" in page)

    async def test_cannot_demote_itself(self, client: TestClient, conn: asyncpg.Connection) -> None:
        """The only admin cannot take away its own admin role."""
        await sign_in(client, conn, "admin")
        status, _, _ = await post(client, f"{PAGE}/admin-1/role", role="operator")
        assert (409, "admin") == (status, (await account(conn, "admin-1"))["role"])

    async def test_two_admins_disabling_each_other_leave_one(
        self, database_url: str, conn: asyncpg.Connection
    ) -> None:
        """Two admins disabling each other at once: one wins, the other is refused, every time."""
        await add_account(conn, "ani", "admin")
        await add_account(conn, "budi", "admin")
        first, second = await asyncpg.connect(database_url), await asyncpg.connect(database_url)
        try:
            for _ in range(10):
                await conn.execute("UPDATE users SET active = true")
                outcomes = await asyncio.gather(
                    set_active(first, "ani", False, "budi"),
                    set_active(second, "budi", False, "ani"),
                    return_exceptions=True,
                )
                refused = [o for o in outcomes if isinstance(o, AccountRefused)]
                active = await conn.fetchval("SELECT count(*) FROM users WHERE active")
                assert (1, 1) == (len(refused), active), outcomes
        finally:
            await first.close()
            await second.close()


class TestLanguages:
    @pytest.mark.parametrize(
        ("lang", "heading"), [("id", "Akun konsol"), ("en", "Console accounts")]
    )
    async def test_page_in_both_languages(
        self, client: TestClient, conn: asyncpg.Connection, lang: str, heading: str
    ) -> None:
        """The page's heading is in the session's language."""
        await sign_in(client, conn, "admin")
        form = {"csrf": await csrf_token(client), "lang": lang, "next": PAGE}
        await client.post("/console/lang", data=form, allow_redirects=False)
        assert f"<h1>{heading}</h1>" in await (await client.get(PAGE)).text()
