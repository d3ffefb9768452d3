"""The console's registry and officials pages over real HTTP: listing, CSV upload with preview
(the CLI's validation), apply and cancel, and who may do what."""

from __future__ import annotations

import asyncio
import csv
import html
import io
import re
from dataclasses import replace

import asyncpg
import pytest
from aiohttp import ClientResponse, FormData
from aiohttp.test_utils import TestClient

from gateway import keys
from storage.officials import load_officials
from storage.registry import Agency, load_agencies
from storage.registry_csv import format_agencies
from storage.sample import sample_agencies, sample_officials_csv
from tests.console_helpers import csrf_token, load_sample_officials, sign_in

NEW_AGENCY = Agency("99000000000000001", "PT Contoh Baru Sejahtera", "aktif")


def changed_registry() -> tuple[list[Agency], str, str, str]:
    """The sample registry with one agency changed, one removed and one added; the file and the
    three names."""
    agencies = sample_agencies()
    first, second = agencies[0], agencies[1]
    changed = replace(first, head_office_city="Kota Serang")
    return [changed, *agencies[2:], NEW_AGENCY], first.name, second.name, NEW_AGENCY.name


def edited_csv(text: str, edits: dict[int, dict[str, str]]) -> str:
    """A CSV with some fields replaced, by file line (line 2 is the first row)."""
    rows = list(csv.DictReader(io.StringIO(text)))
    for line, fields in edits.items():
        rows[line - 2].update(fields)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


async def upload(
    client: TestClient, kind: str, content: bytes, file_name: str = "file.csv"
) -> ClientResponse:
    """Upload a CSV on the kind's page as a browser does (the redirect to the preview is
    followed)."""
    form = FormData()
    form.add_field("csrf", await csrf_token(client, f"/console/{kind}"))
    form.add_field("file", content, filename=file_name, content_type="text/csv")
    return await client.post(f"/console/{kind}/upload", data=form)


async def press(client: TestClient, preview: ClientResponse, action: str) -> ClientResponse:
    """Press Apply or Cancel on a preview page."""
    text = await preview.text()
    match = re.search(rf'<form method="post" action="([^"]+/{action})">', text)
    assert match is not None, action
    token = await csrf_token(client, str(preview.url.path))
    return await client.post(match.group(1), data={"csrf": token})


def problems(page: str) -> list[tuple[int, str]]:
    """The (line, field) of each problem on a preview page."""
    body = page.split('<table id="problems">', 1)[1].split("</table>", 1)[0]
    return [
        (int(line), html.unescape(field))
        for line, field in re.findall(r"<tr><td[^>]*>(\d+)</td><td[^>]*>([^<]*)</td>", body)
    ]


def section(page: str, name: str) -> list[str]:
    """The names listed under a preview's section (added, changed, removed, deactivated)."""
    body = page.split(f'<section id="{name}"', 1)[1].split("</section>", 1)[0]
    return [
        html.unescape(n)
        for n in re.findall(r"<li>([^<]*)(?:<small[^>]*>[^<]*</small>)?</li>", body)
    ]


async def names(conn: asyncpg.Connection) -> set[str]:
    """The names in the registry."""
    return {a.name for a in await load_agencies(conn)}


async def pending_uploads(conn: asyncpg.Connection) -> list[tuple[str, bool]]:
    """Every stored upload as (kind, applied)."""
    rows = await conn.fetch("SELECT kind, applied_at IS NOT NULL AS applied FROM uploads")
    return [(r["kind"], r["applied"]) for r in rows]


