"""The home page as today's work, the receipt box in every page's header, and the delivery log's
and registry's searches, over real HTTP on a real PostgreSQL: every count is a link to the list
that shows exactly those rows, and nothing reaches an account outside its area."""

from __future__ import annotations

import re
from datetime import datetime

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway.console.render import WIB
from tests.console_helpers import (
    TIRTAYASA,
    sign_in_area,
)
from ussd_menus.receipts import show_receipt


async def page(client: TestClient, path: str) -> str:
    """A page's HTML (200 expected)."""
    response = await client.get(path)
    assert 200 == response.status, path
    return await response.text()


def work(html: str) -> dict[str, tuple[int, str]]:
    """The home page's counts: key -> (count, link)."""
    found = re.findall(r'<a href="([^"]+)" data-work="(\w+)"><strong>(\d+)</strong>', html)
    return {key: (int(count), link.replace("&amp;", "&")) for link, key, count in found}


def delivery_ids(html: str) -> set[str]:
    """The message ids a delivery log page lists."""
    return set(re.findall(r'<tr data-id="(\d+)">', html))


async def test_home_counts_new_cases_of_the_account_area_only(
    client: TestClient, conn: asyncpg.Connection, two_tips: tuple[str, str]
) -> None:
    """An investigator of one kecamatan counts that kecamatan's case filed today, not the
    other's."""
    await sign_in_area(client, conn, "investigator", TIRTAYASA)
    day = datetime.now(WIB).date().isoformat()
    counts = work(await page(client, "/console"))
    assert (1, f"/console/tips?from={day}&to={day}") == counts["work_new_cases"]


async def test_home_case_count_links_to_a_list_of_exactly_those(
    client: TestClient, conn: asyncpg.Connection, two_tips: tuple[str, str]
) -> None:
    """The new-cases link lists the one case of the account's area."""
    await sign_in_area(client, conn, "investigator", TIRTAYASA)
    _, link = work(await page(client, "/console"))["work_new_cases"]
    listed = set(re.findall(r'<tr data-receipt="(\d+)">', await page(client, link)))
    assert {two_tips[1]} == listed


async def test_home_alert_count_links_to_a_list_of_exactly_those(
    client: TestClient, conn: asyncpg.Connection, two_tips: tuple[str, str]
) -> None:
    """The unacknowledged-alerts count equals the rows its filtered delivery log lists."""
    await sign_in_area(client, conn, "operator", TIRTAYASA)
    count, link = work(await page(client, "/console"))["work_alerts_waiting"]
    assert count > 0
    assert count == len(delivery_ids(await page(client, link)))


async def test_home_overdue_alerts_are_counted_once_past_their_time(
    client: TestClient, conn: asyncpg.Connection, two_tips: tuple[str, str]
) -> None:
    """An alert past its acknowledgement time moves from waiting to overdue."""
    await conn.execute("UPDATE alerts SET ack_due_at = now() - interval '1 hour'")
    await sign_in_area(client, conn, "admin", "*")
    counts = work(await page(client, "/console"))
    assert 0 == counts["work_alerts_waiting"][0]
    assert counts["work_alerts_overdue"][0] == len(
        delivery_ids(await page(client, counts["work_alerts_overdue"][1]))
    )


async def test_home_counts_failed_and_dead_sms(
    client: TestClient, conn: asyncpg.Connection, two_tips: tuple[str, str]
) -> None:
    """A dead SMS about the account's tip is counted and linked to the dead list."""
    await conn.execute(
        "UPDATE outbox SET status = 'dead' WHERE id = (SELECT min(o.id) FROM outbox o"
        " JOIN tips t ON t.id = o.tip_id WHERE t.receipt = $1)",
        two_tips[1],
    )
    await sign_in_area(client, conn, "operator", TIRTAYASA)
    counts = work(await page(client, "/console"))
    assert (1, "/console/delivery?status=dead") == counts["work_sms_dead"]
    assert 0 == counts["work_sms_failed"][0]


async def test_home_shows_no_case_counts_to_an_operator(
    client: TestClient, conn: asyncpg.Connection, two_tips: tuple[str, str]
) -> None:
    """An operator may not read cases: no case count on the home page."""
    await sign_in_area(client, conn, "operator", "*")
    counts = work(await page(client, "/console"))
    assert "work_new_cases" not in counts and "work_sms_dead" in counts


async def test_home_shows_the_registry_data_date(
    client: TestClient, conn: asyncpg.Connection
) -> None:
    """The registry's data date is on the home page, linked to the registry."""
    await sign_in_area(client, conn, "operator", "*")
    assert re.search(r'data-work="registry_date">[^<]*2026-11-01', await page(client, "/console"))


async def test_receipt_box_opens_a_case_of_the_account_area(
    client: TestClient, conn: asyncpg.Connection, two_tips: tuple[str, str]
) -> None:
    """A receipt typed with its separators goes to the case's page."""
    await sign_in_area(client, conn, "investigator", TIRTAYASA)
    response = await client.get(
        "/console/find", params={"q": show_receipt(two_tips[1])}, allow_redirects=False
    )
    assert f"/console/tips/{two_tips[1]}" == response.headers["Location"]


