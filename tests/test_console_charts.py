"""The console's charts over real HTTP: inline SVG drawn from tips, the outbox, USSD session
ends and the agency checks residents make."""

from __future__ import annotations

import html
import itertools
import re
from xml.etree import ElementTree

import asyncpg
from aiohttp.test_utils import TestClient

from gateway.console.vocabulary import label
from gateway.ussd import USSD
from storage.outbox import claim_due, mark_accepted, mark_retry, record_delivery_report
from storage.ussd_events import SessionEvent, record_session_event
from tests.console_helpers import file_test_tip, sign_in, ussd_hop, ussd_walk
from ussd_menus.cases import STATUSES

_sessions = itertools.count()
# The order the charts page must keep along the journeys (other steps may sit in between).
JOURNEYS = [
    "main",
    "check",
    "check_list",
    "check_detail",
    "check_none",
    "report",
    "report_cat",
    "report_kec",
    "report_desa",
    "report_agency",
    "report_desc",
    "report_confirm",
    "report_done",
    "status",
]


def new_session() -> str:
    """A fresh AT session id."""
    return f"ATUid_charts_{next(_sessions)}"


async def charts(client: TestClient) -> str:
    """The charts page."""
    response = await client.get("/console/charts")
    assert 200 == response.status
    return await response.text()


def svg(page: str, chart_id: str) -> str:
    """One chart's SVG markup."""
    match = re.search(rf'<svg [^>]*id="{chart_id}".*?</svg>', page, re.S)
    assert match is not None, chart_id
    return match.group(0)


def bars(page: str, chart_id: str) -> list[tuple[str, int]]:
    """A bar chart's (label, value) pairs, in order."""
    found = re.findall(
        r'<g class="bar" data-key="[^"]*" data-label="([^"]*)" data-value="(\d+)">',
        svg(page, chart_id),
    )
    return [(html.unescape(label), int(value)) for label, value in found]


def keyed(page: str, chart_id: str) -> list[tuple[str, int]]:
    """A bar chart's (key, value) pairs, in order: the stored code behind each label."""
    found = re.findall(
        r'<g class="bar" data-key="([^"]*)" data-label="[^"]*" data-value="(\d+)">',
        svg(page, chart_id),
    )
    return [(html.unescape(key), int(value)) for key, value in found]


def nonzero(page: str, chart_id: str) -> dict[str, int]:
    """A bar chart's bars that have a value."""
    return {label: value for label, value in bars(page, chart_id) if value}


async def end_session(conn: asyncpg.Connection, last_step: str) -> None:
    """Record a finished USSD session that ended on this step."""
    event = SessionEvent(new_session(), "incomplete", last_step, 3, 1000, "51010", "", None)
    await record_session_event(conn, event)


async def post_end(client: TestClient, inputs: list[str]) -> None:
    """AT's end-of-session notification for a session that walked these inputs."""
    session = new_session()
    await ussd_walk(client, session, inputs)
    form = {"sessionId": session, "status": "Incomplete", "input": "*".join(inputs)}
    response = await client.post("/at/ussd/events", data=form)
    assert 200 == response.status


