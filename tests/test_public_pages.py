"""
The public pages (issue 16 item 3) over real HTTP and a real PostgreSQL: /info for the regency,
a kecamatan and a desa, the registry search, monthly figures with small counts hidden, the desa
poster with its QR code, both languages, the weight limit, and nothing a case could be recognised
by.
"""

from __future__ import annotations

import re
from dataclasses import replace

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway.app import create_app
from gateway.config import Config
from gateway.public.pages import PUBLIC_CSP, shown_count
from storage.sample import sample_agencies, sample_job_orders
from tests.console_helpers import file_test_tip
from tests.test_job_orders import import_now

PONTANG = "36.04.12"
KUBANG_PUJI = "36.04.12.2008"  # a desa of Pontang (storage/data/serang-desa.csv)
WEIGHT_LIMIT = 100 * 1024  # bytes: a page must load on 2G


async def get(client: TestClient, path: str, status: int = 200) -> str:
    """A public page's HTML, after checking its status."""
    response = await client.get(path)
    assert status == response.status, path
    return await response.text()


def cells(page: str, table_id: str) -> list[list[str]]:
    """A table's body rows as lists of cell texts (header cell first)."""
    table = re.search(rf'<table id="{table_id}".*?<tbody>(.*?)</tbody>', page, re.S)
    assert table is not None, table_id
    return [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in table[1].split("</tr>")[:-1]]


class TestPlaces:
    @pytest.mark.parametrize(
        ("path", "name"),
        [("/info", "Kabupaten Serang"), (f"/info/{PONTANG}", "Pontang")],
    )
    async def test_regency_and_kecamatan_pages(
        self, client: TestClient, path: str, name: str
    ) -> None:
        """The regency's and a kecamatan's pages name their place and link one level down."""
        page = await get(client, path)
        assert (True, True) == ("<h1>" in page and name in page, 'href="/info/36.04.' in page)

    async def test_desa_page_links_its_poster(self, client: TestClient) -> None:
        """A desa's page names the desa and its kecamatan and links the desa's poster."""
        page = await get(client, f"/info/{KUBANG_PUJI}")
        assert ("Kubang Puji" in page, "Pontang" in page) == (True, True)
        assert f'href="/info/{KUBANG_PUJI}/poster"' in page

    @pytest.mark.parametrize("code", ["36.04.99", "36.04.12.9999", "36.04.01.2001"])
    async def test_unknown_place_is_404(self, client: TestClient, code: str) -> None:
        """A code that is no kecamatan or desa of Kabupaten Serang is a clear 404 page."""
        assert "Halaman tidak ditemukan" in await get(client, f"/info/{code}", 404)

    async def test_english(self, client: TestClient) -> None:
        """?lang=en gives the page in English, with a way back to Indonesian."""
        page = await get(client, "/info?lang=en")
        assert ("Check a placement company" in page, "Bahasa Indonesia" in page) == (True, True)


class TestRegistrySearch:
    async def test_licensed_agency_found_with_status_and_data_date(
        self, client: TestClient
    ) -> None:
        """A licensed agency is found by name, with its licence number, its status and the
        registry's date."""
        agency = next(a for a in sample_agencies() if a.status == "aktif")
        page = await get(client, f"/info?q={agency.name}")
        assert agency.licence_number in page and "Data per " in page, page

    async def test_unknown_name_says_do_not_pay(self, client: TestClient) -> None:
        """A name not in the registry says so and warns not to pay."""
        page = await get(client, "/info?q=PT Calo Tidak Ada Sama Sekali")
        assert 'id="agencies-none"' in page and "Jangan daftar atau bayar" in page

    async def test_typed_markup_stays_text(self, client: TestClient) -> None:
        """A query is shown as text, never as markup."""
        page = await get(client, "/info?q=<script>alert(1)</script>")
        assert "<script>" not in page and "&lt;script&gt;" in page


