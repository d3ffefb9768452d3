"""Imports that cannot wipe the registry by mistake, and one truth for a licence's state (issue 17,
items 3, 4 and 5), on a real database: the `hotline` command as an operator runs it, the console
over real HTTP, USSD and SMS as residents meet them."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient

from gateway import keys
from gateway.ussd import WIB
from storage.officials import format_officials, load_officials
from storage.registry import Agency, load_agencies, replace_registry
from storage.registry_csv import format_agencies
from storage.sample import sample_agencies
from storage.users import add_api_token
from tests.console_helpers import csrf_token, load_sample_officials, sign_in
from tests.sms_client import reply_to
from tests.test_cli import by_licence, hotline, registry_state, snapshot_file
from tests.test_console_uploads import section
from tests.ussd_client import walk

EXCEL_FILE = Path(__file__).parent / "data" / "registry_excel_id.csv"


def three_rows() -> list[Agency]:
    """A 3-row file: a snapshot of it would remove nearly the whole sample registry."""
    return sample_agencies()[:3]


async def upload(client: TestClient, kind: str, content: bytes, mode: str) -> str:
    """Upload a file as this kind of import (replace or update); the preview page's path."""
    form = FormData()
    form.add_field("csrf", await csrf_token(client, f"/console/{kind}"))
    form.add_field("mode", mode)
    form.add_field("file", content, filename="file.csv", content_type="text/csv")
    response = await client.post(f"/console/{kind}/upload", data=form)
    assert 200 == response.status, await response.text()
    return response.url.path


async def apply(client: TestClient, preview: str, **fields: str) -> tuple[int, str]:
    """Press the preview's apply button, with these form fields; the status and page."""
    token = await csrf_token(client, preview)
    response = await client.post(f"{preview}/apply", data={"csrf": token, **fields})
    return response.status, await response.text()


