"""Area-limited access over real HTTP: an account (or API token) of one kecamatan or desa finds
no tip of another anywhere (list, receipt search, direct URL, delivery CSV, charts, API), a tip
outside its area is a 404, and a regency-wide account finds every tip."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from storage.users import add_api_token
from tests.console_helpers import (
    PONTANG,
    TIRTAYASA,
    file_test_tip,
    load_sample_officials,
    sign_in_area,
)

KUBANG_PUJI = "36.04.12.2008"  # the desa the test tips name
PONTANG_DESA = "36.04.12.2001"  # another desa of the same kecamatan
TIP_ROLES = ("investigator", "admin")


@dataclass(frozen=True, slots=True)
class Tips:
    """One tip in Pontang (desa Kubang Puji), one in Tirtayasa, one with no kecamatan."""

    pontang: str
    tirtayasa: str
    nowhere: str


@pytest.fixture
async def tips(client: TestClient, conn: asyncpg.Connection) -> Tips:
    """The three tips, with their alerts to the sample officials."""
    await load_sample_officials(conn)
    return Tips(
        await file_test_tip(conn, "ussd:area-pontang", kecamatan_code=PONTANG),
        await file_test_tip(conn, "ussd:area-tirtayasa", kecamatan_code=TIRTAYASA),
        await file_test_tip(conn, "ussd:area-nowhere", kecamatan_code=None),
    )


async def listed(client: TestClient, query: str = "") -> set[str]:
    """The receipts the tips list shows."""
    response = await client.get("/console/tips" + query)
    assert 200 == response.status
    return set(re.findall(r'<tr data-receipt="(\d+)">', await response.text()))


async def alert_ids(conn: asyncpg.Connection, receipt: str) -> set[str]:
    """The outbox ids of a tip's alerts."""
    rows = await conn.fetch(
        "SELECT o.id FROM outbox o JOIN tips t ON t.id = o.tip_id WHERE t.receipt = $1", receipt
    )
    assert rows
    return {str(r["id"]) for r in rows}


async def csv_ids(client: TestClient) -> set[str]:
    """The outbox ids in the delivery log's CSV export."""
    response = await client.get("/console/delivery.csv")
    assert 200 == response.status
    return {row[0] for row in list(csv.reader(io.StringIO(await response.text())))[1:]}


@pytest.mark.parametrize("role", TIP_ROLES)
class TestKecamatanAccount:
    async def test_list_shows_only_its_kecamatan(
        self, client: TestClient, conn: asyncpg.Connection, tips: Tips, role: str
    ) -> None:
        """A Tirtayasa account's list holds the Tirtayasa tip alone."""
        await sign_in_area(client, conn, role, TIRTAYASA)
        assert {tips.tirtayasa} == await listed(client)

    async def test_receipt_search_finds_nothing_outside(
        self, client: TestClient, conn: asyncpg.Connection, tips: Tips, role: str
    ) -> None:
        """Searching the Pontang tip's receipt from Tirtayasa finds nothing."""
        await sign_in_area(client, conn, role, TIRTAYASA)
        assert set() == await listed(client, f"?receipt={tips.pontang}")

    async def test_receipt_search_finds_its_own(
        self, client: TestClient, conn: asyncpg.Connection, tips: Tips, role: str
    ) -> None:
        """Searching its own tip's receipt finds it."""
        await sign_in_area(client, conn, role, TIRTAYASA)
        assert {tips.tirtayasa} == await listed(client, f"?receipt={tips.tirtayasa}")

    async def test_direct_url_outside_is_404(
        self, client: TestClient, conn: asyncpg.Connection, tips: Tips, role: str
    ) -> None:
        """The Pontang tip's page is a 404 (not a 403) for a Tirtayasa account."""
        await sign_in_area(client, conn, role, TIRTAYASA)
        assert 404 == (await client.get(f"/console/tips/{tips.pontang}")).status

    async def test_direct_url_outside_leaves_no_read(
        self, client: TestClient, conn: asyncpg.Connection, tips: Tips, role: str
    ) -> None:
        """A refused tip page writes no audited read."""
        await sign_in_area(client, conn, role, TIRTAYASA)
        await client.get(f"/console/tips/{tips.pontang}")
        assert 0 == await conn.fetchval("SELECT count(*) FROM tip_reads")

    async def test_direct_url_inside_opens(
        self, client: TestClient, conn: asyncpg.Connection, tips: Tips, role: str
    ) -> None:
        """Its own kecamatan's tip opens."""
        await sign_in_area(client, conn, role, TIRTAYASA)
        assert 200 == (await client.get(f"/console/tips/{tips.tirtayasa}")).status

    async def test_tip_without_kecamatan_is_404(
        self, client: TestClient, conn: asyncpg.Connection, tips: Tips, role: str
    ) -> None:
        """A tip with no kecamatan is the regency's only."""
        await sign_in_area(client, conn, role, TIRTAYASA)
        assert 404 == (await client.get(f"/console/tips/{tips.nowhere}")).status

    async def test_csv_export_has_no_alert_of_another_kecamatan(
        self, client: TestClient, conn: asyncpg.Connection, tips: Tips, role: str
    ) -> None:
        """The delivery CSV holds none of the Pontang tip's alerts."""
        await sign_in_area(client, conn, role, TIRTAYASA)
        assert not (await alert_ids(conn, tips.pontang)) & await csv_ids(client)

    async def test_csv_export_has_its_alerts(
        self, client: TestClient, conn: asyncpg.Connection, tips: Tips, role: str
    ) -> None:
        """The delivery CSV holds every alert of its own tip."""
        await sign_in_area(client, conn, role, TIRTAYASA)
        assert await alert_ids(conn, tips.tirtayasa) <= await csv_ids(client)

    async def test_alert_message_page_outside_is_404(
        self, client: TestClient, conn: asyncpg.Connection, tips: Tips, role: str
    ) -> None:
        """An alert SMS about the Pontang tip is a 404 in the delivery log."""
        await sign_in_area(client, conn, role, TIRTAYASA)
        outbox_id = min(await alert_ids(conn, tips.pontang), key=int)
        assert 404 == (await client.get(f"/console/delivery/{outbox_id}")).status