async def test_receipt_box_answers_alike_outside_the_area_and_unknown(
    client: TestClient, conn: asyncpg.Connection, two_tips: tuple[str, str]
) -> None:
    """Another area's receipt and a receipt no case has get the same page."""
    await sign_in_area(client, conn, "investigator", TIRTAYASA)
    other = await client.get("/console/find", params={"q": two_tips[0]})
    other_html = await other.text()
    unknown_receipt = next(r for r in ("100000009", "123456782") if r not in two_tips)
    unknown = await client.get("/console/find", params={"q": unknown_receipt})
    assert (404, 404) == (other.status, unknown.status)
    assert other_html.replace(two_tips[0], "R") == (await unknown.text()).replace(
        unknown_receipt, "R"
    )
    assert 'id="find-none"' in other_html


async def test_receipt_box_sends_words_to_the_case_search(
    client: TestClient, conn: asyncpg.Connection
) -> None:
    """Text that is not a receipt searches the cases' words."""
    await sign_in_area(client, conn, "investigator", "*")
    response = await client.get("/console/find", params={"q": "calo Taiwan"}, allow_redirects=False)
    assert "/console/tips?q=calo+Taiwan" == response.headers["Location"]


@pytest.mark.parametrize(("role", "shown"), [("operator", False), ("investigator", True)])
async def test_receipt_box_is_in_the_header_for_roles_that_read_cases(
    client: TestClient, conn: asyncpg.Connection, role: str, shown: bool
) -> None:
    """The box is on every page for investigators and admins, never for operators."""
    await sign_in_area(client, conn, role, "*")
    assert shown == ('action="/console/find"' in await page(client, "/console/registry"))


async def test_delivery_log_finds_the_sms_of_a_receipt(
    client: TestClient, conn: asyncpg.Connection, two_tips: tuple[str, str]
) -> None:
    """The receipt filter lists only the SMS about that tip."""
    await sign_in_area(client, conn, "investigator", "*")
    expected = {
        str(i)
        for i in await conn.fetchval(
            "SELECT array_agg(o.id) FROM outbox o JOIN tips t ON t.id = o.tip_id"
            " WHERE t.receipt = $1",
            two_tips[0],
        )
    }
    listed = delivery_ids(await page(client, f"/console/delivery?receipt={two_tips[0]}"))
    assert expected == listed


async def test_delivery_log_ignores_a_receipt_from_an_operator(
    client: TestClient, conn: asyncpg.Connection, two_tips: tuple[str, str]
) -> None:
    """An operator's receipt filter does nothing (it would tell a receipt exists)."""
    await sign_in_area(client, conn, "operator", "*")
    everything = delivery_ids(await page(client, "/console/delivery"))
    filtered = await page(client, f"/console/delivery?receipt={two_tips[0]}")
    assert everything == delivery_ids(filtered)


async def test_delivery_log_finds_the_sms_to_an_office(
    client: TestClient, conn: asyncpg.Connection, two_tips: tuple[str, str]
) -> None:
    """The office filter lists only SMS to officials of that office."""
    await sign_in_area(client, conn, "operator", "*")
    expected = {
        str(i)
        for i in await conn.fetchval(
            "SELECT array_agg(o.id) FROM outbox o JOIN officials f ON f.id = o.official_id"
            " WHERE f.office = 'Kecamatan Tirtayasa'"
        )
    }
    listed = delivery_ids(await page(client, "/console/delivery?office=Kecamatan+Tirtayasa"))
    assert expected and expected == listed


async def test_registry_search_by_name_words(client: TestClient, conn: asyncpg.Connection) -> None:
    """Words of a name find that agency only."""
    await sign_in_area(client, conn, "operator", "*")
    html = await page(client, "/console/registry?q=samudra+karya+contoh")
    assert "PT Contoh Samudra Karya" in html and "PT Sampel Bahari Sejahtera" not in html


async def test_registry_search_by_licence_number(
    client: TestClient, conn: asyncpg.Connection
) -> None:
    """A licence number finds its agency."""
    await sign_in_area(client, conn, "operator", "*")
    html = await page(client, "/console/registry?q=99290507617021532")
    assert "PT Sampel Bahari Sejahtera" in html and "PT Contoh Samudra Karya" not in html


async def test_registry_search_by_status_counts_an_expired_licence(
    client: TestClient, conn: asyncpg.Connection
) -> None:
    """The status filter reads the licence's state today: none of the active ones is expired."""
    await sign_in_area(client, conn, "operator", "*")
    await conn.execute(
        "UPDATE agencies SET valid_until = '2020-01-01' WHERE name = 'PT Sampel Bahari Sejahtera'"
    )
    html = await page(client, "/console/registry?status=kedaluwarsa")
    assert "PT Sampel Bahari Sejahtera" in html and "PT Contoh Samudra Karya" not in html


async def test_registry_shows_the_snapshot_data_date_and_source(
    client: TestClient, conn: asyncpg.Connection
) -> None:
    """The page says which snapshot it shows: its data date and file."""
    await sign_in_area(client, conn, "operator", "*")
    html = await page(client, "/console/registry")
    assert re.search(r'id="registry-source">[^<]*2026-11-01[^<]*sample', html)