class TestCliSnapshotGuard:
    async def test_a_small_snapshot_without_replace_changes_nothing_and_says_why(
        self, sample_db: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """A 3-row snapshot is refused without --replace: non-zero exit, the reason on stderr,
        and the registry and its import history as before."""
        before = await registry_state(conn)
        run = await hotline(
            sample_db, "registry", "import", str(snapshot_file(tmp_path, three_rows()))
        )
        assert (1, True, True, before) == (
            run.code,
            "would remove 37 of the 40 agencies" in run.stderr,
            "--replace" in run.stderr,
            await registry_state(conn),
        ), run.stderr

    async def test_with_replace_it_applies_and_rollback_restores(
        self, sample_db: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """With --replace the 3-row snapshot becomes the registry; `rollback` restores the one
        before."""
        sample = by_licence(await load_agencies(conn))
        path = snapshot_file(tmp_path, three_rows())
        applied = await hotline(sample_db, "registry", "import", "--replace", str(path))
        after_import = by_licence(await load_agencies(conn))
        rolled = await hotline(sample_db, "registry", "rollback")
        assert (0, by_licence(three_rows()), 0, sample) == (
            applied.code,
            after_import,
            rolled.code,
            by_licence(await load_agencies(conn)),
        ), (applied.stderr, rolled.stderr)

    async def test_the_version_keeps_who_and_when(
        self, sample_db: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """An applied import is recorded with who applied it; a rollback with who undid it."""
        path = snapshot_file(tmp_path, three_rows())
        await hotline(sample_db, "registry", "import", "--replace", str(path))
        await hotline(sample_db, "registry", "rollback")
        row = await conn.fetchrow(
            "SELECT imported_by, imported_at, rolled_back_by FROM registry_imports"
            " ORDER BY id DESC LIMIT 1"
        )
        assert (True, True) == (
            row["imported_by"].startswith("cli"),
            row["rolled_back_by"].startswith("cli"),
        )

    async def test_update_adds_and_changes_only(
        self, sample_db: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """--update with 3 rows, one changed, removes nobody and says which field changed."""
        first, *rest = three_rows()
        changed = replace(first, head_office_city="Kota Serang")
        path = snapshot_file(tmp_path, [changed, *rest])
        run = await hotline(sample_db, "registry", "import", "--update", str(path))
        assert (0, 40, True, "removed: 0" in run.stdout) == (
            run.code,
            len(await load_agencies(conn)),
            f"{first.name} (head_office_city)" in run.stdout,
            True,
        ), run.stdout + run.stderr


class TestConsoleSnapshotGuard:
    async def test_removals_come_first_with_a_count_and_a_confirmation(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A 3-row snapshot's preview lists the 37 removals first, in red, and asks for the
        count to be typed."""
        await sign_in(client, conn, "admin")
        preview = await upload(client, "registry", snapshot_file_text(three_rows()), "replace")
        page = await (await client.get(preview)).text()
        assert (True, 37, True) == (
            page.index('id="removed"') < page.index('id="added"'),
            len(section(page, "removed")),
            'name="confirm"' in page and "danger" in page,
        )

    async def test_without_the_typed_count_nothing_changes(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Applying the 3-row snapshot without typing the count is refused; the registry stays."""
        await sign_in(client, conn, "admin")
        preview = await upload(client, "registry", snapshot_file_text(three_rows()), "replace")
        status, page = await apply(client, preview, confirm="3")
        assert (400, 40) == (status, len(await load_agencies(conn))), page

    async def test_typed_count_applies_and_the_rollback_button_restores(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """With the count typed the snapshot applies; the registry page's rollback restores."""
        await sign_in(client, conn, "admin")
        sample = by_licence(await load_agencies(conn))
        preview = await upload(client, "registry", snapshot_file_text(three_rows()), "replace")
        status, _ = await apply(client, preview, confirm="37")
        applied = len(await load_agencies(conn))
        token = await csrf_token(client, "/console/registry")
        rolled = await client.post("/console/registry/rollback", data={"csrf": token})
        assert (200, 3, True, sample) == (
            status,
            applied,
            "?done=rollback_done" in str(rolled.url),
            by_licence(await load_agencies(conn)),
        )

    async def test_an_update_upload_removes_nothing(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The same 3 rows uploaded as an update remove nothing and need no confirmation."""
        await sign_in(client, conn, "admin")
        preview = await upload(client, "registry", snapshot_file_text(three_rows()), "update")
        status, page = await apply(client, preview)
        assert (200, [], 40) == (status, section(page, "removed"), len(await load_agencies(conn)))

    @pytest.mark.parametrize(
        ("lang", "apply_word", "cancel_word"),
        [("id", "Terapkan perubahan", "Batalkan"), ("en", "Apply these changes", "Cancel")],
    )
    async def test_apply_and_cancel_differ(
        self,
        client: TestClient,
        conn: asyncpg.Connection,
        lang: str,
        apply_word: str,
        cancel_word: str,
    ) -> None:
        """The preview's two buttons read and look differently."""
        await sign_in(client, conn, "admin")
        await use_language(client, lang)
        preview = await upload(client, "registry", snapshot_file_text(three_rows()), "update")
        page = await (await client.get(preview)).text()
        assert (True, True) == (
            bool(re.search(rf'class="primary[^"]*">{apply_word}', page)),
            bool(re.search(rf'class="secondary">{cancel_word}', page)),
        ), page


def snapshot_file_text(agencies: list[Agency]) -> bytes:
    """The agencies as an import file's bytes."""
    return format_agencies(agencies).encode()


class TestIndonesianExcel:
    async def test_semicolons_bom_and_day_first_dates_import(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A file Excel saved with Indonesian settings (';', BOM, dd/mm/yyyy) previews what it
        detected and imports with the right dates."""
        await sign_in(client, conn, "admin")
        preview = await upload(client, "registry", EXCEL_FILE.read_bytes(), "update")
        page = await (await client.get(preview)).text()
        status, _ = await apply(client, preview)
        found = {a.name: a for a in await load_agencies(conn)}
        excel = found.get("PT Excel Nusantara Jaya")
        assert (True, True, 200, "2029-09-30", ("Kabupaten Serang", "Kota Cilegon")) == (
            "<code>;</code>" in page,
            "dd/mm/yyyy" in page,
            status,
            excel.valid_until.isoformat() if excel and excel.valid_until else None,
            excel.branch_cities if excel else None,
        ), page


class TestOfficialsMatch:
    async def test_a_new_phone_number_is_one_change(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """An official whose phone number changed is one change (naming the phone field), not a
        deactivation and an addition; the same record keeps its id."""
        await load_sample_officials(conn)
        await sign_in(client, conn, "admin")
        officials = await load_officials(conn)
        first = officials[0]
        moved = replace(first, phone="+6281299990001")
        text = format_officials([moved, *officials[1:]]).encode()
        preview = await upload(client, "officials", text, "replace")
        page = await (await client.get(preview)).text()
        status, _ = await apply(client, preview)
        after = {o.id: o for o in await load_officials(conn)}
        assert ([], [first.name], [], True, 200, "+6281299990001") == (
            section(page, "added"),
            section(page, "changed"),
            section(page, "deactivated"),
            "(phone)" in page,
            status,
            after[first.id].phone,
        ), page


class TestOneTruthForLicenceState:
    async def expired_agency(self, client: TestClient, conn: asyncpg.Connection) -> Agency:
        """The sample plus an `aktif` licence that ended a month ago, loaded and indexed."""
        today = datetime.now(WIB).date()
        agency = Agency(
            licence_number="99200000000000001",
            name="PT Lewat Masa Berlaku",
            status="aktif",
            status_since=today - timedelta(days=1000),
            valid_until=today - timedelta(days=30),
            head_office_city="Kota Serang",
            head_office_province="Banten",
            branch_cities=("Kabupaten Serang",),
            source="Data contoh (fiktif)",
            snapshot_date=today,
        )
        await replace_registry(conn, [*sample_agencies(), agency], "expired.csv")
        for _ in range(50):
            if client.server.app[keys.DIRECTORY].index.snapshot_date == today:
                break
            await asyncio.sleep(0.1)
        return agency

    @pytest.mark.parametrize(
        ("lang", "words"), [("id", "Izin habis (kedaluwarsa)"), ("en", "Licence expired")]
    )
    async def test_console_registry_page(
        self, client: TestClient, conn: asyncpg.Connection, lang: str, words: str
    ) -> None:
        """The console's registry page shows the licence as expired, in words."""
        agency = await self.expired_agency(client, conn)
        await sign_in(client, conn, "operator")
        await use_language(client, lang)
        page = await (await client.get("/console/registry")).text()
        row = page.split(agency.name, 1)[1].split("</tr>", 1)[0]
        assert (True, False) == (words in row, ">aktif<" in row), row

    async def test_api(self, client: TestClient, conn: asyncpg.Connection) -> None:
        """The API's registry gives the licence's state as expired, and the recorded status."""
        agency = await self.expired_agency(client, conn)
        token = await api_token(conn)
        response = await client.get(
            "/api/v1/registry", headers={"Authorization": f"Bearer {token}"}
        )
        items = {i["licence_number"]: i for i in (await response.json())["items"]}
        found = items[agency.licence_number]
        assert ("kedaluwarsa", "aktif") == (found["status"], found["recorded_status"])

    async def test_ussd_agency_check(self, client: TestClient, conn: asyncpg.Connection) -> None:
        """USSD's agency check tells the resident the licence has expired."""
        agency = await self.expired_agency(client, conn)
        body = await walk(client, ["1", agency.name])
        assert "IZIN HABIS" in body, body

    @pytest.mark.parametrize(("word", "expired"), [("CEK", "IZIN HABIS"), ("CHECK", "EXPIRED")])
    async def test_sms_cek(
        self, client: TestClient, conn: asyncpg.Connection, word: str, expired: str
    ) -> None:
        """SMS CEK (and CHECK) tells the resident the licence has expired."""
        agency = await self.expired_agency(client, conn)
        reply = await reply_to(client, conn, f"{word} {agency.name}")
        assert expired in reply.upper(), reply


async def api_token(conn: asyncpg.Connection) -> str:
    """A fresh API token for a client of the whole kabupaten."""
    token = "consistency-test-token-0123456789"
    await add_api_token(conn, token, "consistency-test")
    return token


async def use_language(client: TestClient, lang: str) -> None:
    """Switch the signed-in session's console language."""
    token = await csrf_token(client)
    await client.post("/console/lang", data={"csrf": token, "lang": lang})
