"""`hotline user ...` as an operator runs it: a real process on a real database. Accounts get an
area (the regency, a kecamatan or a desa), every change is audited, and the last active admin
stays."""

from __future__ import annotations

import asyncio
import os

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from tests.test_cli import CONFIG_VARIABLES, HOTLINE, Run

PASSWORD = "correct horse battery"


async def hotline(database_url: str, *args: str, stdin: str = "") -> Run:
    """Run `hotline ARGS` with this standard input and no terminal (a prompt reads stdin)."""
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES}
    env.update(DATABASE_URL=database_url, LOG_FORMAT="json")
    process = await asyncio.create_subprocess_exec(
        HOTLINE,
        *args,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,  # no controlling terminal: getpass falls back to stdin
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(stdin.encode()), timeout=60)
    assert process.returncode is not None
    return Run(process.returncode, stdout.decode(), stderr.decode())


async def add(database_url: str, name: str, role: str, *area: str) -> Run:
    """`hotline user add NAME --role ROLE [--area AREA]`, typing the password twice."""
    return await hotline(
        database_url, "user", "add", name, "--role", role, *area, stdin=f"{PASSWORD}\n" * 2
    )


async def account(conn: asyncpg.Connection, name: str) -> asyncpg.Record | None:
    """The stored account."""
    return await conn.fetchrow(
        "SELECT role, area, active, password_hash FROM users WHERE name = $1", name
    )


async def changes(conn: asyncpg.Connection, name: str) -> list[str]:
    """The audited changes to an account, oldest first."""
    rows = await conn.fetch(
        "SELECT c.action FROM account_changes c JOIN users u ON u.id = c.user_id"
        " WHERE u.name = $1 ORDER BY c.id",
        name,
    )
    return [r["action"] for r in rows]


class TestUserAdd:
    async def test_contract_command_works(self, database_url: str) -> None:
        """`hotline user add NAME --role investigator --area 36.04.13` exits 0."""
        run = await add(database_url, "siti", "investigator", "--area", "36.04.13")
        assert 0 == run.code, run.stderr

    async def test_stores_the_kecamatan_area(
        self, database_url: str, conn: asyncpg.Connection
    ) -> None:
        """The account is limited to the kecamatan given."""
        await add(database_url, "siti", "investigator", "--area", "36.04.13")
        stored = await account(conn, "siti")
        assert stored is not None and ("investigator", "36.04.13") == (
            stored["role"],
            stored["area"],
        )

    async def test_stores_a_desa_area(self, database_url: str, conn: asyncpg.Connection) -> None:
        """A desa code from the shipped desa list is accepted."""
        await add(database_url, "dewi", "investigator", "--area", "36.04.13.2002")
        stored = await account(conn, "dewi")
        assert stored is not None and "36.04.13.2002" == stored["area"]

    async def test_area_defaults_to_the_regency(
        self, database_url: str, conn: asyncpg.Connection
    ) -> None:
        """Without --area the account sees the whole regency."""
        await add(database_url, "budi", "admin")
        stored = await account(conn, "budi")
        assert stored is not None and "*" == stored["area"]

    async def test_unknown_kecamatan_is_refused(
        self, database_url: str, conn: asyncpg.Connection
    ) -> None:
        """A kecamatan code not among the 29 exits non-zero and adds nobody."""
        run = await add(database_url, "siti", "investigator", "--area", "36.04.99")
        assert (1, None) == (run.code, await account(conn, "siti"))

    async def test_unknown_desa_is_refused(self, database_url: str) -> None:
        """A desa code not in the desa list is refused with a message naming it."""
        run = await add(database_url, "siti", "investigator", "--area", "36.04.13.9999")
        assert 0 != run.code and "36.04.13.9999" in run.stderr

    async def test_malformed_area_says_what_is_accepted(self, database_url: str) -> None:
        """A malformed area is refused with the accepted forms."""
        run = await add(database_url, "siti", "investigator", "--area", "Tirtayasa")
        assert 0 != run.code and "36.04.13" in run.stderr

    async def test_is_audited(self, database_url: str, conn: asyncpg.Connection) -> None:
        """Adding an account writes an audited 'add'."""
        await add(database_url, "siti", "investigator", "--area", "36.04.13")
        assert ["add"] == await changes(conn, "siti")


class TestUserList:
    async def test_lists_role_area_and_state(self, database_url: str) -> None:
        """Each account's line has its name, role, area and state."""
        await add(database_url, "siti", "investigator", "--area", "36.04.13")
        run = await hotline(database_url, "user", "list")
        assert "siti\tinvestigator\t36.04.13\tactive" in run.stdout.splitlines()