class TestJobOrdersAndBans:
    async def test_valid_job_orders_are_listed(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A job order valid today of an agency that may recruit is listed with its country,
        job and end date; one that has ended, or of a revoked agency, is not."""
        await import_now(client, conn, sample_job_orders())
        page = await get(client, "/info")
        table = re.search(r'<table id="orders".*?</table>', page, re.S)
        assert table is not None
        listed = ("PT Contoh Samudra Karya", "30-06-2027", "Singapura", "PT Fiktif Permata Rizki")
        assert (True, True, False, False) == tuple(text in table[0] for text in listed)

    async def test_closed_destinations_carry_their_source(self, client: TestClient) -> None:
        """Every ban is listed with its countries, since when and its source."""
        page = await get(client, "/info")
        bans = re.search(r'<ul id="bans">(.*?)</ul>', page, re.S)
        assert bans is not None
        assert ("Arab Saudi" in bans[1], "sejak 01-07-2015" in bans[1], "sumber:" in bans[1]) == (
            True,
            True,
            True,
        )


class TestFigures:
    def test_small_counts_are_hidden(self) -> None:
        """1 to 4 show as '< 5'; 0 and 5 and more show as they are."""
        assert ["0", "< 5", "< 5", "5", "12"] == [shown_count(n) for n in (0, 1, 4, 5, 12)]

    async def test_month_counts_per_category_in_the_area(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A kecamatan's page counts its tips of this month per category, small counts hidden;
        another kecamatan's tips are not counted."""
        for n in range(6):
            await file_test_tip(conn, f"ussd:pub-{n}", kecamatan_code=PONTANG)
        await file_test_tip(conn, "ussd:pub-bahaya", category="bahaya", kecamatan_code=PONTANG)
        await file_test_tip(conn, "ussd:pub-other", kecamatan_code="36.04.09")
        rows = {
            row[0]: row[-1]
            for row in cells(await get(client, f"/info/{PONTANG}"), "tips-by-category")
        }
        labels = ("Calo/sponsor", "BAHAYA sekarang", "Diminta bayar mahal")
        assert ("6", "&lt; 5", "0") == tuple(rows[label] for label in labels), rows

    async def test_no_case_detail(self, client: TestClient, conn: asyncpg.Connection) -> None:
        """No receipt or story of a tip reaches a public page."""
        receipt = await file_test_tip(conn, "ussd:pub-secret", description="Rahasia Pak Darto")
        page = await get(client, f"/info/{PONTANG}")
        assert ("Darto" in page, receipt in page) == (False, False)


class TestPoster:
    async def test_poster_has_codes_hotlines_and_a_qr_code(
        self, client: TestClient, config: Config, sample_db: str, aiohttp_client
    ) -> None:  # type: ignore[no-untyped-def]
        """The desa's poster has the USSD code and SMS number configured, the keywords, the
        hotlines and an SVG QR code of the desa's public page."""
        configured = replace(
            config,
            ussd_service_code="*123*45#",
            sms_number="99876",
            public_url="https://info.example.org",
        )
        poster_client = await aiohttp_client(create_app(configured, sample_db))
        page = await get(poster_client, f"/info/{KUBANG_PUJI}/poster")
        assert ["*123*45#", "99876", "LAPOR", "0800-1000"] == [
            s for s in ["*123*45#", "99876", "LAPOR", "0800-1000"] if s in page
        ]
        assert "<svg" in page and f"https://info.example.org/info/{KUBANG_PUJI}" in page

    async def test_poster_only_for_a_desa(self, client: TestClient) -> None:
        """A kecamatan has no poster: 404."""
        response = await client.get(f"/info/{PONTANG}/poster")
        assert 404 == response.status


class TestWeightAndSafety:
    @pytest.mark.parametrize("path", ["/info", f"/info/{PONTANG}", f"/info/{KUBANG_PUJI}"])
    async def test_page_weighs_under_100_kb_with_everything_inline(
        self, client: TestClient, path: str
    ) -> None:
        """Each page is one document under 100 KB: no script, no external stylesheet or image."""
        response = await client.get(path)
        body = await response.read()
        text = body.decode()
        assert len(body) <= WEIGHT_LIMIT, len(body)
        assert ("<script" in text, '<link rel="stylesheet"' in text, "<img" in text) == (
            False,
            False,
            False,
        )

    async def test_headers_allow_only_the_inline_stylesheet(self, client: TestClient) -> None:
        """The CSP pins the one inline stylesheet by hash; no frame, no sniffing."""
        response = await client.get("/info")
        headers = response.headers
        assert (PUBLIC_CSP, "nosniff") == (
            headers["Content-Security-Policy"],
            headers["X-Content-Type-Options"],
        )
        assert "'unsafe-inline'" not in PUBLIC_CSP and "script-src" not in PUBLIC_CSP