@pytest.mark.parametrize("role", TIP_ROLES)
class TestRegencyAccount:
    async def test_list_shows_every_tip(
        self, client: TestClient, conn: asyncpg.Connection, tips: Tips, role: str
    ) -> None:
        """A regency-wide account lists all three tips."""
        await sign_in_area(client, conn, role, "*")
        assert {tips.pontang, tips.tirtayasa, tips.nowhere} == await listed(client)

    async def test_receipt_search_finds_any(
        self, client: TestClient, conn: asyncpg.Connection, tips: Tips, role: str
    ) -> None:
        """Searching the Pontang receipt finds it."""
        await sign_in_area(client, conn, role, "*")
        assert {tips.pontang} == await listed(client, f"?receipt={tips.pontang}")

    async def test_tip_without_kecamatan_opens(
        self, client: TestClient, conn: asyncpg.Connection, tips: Tips, role: str
    ) -> None:
        """A tip with no kecamatan opens for the regency."""
        await sign_in_area(client, conn, role, "*")
        assert 200 == (await client.get(f"/console/tips/{tips.nowhere}")).status

    async def test_csv_export_has_every_alert(
        self, client: TestClient, conn: asyncpg.Connection, tips: Tips, role: str
    ) -> None:
        """The delivery CSV holds the alerts of both kecamatan."""
        await sign_in_area(client, conn, role, "*")
        wanted = await alert_ids(conn, tips.pontang) | await alert_ids(conn, tips.tirtayasa)
        assert wanted <= await csv_ids(client)


@pytest.mark.parametrize("role", TIP_ROLES)
class TestDesaAccount:
    async def test_list_shows_its_desa_tip(
        self, client: TestClient, conn: asyncpg.Connection, tips: Tips, role: str
    ) -> None:
        """A Kubang Puji account lists the Pontang tip filed in Kubang Puji, alone."""
        await sign_in_area(client, conn, role, KUBANG_PUJI)
        assert {tips.pontang} == await listed(client)

    async def test_other_desa_lists_nothing(
        self, client: TestClient, conn: asyncpg.Connection, tips: Tips, role: str
    ) -> None:
        """An account of another desa of Pontang lists nothing."""
        await sign_in_area(client, conn, role, PONTANG_DESA)
        assert set() == await listed(client)

    async def test_other_desa_direct_url_is_404(
        self, client: TestClient, conn: asyncpg.Connection, tips: Tips, role: str
    ) -> None:
        """An account of another desa of Pontang gets a 404 for the Kubang Puji tip."""
        await sign_in_area(client, conn, role, PONTANG_DESA)
        assert 404 == (await client.get(f"/console/tips/{tips.pontang}")).status