class TestUserChanges:
    async def test_disable(self, database_url: str, conn: asyncpg.Connection) -> None:
        """`user disable` leaves the account inactive."""
        await add(database_url, "siti", "investigator")
        await hotline(database_url, "user", "disable", "siti")
        stored = await account(conn, "siti")
        assert stored is not None and not stored["active"]

    async def test_enable(self, database_url: str, conn: asyncpg.Connection) -> None:
        """`user enable` makes a disabled account active again."""
        await add(database_url, "siti", "investigator")
        await hotline(database_url, "user", "disable", "siti")
        await hotline(database_url, "user", "enable", "siti")
        stored = await account(conn, "siti")
        assert stored is not None and stored["active"]

    async def test_set_role(self, database_url: str, conn: asyncpg.Connection) -> None:
        """`user set-role` changes the role."""
        await add(database_url, "siti", "investigator")
        await hotline(database_url, "user", "set-role", "siti", "operator")
        stored = await account(conn, "siti")
        assert stored is not None and "operator" == stored["role"]

    async def test_set_area(self, database_url: str, conn: asyncpg.Connection) -> None:
        """`user set-area` changes the area."""
        await add(database_url, "siti", "investigator")
        await hotline(database_url, "user", "set-area", "siti", "36.04.12.2008")
        stored = await account(conn, "siti")
        assert stored is not None and "36.04.12.2008" == stored["area"]

    async def test_set_unknown_area_changes_nothing(
        self, database_url: str, conn: asyncpg.Connection
    ) -> None:
        """An unknown area exits non-zero and keeps the old one."""
        await add(database_url, "siti", "investigator", "--area", "36.04.13")
        run = await hotline(database_url, "user", "set-area", "siti", "36.04.01")
        stored = await account(conn, "siti")
        assert stored is not None and (1, "36.04.13") == (run.code, stored["area"])

    async def test_unknown_user_is_refused(self, database_url: str) -> None:
        """Changing an account that does not exist exits non-zero naming it."""
        run = await hotline(database_url, "user", "disable", "nobody")
        assert 0 != run.code and "nobody" in run.stderr

    async def test_every_change_is_audited(
        self, database_url: str, conn: asyncpg.Connection
    ) -> None:
        """Each change writes its action to the audit, in order."""
        await add(database_url, "siti", "investigator")
        for args in (
            ("disable", "siti"),
            ("enable", "siti"),
            ("set-role", "siti", "operator"),
            ("set-area", "siti", "36.04.13"),
            ("reset-password", "siti"),
        ):
            await hotline(database_url, "user", *args)
        assert [
            "add",
            "disable",
            "enable",
            "set_role",
            "set_area",
            "reset_password",
        ] == await changes(conn, "siti")

    async def test_audit_names_who_and_what(
        self, database_url: str, conn: asyncpg.Connection
    ) -> None:
        """A role change is audited as done from the command line, from and to which role."""
        await add(database_url, "siti", "investigator")
        await hotline(database_url, "user", "set-role", "siti", "operator")
        row = await conn.fetchrow(
            "SELECT actor, detail, changed_at FROM account_changes WHERE action = 'set_role'"
        )
        assert row is not None
        assert row["actor"].startswith("cli") and "investigator -> operator" == row["detail"]


class TestResetPassword:
    async def test_prints_a_password_that_matches(
        self, database_url: str, conn: asyncpg.Connection
    ) -> None:
        """The printed password is the account's new password."""
        await add(database_url, "siti", "investigator")
        run = await hotline(database_url, "user", "reset-password", "siti")
        password = run.stdout.strip().rsplit(" ", 1)[-1]
        stored = await account(conn, "siti")
        assert stored is not None and PasswordHasher().verify(stored["password_hash"], password)

    async def test_old_password_no_longer_matches(
        self, database_url: str, conn: asyncpg.Connection
    ) -> None:
        """The old password stops working."""
        await add(database_url, "siti", "investigator")
        await hotline(database_url, "user", "reset-password", "siti")
        stored = await account(conn, "siti")
        assert stored is not None
        try:
            matches = PasswordHasher().verify(stored["password_hash"], PASSWORD)
        except VerificationError:
            matches = False
        assert not matches


class TestLastAdmin:
    async def test_cannot_be_disabled(self, database_url: str, conn: asyncpg.Connection) -> None:
        """Disabling the only active admin exits non-zero and leaves it active."""
        await add(database_url, "budi", "admin")
        run = await hotline(database_url, "user", "disable", "budi")
        stored = await account(conn, "budi")
        assert stored is not None and (1, True) == (run.code, stored["active"])

    async def test_refusal_is_clear(self, database_url: str) -> None:
        """The refusal says why."""
        await add(database_url, "budi", "admin")
        run = await hotline(database_url, "user", "disable", "budi")
        assert "last active admin" in run.stderr

    async def test_cannot_be_demoted(self, database_url: str, conn: asyncpg.Connection) -> None:
        """Demoting the only active admin is refused."""
        await add(database_url, "budi", "admin")
        run = await hotline(database_url, "user", "set-role", "budi", "investigator")
        stored = await account(conn, "budi")
        assert stored is not None and (1, "admin") == (run.code, stored["role"])

    async def test_one_of_two_admins_can_be_disabled(
        self, database_url: str, conn: asyncpg.Connection
    ) -> None:
        """With another active admin, an admin can be disabled."""
        await add(database_url, "budi", "admin")
        await add(database_url, "ani", "admin")
        run = await hotline(database_url, "user", "disable", "budi")
        assert 0 == run.code, run.stderr