class TestRegistryPage:
    async def test_operator_sees_every_agency(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Everyone signed in sees the registry: one row per agency."""
        await sign_in(client, conn, "operator")
        response = await client.get("/console/registry")
        rows = re.findall(r"<tr>\s*<td[ >]", await response.text())
        assert len(sample_agencies()) == len(rows)

    async def test_row_shows_the_licence(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A row shows name, licence, status (in words), valid until, head office and the Serang
        branch."""
        await sign_in(client, conn, "operator")
        response = await client.get("/console/registry")
        text = await response.text()
        row = text.split("PT Contoh Samudra Karya", 1)[1].split("</tr>", 1)[0]
        cells = [
            re.sub(r"\s+", " ", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        assert [
            "99116000345227871",
            "Izin aktif",
            "2027-03-13",
            "Jakarta Timur, DKI Jakarta",
            "ya",
        ] == cells

    async def test_operator_gets_no_upload_form(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Only admins are offered the upload."""
        await sign_in(client, conn, "operator")
        response = await client.get("/console/registry")
        assert "/console/registry/upload" not in await response.text()

    async def test_admin_gets_the_upload_form(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """An admin is offered the upload form."""
        await sign_in(client, conn, "admin")
        response = await client.get("/console/registry")
        assert 'action="/console/registry/upload"' in await response.text()


class TestRegistryPreview:
    async def test_problems_are_listed_by_line_and_field(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A file with mistakes previews every problem with its line and field."""
        text = edited_csv(
            format_agencies(sample_agencies()),
            {3: {"status": "bogus"}, 5: {"valid_until": "31-12-2027"}},
        )
        await sign_in(client, conn, "admin")
        response = await upload(client, "registry", text.encode())
        assert [(3, "status"), (5, "valid_until")] == problems(await response.text())

    async def test_missing_column_is_a_header_problem(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A missing column is reported on line 1 by its name."""
        text = format_agencies(sample_agencies()).replace(",source,", ",sumber,", 1)
        await sign_in(client, conn, "admin")
        response = await upload(client, "registry", text.encode())
        assert [(1, "source"), (1, "sumber")] == problems(await response.text())

    async def test_invalid_file_changes_nothing(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Previewing a file with problems leaves the registry as it was."""
        before = await load_agencies(conn)
        text = edited_csv(format_agencies(sample_agencies()), {3: {"status": "bogus"}})
        await sign_in(client, conn, "admin")
        await upload(client, "registry", text.encode())
        assert before == await load_agencies(conn)

    async def test_invalid_file_offers_no_apply(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A file with problems cannot be applied from its preview."""
        text = edited_csv(format_agencies(sample_agencies()), {3: {"status": "bogus"}})
        await sign_in(client, conn, "admin")
        response = await upload(client, "registry", text.encode())
        assert "/apply" not in await response.text()

    async def test_preview_shows_added_changed_removed(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The preview names the agencies the file adds, changes and removes."""
        agencies, changed, removed, added = changed_registry()
        await sign_in(client, conn, "admin")
        response = await upload(client, "registry", format_agencies(agencies).encode())
        page = await response.text()
        assert ([added], [changed], [removed]) == (
            section(page, "added"),
            section(page, "changed"),
            section(page, "removed"),
        )

    async def test_preview_changes_nothing(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Previewing a valid file leaves the registry as it was."""
        before = await load_agencies(conn)
        agencies, *_ = changed_registry()
        await sign_in(client, conn, "admin")
        await upload(client, "registry", format_agencies(agencies).encode())
        assert before == await load_agencies(conn)

    async def test_upload_is_kept_pending(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The uploaded file is stored, not applied."""
        agencies, *_ = changed_registry()
        await sign_in(client, conn, "admin")
        await upload(client, "registry", format_agencies(agencies).encode())
        assert [("registry", False)] == await pending_uploads(conn)

    async def test_file_not_in_utf8_is_refused(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A file that is not UTF-8 is refused with a message and not stored."""
        text = format_agencies([replace(NEW_AGENCY, head_office_city="Tangerang Selatan \xe9")])
        await sign_in(client, conn, "admin")
        response = await upload(client, "registry", text.encode("latin-1"))
        assert (400, True, []) == (
            response.status,
            "CSV UTF-8" in await response.text(),
            await pending_uploads(conn),
        )


class TestRegistryApply:
    async def test_apply_replaces_the_registry(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """After Apply the registry is the file's."""
        agencies, *_ = changed_registry()
        await sign_in(client, conn, "admin")
        preview = await upload(client, "registry", format_agencies(agencies).encode())
        await press(client, preview, "apply")
        assert {a.name for a in agencies} == await names(conn)

    async def test_apply_reports_what_changed(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The page after Apply says it is done and names the changes."""
        agencies, _, _, added = changed_registry()
        await sign_in(client, conn, "admin")
        preview = await upload(client, "registry", format_agencies(agencies).encode())
        page = await (await press(client, preview, "apply")).text()
        assert (True, [added]) == ("Perubahan sudah diterapkan." in page, section(page, "added"))

    async def test_apply_redirects_and_a_refresh_posts_nothing(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Apply answers 303 to the upload's page; loading that page again applies nothing."""
        agencies, *_ = changed_registry()
        await sign_in(client, conn, "admin")
        preview = await upload(client, "registry", format_agencies(agencies).encode())
        token = await csrf_token(client, str(preview.url.path))
        response = await client.post(
            f"{preview.url.path}/apply", data={"csrf": token}, allow_redirects=False
        )
        location = response.headers["Location"]
        for _ in range(2):
            assert 200 == (await client.get(location)).status
        count = await conn.fetchval("SELECT count(*) FROM registry_imports")
        assert (303, True, 2) == (
            response.status,
            location.startswith(f"{preview.url.path}?note="),
            count,
        )

    async def test_cancel_redirects(self, client: TestClient, conn: asyncpg.Connection) -> None:
        """Cancel answers 303 to a page that says the upload was cancelled."""
        agencies, *_ = changed_registry()
        await sign_in(client, conn, "admin")
        preview = await upload(client, "registry", format_agencies(agencies).encode())
        token = await csrf_token(client, str(preview.url.path))
        response = await client.post(
            f"{preview.url.path}/cancel", data={"csrf": token}, allow_redirects=False
        )
        location = response.headers["Location"]
        page = await (await client.get(location)).text()
        assert (303, "/console/registry/uploads/cancelled", True) == (
            response.status,
            location,
            'role="status"' in page,
        )

    async def test_apply_reaches_the_search_index(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """An applied registry notifies the gateway, whose search then finds the new agency."""
        agencies, *_ = changed_registry()
        await sign_in(client, conn, "admin")
        preview = await upload(client, "registry", format_agencies(agencies).encode())
        await press(client, preview, "apply")
        watcher = client.server.app[keys.DIRECTORY]
        for _ in range(50):
            if watcher.index.get(NEW_AGENCY.licence_number) is not None:
                break
            await asyncio.sleep(0.1)
        found = watcher.index.get(NEW_AGENCY.licence_number)
        assert NEW_AGENCY.name == (found.name if found else None)

    async def test_apply_is_recorded_as_an_import(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The import is logged with the uploaded file's name."""
        agencies, *_ = changed_registry()
        await sign_in(client, conn, "admin")
        preview = await upload(
            client, "registry", format_agencies(agencies).encode(), "bp2mi-2026-12.csv"
        )
        await press(client, preview, "apply")
        rows = await conn.fetch("SELECT file_name FROM registry_imports ORDER BY id")
        assert "bp2mi-2026-12.csv" == rows[-1]["file_name"]

    async def test_second_apply_is_refused(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """An upload is applied once; pressing Apply again (e.g. from history) is a 409."""
        agencies, *_ = changed_registry()
        await sign_in(client, conn, "admin")
        preview = await upload(client, "registry", format_agencies(agencies).encode())
        await press(client, preview, "apply")
        again = await press(client, preview, "apply")
        count = await conn.fetchval("SELECT count(*) FROM registry_imports")
        assert (409, 2) == (again.status, count)  # the sample load, then this upload

    async def test_cancel_changes_nothing(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Cancel leaves the registry as it was and forgets the upload."""
        before = await load_agencies(conn)
        agencies, *_ = changed_registry()
        await sign_in(client, conn, "admin")
        preview = await upload(client, "registry", format_agencies(agencies).encode())
        await press(client, preview, "cancel")
        assert (before, []) == (await load_agencies(conn), await pending_uploads(conn))

    async def test_cancelled_upload_cannot_be_applied(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Apply after Cancel is a 409 and changes nothing."""
        before = await load_agencies(conn)
        agencies, *_ = changed_registry()
        await sign_in(client, conn, "admin")
        preview = await upload(client, "registry", format_agencies(agencies).encode())
        token = await csrf_token(client, str(preview.url.path))
        await press(client, preview, "cancel")
        response = await client.post(f"{preview.url.path}/apply", data={"csrf": token})
        assert (409, before) == (response.status, await load_agencies(conn))


class TestRegistryRoles:
    @pytest.mark.parametrize("role", ["operator", "investigator"])
    async def test_non_admin_upload_is_403(
        self, client: TestClient, conn: asyncpg.Connection, role: str
    ) -> None:
        """Only admins may upload; nothing is stored for anyone else."""
        await sign_in(client, conn, role)
        form = FormData()
        form.add_field("csrf", await csrf_token(client, "/console/registry"))
        form.add_field("file", b"licence_number\n", filename="x.csv", content_type="text/csv")
        response = await client.post("/console/registry/upload", data=form)
        assert (403, []) == (response.status, await pending_uploads(conn))

    async def test_non_admin_cannot_apply(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """An operator pressing Apply on an admin's upload is refused and nothing changes."""
        before = await load_agencies(conn)
        agencies, *_ = changed_registry()
        await sign_in(client, conn, "admin")
        preview = await upload(client, "registry", format_agencies(agencies).encode())
        await sign_in(client, conn, "operator")
        token = await csrf_token(client, "/console/registry")
        response = await client.post(f"{preview.url.path}/apply", data={"csrf": token})
        assert (403, before) == (response.status, await load_agencies(conn))

    async def test_upload_without_csrf_is_refused(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """An upload without the CSRF token is refused and not stored."""
        await sign_in(client, conn, "admin")
        form = FormData()
        form.add_field("file", b"licence_number\n", filename="x.csv", content_type="text/csv")
        response = await client.post("/console/registry/upload", data=form)
        assert (403, []) == (response.status, await pending_uploads(conn))


@pytest.fixture
async def directory(client: TestClient, conn: asyncpg.Connection) -> None:
    """The sample officials directory."""
    await load_sample_officials(conn)


def changed_directory() -> str:
    """The sample directory with Budi Contoh's tier changed, Siti Sampel left out and a new
    official added."""
    lines = sample_officials_csv().splitlines()
    lines[1] = lines[1].replace(",*,1,true", ",*,2,true")
    del lines[2]
    lines.append("Wawan Baru,Camat,+6281199000099,Kecamatan Cikande,36.04.15,*,1,true")
    return "\n".join(lines) + "\n"


class TestOfficials:
    async def test_admin_sees_the_directory(
        self, client: TestClient, conn: asyncpg.Connection, directory: None
    ) -> None:
        """The officials page lists every official."""
        await sign_in(client, conn, "admin")
        response = await client.get("/console/officials")
        text = await response.text()
        listed = re.findall(r"<tr[^>]*>\s*<td[^>]*>([^<]+)", text)
        assert [o.name for o in await load_officials(conn)] == [n.strip() for n in listed]

    @pytest.mark.parametrize("role", ["operator", "investigator"])
    async def test_others_get_403(
        self, client: TestClient, conn: asyncpg.Connection, directory: None, role: str
    ) -> None:
        """Only admins manage officials."""
        await sign_in(client, conn, role)
        response = await client.get("/console/officials")
        assert 403 == response.status

    async def test_problems_are_listed_by_line_and_field(
        self, client: TestClient, conn: asyncpg.Connection, directory: None
    ) -> None:
        """A bad phone number and an unknown kecamatan are reported by line and field."""
        lines = sample_officials_csv().splitlines()
        lines[1] = lines[1].replace("+6281199000001", "nomor-hp")
        lines[3] = lines[3].replace("36.04.07", "99.99.99")
        await sign_in(client, conn, "admin")
        response = await upload(client, "officials", "\n".join(lines).encode())
        assert [(2, "phone"), (4, "kecamatan_codes")] == problems(await response.text())

    async def test_preview_shows_added_changed_deactivated(
        self, client: TestClient, conn: asyncpg.Connection, directory: None
    ) -> None:
        """The preview names who is added, changed and deactivated."""
        await sign_in(client, conn, "admin")
        response = await upload(client, "officials", changed_directory().encode())
        page = await response.text()
        assert (["Wawan Baru"], ["Budi Contoh"], ["Siti Sampel"]) == (
            section(page, "added"),
            section(page, "changed"),
            section(page, "deactivated"),
        )

    async def test_preview_changes_nothing(
        self, client: TestClient, conn: asyncpg.Connection, directory: None
    ) -> None:
        """Previewing leaves the directory as it was."""
        before = await load_officials(conn)
        await sign_in(client, conn, "admin")
        await upload(client, "officials", changed_directory().encode())
        assert before == await load_officials(conn)

    async def test_apply_updates_the_directory(
        self, client: TestClient, conn: asyncpg.Connection, directory: None
    ) -> None:
        """After Apply the new official is active and the missing one is not."""
        await sign_in(client, conn, "admin")
        preview = await upload(client, "officials", changed_directory().encode())
        await press(client, preview, "apply")
        active = {o.name: o.active for o in await load_officials(conn)}
        assert (True, False) == (active["Wawan Baru"], active["Siti Sampel"])

    async def test_cancel_changes_nothing(
        self, client: TestClient, conn: asyncpg.Connection, directory: None
    ) -> None:
        """Cancel leaves the directory as it was."""
        before = await load_officials(conn)
        await sign_in(client, conn, "admin")
        preview = await upload(client, "officials", changed_directory().encode())
        await press(client, preview, "cancel")
        assert before == await load_officials(conn)

    async def test_operator_upload_is_403(
        self, client: TestClient, conn: asyncpg.Connection, directory: None
    ) -> None:
        """An operator cannot upload a directory."""
        await sign_in(client, conn, "operator")
        form = FormData()
        form.add_field("csrf", await csrf_token(client, "/console"))
        form.add_field("file", changed_directory().encode(), filename="o.csv")
        response = await client.post("/console/officials/upload", data=form)
        assert (403, []) == (response.status, await pending_uploads(conn))

    async def test_registry_upload_is_not_an_officials_upload(
        self, client: TestClient, conn: asyncpg.Connection, directory: None
    ) -> None:
        """A registry upload's id does not open under the officials pages."""
        agencies, *_ = changed_registry()
        await sign_in(client, conn, "admin")
        preview = await upload(client, "registry", format_agencies(agencies).encode())
        upload_id = preview.url.path.rsplit("/", 1)[1]
        response = await client.get(f"/console/officials/uploads/{upload_id}")
        assert 404 == response.status
