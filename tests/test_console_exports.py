"""The console's exports as district offices open them, over real HTTP on a real PostgreSQL:
Excel-friendly CSV (BOM and `;`), XLSX that opens (read back with zipfile and the XML parser),
and the case export for the monthly report, area-limited and never with a tip's text."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime
from xml.etree import ElementTree

import asyncpg
from aiohttp.test_utils import TestClient

from gateway.console.render import WIB
from tests.console_helpers import (
    TIRTAYASA,
    sign_in_area,
)

TEXT = "Calo minta uang 10 juta untuk ke Taiwan"  # what file_test_tip's tips say
SHEET = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def today() -> str:
    """Today in Serang, as the export's period."""
    return datetime.now(WIB).date().isoformat()


async def download(client: TestClient, path: str) -> bytes:
    """A download's bytes (200 expected)."""
    response = await client.get(path)
    assert 200 == response.status, path
    return await response.read()


def xlsx_rows(data: bytes) -> list[list[str]]:
    """The first sheet's cells as text, row by row, read back from the XLSX's XML (our own
    app's output: no untrusted XML)."""
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        strings = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))  # noqa: S314
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))  # noqa: S314
    shared = [
        "".join(t.text or "" for t in si.iter(f"{SHEET}t")) for si in strings.iter(f"{SHEET}si")
    ]
    rows = []
    for row in sheet.iter(f"{SHEET}row"):
        cells = []
        for cell in row.iter(f"{SHEET}c"):
            value = cell.findtext(f"{SHEET}v") or ""
            cells.append(shared[int(value)] if cell.get("t") == "s" else value)
        rows.append(cells)
    return rows


def csv_rows(data: bytes, delimiter: str = ",") -> list[list[str]]:
    """A CSV download's rows."""
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))


async def test_case_export_lists_only_the_account_area(
    client: TestClient, conn: asyncpg.Connection, two_tips: tuple[str, str]
) -> None:
    """An investigator of Tirtayasa exports its case, never Pontang's."""
    await sign_in_area(client, conn, "investigator", TIRTAYASA)
    rows = csv_rows(await download(client, f"/console/case-export?from={today()}&to={today()}"))
    assert [two_tips[1]] == [r[0] for r in rows[1:]]


async def test_case_export_has_the_monthly_report_columns(
    client: TestClient, conn: asyncpg.Connection, two_tips: tuple[str, str]
) -> None:
    """One row per case: receipt, created, category, kecamatan, desa, status in words, holder,
    closed."""
    await sign_in_area(client, conn, "admin", "*")
    rows = csv_rows(await download(client, f"/console/case-export?from={today()}&to={today()}"))
    header = ["receipt", "created_at", "category", "kecamatan", "desa", "status", "holder"]
    assert [*header, "closed_at"] == rows[0]
    assert {"Pontang", "Tirtayasa"} == {r[3] for r in rows[1:]}
    assert {"Kubang Puji"} == {r[4] for r in rows[1:]}
    assert "baru" not in {r[5] for r in rows[1:]} and "diteruskan" not in {r[5] for r in rows[1:]}


async def test_case_export_gives_an_operator_no_tip_text_and_no_receipt(
    client: TestClient, conn: asyncpg.Connection, two_tips: tuple[str, str]
) -> None:
    """An operator's export says neither what a tip says nor its receipt."""
    await sign_in_area(client, conn, "operator", "*")
    data = await download(client, f"/console/case-export?from={today()}&to={today()}")
    text = data.decode("utf-8")
    assert "receipt" not in csv_rows(data)[0]
    assert 3 == len(csv_rows(data))
    assert TEXT not in text and all(r not in text for r in two_tips)


async def test_case_export_as_xlsx_opens(
    client: TestClient, conn: asyncpg.Connection, two_tips: tuple[str, str]
) -> None:
    """The XLSX is a workbook whose sheet holds the same rows, receipts kept as text."""
    await sign_in_area(client, conn, "investigator", TIRTAYASA)
    path = f"/console/case-export?from={today()}&to={today()}&format=xlsx"
    rows = xlsx_rows(await download(client, path))
    assert "receipt" == rows[0][0]
    assert [two_tips[1]] == [r[0] for r in rows[1:]]


async def test_case_export_as_excel_csv_has_a_bom_and_semicolons(
    client: TestClient, conn: asyncpg.Connection, two_tips: tuple[str, str]
) -> None:
    """The Excel CSV starts with a UTF-8 BOM and separates cells with `;`."""
    await sign_in_area(client, conn, "admin", "*")
    path = f"/console/case-export?from={today()}&to={today()}&format=excel"
    data = await download(client, path)
    assert data.startswith(b"\xef\xbb\xbfreceipt;created_at;")
    assert 3 == len(csv_rows(data, ";"))


async def test_coordination_summary_as_xlsx_opens(
    client: TestClient, conn: asyncpg.Connection, two_tips: tuple[str, str]
) -> None:
    """The coordination export's summary comes as a workbook with its header and total row."""
    await sign_in_area(client, conn, "operator", "*")
    path = f"/console/coordination.csv?from={today()}&to={today()}&format=xlsx"
    rows = xlsx_rows(await download(client, path))
    assert ["kecamatan_code", "kecamatan", "holder"] == rows[0][:3]
    assert "*" == rows[-1][0]


async def test_delivery_log_as_excel_csv(
    client: TestClient, conn: asyncpg.Connection, two_tips: tuple[str, str]
) -> None:
    """The delivery log's Excel CSV has a BOM, `;` and one row per SMS."""
    await sign_in_area(client, conn, "operator", "*")
    data = await download(client, "/console/delivery.csv?format=excel")
    sent = await conn.fetchval("SELECT count(*) FROM outbox")
    assert data.startswith(b"\xef\xbb\xbfid;created_at;")
    assert sent + 1 == len(csv_rows(data, ";"))