class TestOperatorAccount:
    async def test_csv_export_has_no_alert_of_another_kecamatan(
        self, client: TestClient, conn: asyncpg.Connection, tips: Tips
    ) -> None:
        """A Tirtayasa operator's delivery CSV holds none of the Pontang tip's alerts."""
        await sign_in_area(client, conn, "operator", TIRTAYASA)
        assert not (await alert_ids(conn, tips.pontang)) & await csv_ids(client)

    async def test_alert_message_page_outside_is_404(
        self, client: TestClient, conn: asyncpg.Connection, tips: Tips
    ) -> None:
        """A Tirtayasa operator gets a 404 for an alert SMS about the Pontang tip."""
        await sign_in_area(client, conn, "operator", TIRTAYASA)
        outbox_id = min(await alert_ids(conn, tips.pontang), key=int)
        assert 404 == (await client.get(f"/console/delivery/{outbox_id}")).status

    async def test_regency_operator_csv_has_every_alert(
        self, client: TestClient, conn: asyncpg.Connection, tips: Tips
    ) -> None:
        """A regency-wide operator's delivery CSV holds the alerts of both kecamatan."""
        await sign_in_area(client, conn, "operator", "*")
        wanted = await alert_ids(conn, tips.pontang) | await alert_ids(conn, tips.tirtayasa)
        assert wanted <= await csv_ids(client)


class TestCharts:
    @pytest.mark.parametrize("role", ("operator", "investigator", "admin"))
    async def test_kecamatan_chart_shows_only_its_kecamatan(
        self, client: TestClient, conn: asyncpg.Connection, tips: Tips, role: str
    ) -> None:
        """A Tirtayasa account's chart has one bar, Tirtayasa's, counting its one tip."""
        await sign_in_area(client, conn, role, TIRTAYASA)
        page = await (await client.get("/console/charts")).text()
        chart = page.split('id="chart-kecamatan"', 1)[1].split("</svg>", 1)[0]
        assert [(TIRTAYASA, "1")] == re.findall(
            r'data-key="([^"]+)" data-label="[^"]*" data-value="(\d+)"', chart
        )


TOKEN = "area-test-token-0123456789abcdef"


async def api_get(client: TestClient, url: str) -> tuple[int, dict[str, object]]:
    """GET an API URL with the test token; status and JSON."""
    response = await client.get(url, headers={"Authorization": f"Bearer {TOKEN}"})
    return response.status, await response.json()


class TestApiToken:
    async def test_list_shows_only_its_kecamatan(
        self, client: TestClient, conn: asyncpg.Connection, tips: Tips
    ) -> None:
        """A Tirtayasa token lists the Tirtayasa tip alone."""
        await add_api_token(conn, TOKEN, "kecamatan-tirtayasa", TIRTAYASA)
        _, body = await api_get(client, "/api/v1/tips")
        assert [tips.tirtayasa] == [i["receipt"] for i in body["items"]]  # type: ignore[attr-defined]

    async def test_tip_outside_is_404(
        self, client: TestClient, conn: asyncpg.Connection, tips: Tips
    ) -> None:
        """A Tirtayasa token gets a 404 for the Pontang tip."""
        await add_api_token(conn, TOKEN, "kecamatan-tirtayasa", TIRTAYASA)
        assert 404 == (await api_get(client, f"/api/v1/tips/{tips.pontang}"))[0]

    async def test_alert_outside_is_404(
        self, client: TestClient, conn: asyncpg.Connection, tips: Tips
    ) -> None:
        """A Tirtayasa token gets a 404 for an alert SMS about the Pontang tip."""
        await add_api_token(conn, TOKEN, "kecamatan-tirtayasa", TIRTAYASA)
        outbox_id = min(await alert_ids(conn, tips.pontang), key=int)
        assert 404 == (await api_get(client, f"/api/v1/delivery/{outbox_id}"))[0]

    async def test_regency_token_reads_any_tip(
        self, client: TestClient, conn: asyncpg.Connection, tips: Tips
    ) -> None:
        """A token made without an area reads the Pontang tip."""
        await add_api_token(conn, TOKEN, "dinas")
        assert 200 == (await api_get(client, f"/api/v1/tips/{tips.pontang}"))[0]