class TestKecamatanChart:
    async def test_one_bar_per_kecamatan(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The chart has a bar for each of the kabupaten's kecamatan."""
        await sign_in(client, conn, "operator")
        kecamatan = await conn.fetchval("SELECT count(*) FROM kecamatan")
        assert (29, 29) == (kecamatan, len(bars(await charts(client), "chart-kecamatan")))

    async def test_bars_count_tips(self, client: TestClient, conn: asyncpg.Connection) -> None:
        """Each kecamatan with tips has a bar as long as its count; the others are empty."""
        await file_test_tip(conn, "ussd:a", kecamatan_code="36.04.12")
        await file_test_tip(conn, "ussd:b", kecamatan_code="36.04.12")
        await file_test_tip(conn, "ussd:c", kecamatan_code="36.04.09")
        await sign_in(client, conn, "operator")
        assert {"Pontang": 2, "Ciruas": 1} == nonzero(await charts(client), "chart-kecamatan")

    async def test_bar_has_a_readable_title(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A bar's tooltip says the kecamatan and its count."""
        await file_test_tip(conn, "ussd:a", kecamatan_code="36.04.12")
        await sign_in(client, conn, "operator")
        assert "<title>Pontang: 1</title>" in svg(await charts(client), "chart-kecamatan")


class TestCasesChart:
    async def test_operator_sees_counts_by_status_in_the_area(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """An operator of Pontang sees how many of Pontang's cases are in each status, no other
        kecamatan's and no tip's text."""
        first = await file_test_tip(conn, "ussd:a", kecamatan_code="36.04.12")
        await file_test_tip(conn, "ussd:b", kecamatan_code="36.04.12")
        await file_test_tip(conn, "ussd:c", kecamatan_code="36.04.09")
        await conn.execute("UPDATE tips SET status = 'tidak_terbukti' WHERE receipt = $1", first)
        await sign_in(client, conn, "operator")
        await conn.execute("UPDATE users SET area = '36.04.12' WHERE name = 'operator-1'")
        other = await conn.fetchval("SELECT status FROM tips WHERE source_ref = 'ussd:b'")
        page = await charts(client)
        words = {s: label("case_status", s, "id") for s in ("tidak_terbukti", other)}
        assert {words["tidak_terbukti"]: 1, words[other]: 1} == nonzero(page, "chart-cases")
        assert "Calo minta uang" not in page

    async def test_one_bar_per_status(self, client: TestClient, conn: asyncpg.Connection) -> None:
        """Every status of the lifecycle has its bar, in the lifecycle's order."""
        await sign_in(client, conn, "operator")
        assert len(STATUSES) == len(bars(await charts(client), "chart-cases"))


class TestDeliveryChart:
    async def test_today_counts_each_outcome(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Today's column stacks delivered, failed or dead, and pending messages."""
        await file_test_tip(conn, "ussd:a", kecamatan_code="36.04.06")  # no officials: 1 SMS
        await file_test_tip(conn, "ussd:b", kecamatan_code="36.04.06")
        await file_test_tip(conn, "ussd:c", kecamatan_code="36.04.06")
        first, second = sorted(row.id for row in await claim_due(conn, 2, 60))
        await mark_accepted(conn, first, "ATXid_chart", "101 Success")
        await record_delivery_report(conn, "ATXid_chart", "delivered", "Success", "")
        await mark_retry(conn, second, "http-500", 0, 1)
        await sign_in(client, conn, "operator")
        columns = re.findall(r'data-values="([\d,]+)"', svg(await charts(client), "chart-delivery"))
        assert (30, "1,1,1") == (len(columns), columns[-1])

    async def test_no_messages_says_no_data(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Without any outbound SMS the chart is replaced by a note."""
        await sign_in(client, conn, "operator")
        page = await charts(client)
        figure = page.split('id="figure-delivery"', 1)[1].split("</figure>", 1)[0]
        assert (False, True) == ("<svg" in figure, "Belum ada data." in figure)


class TestFunnelChart:
    async def test_counts_sessions_by_last_step(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Each step's bar counts the sessions AT reported ending there."""
        await post_end(client, [])
        await post_end(client, ["1"])
        await post_end(client, ["1", "zz*top"])
        await post_end(client, ["2", "2"])
        await post_end(client, ["1"])
        await sign_in(client, conn, "operator")
        counted = {k: v for k, v in keyed(await charts(client), "chart-funnel") if v}
        assert {"main": 1, "check": 2, "check_none": 1, "report_kec": 1} == counted

    async def test_steps_follow_the_journeys(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The bars run along the journeys: main, the check, the report, then status."""
        await end_session(conn, "main")
        await sign_in(client, conn, "operator")
        steps = [key for key, _ in keyed(await charts(client), "chart-funnel")]
        assert JOURNEYS == [step for step in steps if step in JOURNEYS]

    async def test_unlisted_step_comes_last(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A recorded step the journeys do not list is still charted, after them."""
        await end_session(conn, "unknown")
        await sign_in(client, conn, "operator")
        assert ("unknown", 1) == keyed(await charts(client), "chart-funnel")[-1]

    async def test_steps_are_named_in_words(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A step is labelled in the reader's words, never by its node name."""
        await end_session(conn, "report_kec_pick")
        await sign_in(client, conn, "operator")
        shown = dict(bars(await charts(client), "chart-funnel"))
        assert (1, False) == (shown.get("Lapor: pilih kecamatan"), "report_kec_pick" in shown)


async def walk_recorded(client: TestClient, session: str, inputs: list[str]) -> str:
    """A USSD walk, then the agency checks it queued written (hops do not wait for them)."""
    screen = await ussd_walk(client, session, inputs)
    await client.server.app[USSD].desk.drain()
    return screen


class TestNotFoundChart:
    async def test_unknown_name_checked_by_ussd_is_charted(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A name a resident checked that the registry does not know gets a bar."""
        await walk_recorded(client, new_session(), ["1", "PT Hantu Makmur"])
        await sign_in(client, conn, "operator")
        assert [("PT Hantu Makmur", 1)] == bars(await charts(client), "chart-not-found")

    async def test_same_name_from_many_callers_adds_up(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The same name from three callers, typed differently, is one bar of three."""
        for typed in ("PT Hantu Makmur", "pt hantu  makmur", "PT Hantu Makmur"):
            await walk_recorded(client, new_session(), ["1", typed])
        await sign_in(client, conn, "operator")
        assert [("PT Hantu Makmur", 3)] == bars(await charts(client), "chart-not-found")

    async def test_most_asked_comes_first(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Bars are ordered by how often the name was checked."""
        for typed in ("PT Satu Hantu", "PT Dua Hantu", "PT Dua Hantu"):
            await walk_recorded(client, new_session(), ["1", typed])
        await sign_in(client, conn, "operator")
        assert [("PT Dua Hantu", 2), ("PT Satu Hantu", 1)] == bars(
            await charts(client), "chart-not-found"
        )

    async def test_found_name_is_not_charted(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A name the registry knows is recorded as found and gets no bar."""
        await walk_recorded(client, new_session(), ["1", "PT Contoh Samudra Karya"])
        rows = await conn.fetch("SELECT query, found FROM agency_checks")
        assert [("PT Contoh Samudra Karya", True)] == [tuple(r) for r in rows]

    async def test_resent_hop_counts_once(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """AT resending the hop that typed the name records one check."""
        session = new_session()
        await walk_recorded(client, session, ["1", "PT Hantu Makmur"])
        await ussd_hop(client, session, "1*PT Hantu Makmur", "+6281234567890")
        await client.server.app[USSD].desk.drain()
        assert 1 == await conn.fetchval("SELECT count(*) FROM agency_checks")

    async def test_wrong_key_after_not_found_counts_once(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A wrong key pressed on the not-found screen is not another check."""
        await walk_recorded(client, new_session(), ["1", "PT Hantu Makmur", "9"])
        assert 1 == await conn.fetchval("SELECT count(*) FROM agency_checks")

    async def test_search_again_counts_each_name(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Going back ('0') from not found and typing a second name records both names."""
        await walk_recorded(client, new_session(), ["1", "PT Hantu Makmur", "0", "PT Dua Hantu"])
        rows = await conn.fetch("SELECT query FROM agency_checks ORDER BY id")
        assert ["PT Hantu Makmur", "PT Dua Hantu"] == [r["query"] for r in rows]

    async def test_phone_number_typed_is_not_kept(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A phone number typed into the check is never stored."""
        await walk_recorded(client, new_session(), ["1", "081234567890"])
        assert 0 == await conn.fetchval("SELECT count(*) FROM agency_checks")

    async def test_typed_markup_stays_text(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A name typed with markup in it is drawn as text, never as markup."""
        await walk_recorded(client, new_session(), ["1", "<b onclick=x>PT Jahat</b>"])
        await sign_in(client, conn, "operator")
        page = await charts(client)
        assert (False, True) == ("<b onclick" in page, "&lt;b onclick=x&gt;PT Jahat" in page)

    async def test_caption_says_checks_have_no_kecamatan(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The caption explains why checks are not shown by kecamatan."""
        await sign_in(client, conn, "operator")
        assert "Warga tidak menyebut kecamatan saat memeriksa P3MI" in await charts(client)


def numbers(page: str, ident: str) -> dict[str, str]:
    """A chart's numbers table: first cell -> second cell, for rows with a non-zero count."""
    table = page.split(f'id="numbers-{ident}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", r, re.S) for r in rows]
    return {c[0]: c[1] for c in cells if c and c[1] != "0"}


class TestPeriodAndNumbers:
    async def test_period_leaves_out_older_tips(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A tip filed 10 days ago counts over 30 days, not over 7."""
        receipt = await file_test_tip(conn, "ussd:a", kecamatan_code="36.04.12")
        await conn.execute(
            "UPDATE tips SET created_at = now() - interval '10 days' WHERE receipt = $1", receipt
        )
        await sign_in(client, conn, "operator")
        month = nonzero(await charts(client), "chart-kecamatan")
        week_page = await (await client.get("/console/charts?days=7")).text()
        assert ({"Pontang": 1}, {}) == (month, nonzero(week_page, "chart-kecamatan"))

    async def test_each_chart_offers_the_periods(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Every figure links to 7, 30 and 90 days; the chosen one is marked."""
        await sign_in(client, conn, "operator")
        page = await (await client.get("/console/charts?days=90")).text()
        figures = re.findall(
            r'<figure class="card chart-card" id="([^"]+)">(.*?)</figure>', page, re.S
        )
        offered = {
            ident: re.findall(r'href="/console/charts\?days=(\d+)#', body)
            for ident, body in figures
        }
        current = re.findall(r'days=(\d+)#[^"]*" aria-current', page)
        assert (5, True, {"90"}) == (
            len(offered),
            all(v == ["7", "30", "90"] for v in offered.values()),
            set(current),
        )

    async def test_numbers_table_matches_the_bars(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Beside the drawing, a table holds the same numbers."""
        await file_test_tip(conn, "ussd:a", kecamatan_code="36.04.12")
        await file_test_tip(conn, "ussd:b", kecamatan_code="36.04.09")
        await sign_in(client, conn, "operator")
        page = await charts(client)
        assert {"Pontang": "1", "Ciruas": "1"} == numbers(page, "kecamatan")


class TestChartsPage:
    async def test_needs_no_javascript(self, client: TestClient, conn: asyncpg.Connection) -> None:
        """The charts are drawn without any script."""
        await file_test_tip(conn, "ussd:a")
        await sign_in(client, conn, "operator")
        assert "<script" not in await charts(client)

    async def test_needs_no_external_assets(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The page loads nothing from elsewhere."""
        await sign_in(client, conn, "operator")
        page = await charts(client)
        assert [] == re.findall(r'(?:src|href)="https?://', page)

    async def test_every_chart_is_well_formed_svg(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Each chart parses as SVG, even with a resident's odd typing in a label."""
        await file_test_tip(conn, "ussd:a")
        await walk_recorded(client, new_session(), ["1", 'PT "Aneh" & <Co>'])
        await end_session(conn, "check_none")
        await sign_in(client, conn, "operator")
        page = await charts(client)
        ids = ["chart-kecamatan", "chart-delivery", "chart-funnel", "chart-not-found"]
        # The markup parsed is the app's own output, not untrusted XML.
        roots = [ElementTree.fromstring(svg(page, i)).tag for i in ids]  # noqa: S314
        assert ["{http://www.w3.org/2000/svg}svg"] * 4 == roots

    async def test_signed_out_visitor_is_sent_to_login(self, client: TestClient) -> None:
        """The charts need a session."""
        response = await client.get("/console/charts", allow_redirects=False)
        assert 303 == response.status
