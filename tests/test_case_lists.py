"""Lists that scale: keyset pages over tips, the delivery log and the API (every row exactly once,
in order, ties on the moment included), filters that combine and stay in the next link, full-text
search over tip text with Indonesian stemming inside the account's area, and cursors that do not
parse answered cleanly (console: ignored with a message; API: 400). Real PostgreSQL, real HTTP."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import asyncpg
import orjson
import pytest
from aiohttp.test_utils import TestClient

from gateway.console import delivery as delivery_pages
from gateway.console import tips as tip_pages
from storage.areas import EVERYWHERE
from storage.keyset import Cursor, decode_cursor, encode_cursor
from storage.reads import DeliveryFilter, Order, Reader, TipFilter, delivery_rows, tip_rows
from storage.tips import purge
from storage.users import add_api_token
from tests.console_helpers import file_test_tip, load_sample_officials, sign_in
from tests.test_account_areas import sign_in_area

PONTANG = "36.04.12"
TIRTAYASA = "36.04.13"
TOKEN = "lists-token-0123456789abcdef"
# Not base64; not base64 either; a moment without an id; no offset; id 0; id not a number.
BAD_CURSORS = (
    "garbage!",
    "%%%",
    "MjAyNi0xMi0wNQ",
    "MjAyNi0xMi0wNVQwMDowMDowMHw3",
    "MjAyNi0xMi0wNVQwMDowMDowMCswMDowMHww",
    "MjAyNi0xMi0wNVQwMDowMDowMCswMDowMHx4",
)
_NEXT = re.compile(r'id="next-page" href="([^"]+)"')
_RECEIPT_ROW = re.compile(r'<tr data-receipt="(\d+)">')
_OUTBOX_ROW = re.compile(r'<tr data-id="(\d+)">')


async def many_tips(conn: asyncpg.Connection, count: int, same_moment_every: int = 3) -> None:
    """`count` tips in Pontang, `same_moment_every` of them filed at the very same moment."""
    await conn.execute(
        "INSERT INTO tips (receipt, channel, source_ref, category, kecamatan_code, desa,"
        " description, created_at)"
        " SELECT lpad((100000000 + n)::text, 9, '0'), 'ussd', 'lists:' || n, 'calo', $2,"
        " 'Kubang Puji', 'Calo minta uang', timestamptz '2026-11-01 08:00+07'"
        "  + make_interval(mins => n / $3) FROM generate_series(1, $1) AS n",
        count,
        PONTANG,
        same_moment_every,
    )


async def three_alerted_tips(conn: asyncpg.Connection) -> None:
    """Three tips filed as the USSD service does: receipt SMS and alerts in the outbox."""
    await load_sample_officials(conn)
    for i in range(3):
        await file_test_tip(conn, f"ussd:three-{i}")


async def walk_tips(conn: asyncpg.Connection, order: Order, limit: int) -> list[int]:
    """Every tip id the list shows, page after page through the cursor."""
    seen: list[int] = []
    cursor = None
    while True:
        page = await tip_rows(conn, TipFilter(), order, limit, cursor)
        seen += [r.id for r in page.rows]
        if page.next is None:
            return seen
        cursor = page.next


async def ordered_ids(conn: asyncpg.Connection, order: str) -> list[int]:
    rows = await conn.fetch(f"SELECT id FROM tips ORDER BY created_at {order}, id {order}")
    return [r["id"] for r in rows]


class TestTipPages:
    async def test_newest_first_walk_returns_every_tip_once_in_order(
        self, conn: asyncpg.Connection
    ) -> None:
        """Walking newest first by 5 gives all 23 tips once, ties on created_at broken by id."""
        await many_tips(conn, 23)
        assert await ordered_ids(conn, "DESC") == await walk_tips(conn, Order.NEWEST, 5)

    async def test_oldest_first_walk_returns_every_tip_once_in_order(
        self, conn: asyncpg.Connection
    ) -> None:
        """Walking oldest first by 4 gives all 23 tips once, in order."""
        await many_tips(conn, 23)
        assert await ordered_ids(conn, "ASC") == await walk_tips(conn, Order.OLDEST, 4)

    async def test_page_boundary_inside_a_tie(self, conn: asyncpg.Connection) -> None:
        """Ten tips at one moment, pages of 3: none repeated, none lost."""
        await many_tips(conn, 10, same_moment_every=100)
        assert await ordered_ids(conn, "DESC") == await walk_tips(conn, Order.NEWEST, 3)

    async def test_last_page_has_no_next(self, conn: asyncpg.Connection) -> None:
        """A page holding the last rows says there is none after it."""
        await many_tips(conn, 4)
        assert (await tip_rows(conn, TipFilter(), Order.NEWEST, 4)).next is None


class TestFilters:
    async def test_filters_combine(self, client: TestClient, conn: asyncpg.Connection) -> None:
        """Status, category, kecamatan and holder together keep only the tip matching all."""
        await load_sample_officials(conn)
        wanted = await file_test_tip(conn, "ussd:f1", category="biaya")
        await file_test_tip(conn, "ussd:f2", category="calo")
        await file_test_tip(conn, "ussd:f3", category="biaya", kecamatan_code=TIRTAYASA)
        other_holder = await file_test_tip(conn, "ussd:f4", category="biaya")
        await conn.execute(
            "UPDATE tips SET holder = CASE WHEN receipt = $1 THEN 'POLRES' ELSE 'KEC' END,"
            " status = 'diselidiki'",
            wanted,
        )
        await conn.execute("UPDATE tips SET holder = 'POLRES' WHERE receipt = $1", other_holder)
        await conn.execute("UPDATE tips SET status = 'diterima' WHERE receipt = $1", other_holder)
        page = await tip_rows(
            conn,
            TipFilter(
                status="diselidiki", category="biaya", kecamatan_code=PONTANG, holder="POLRES"
            ),
            Order.NEWEST,
            50,
        )
        assert [wanted] == [r.receipt for r in page.rows]

    async def test_holder_filter_alone(self, client: TestClient, conn: asyncpg.Connection) -> None:
        """The holder filter keeps the cases that agency holds."""
        await load_sample_officials(conn)
        police = await file_test_tip(conn, "ussd:h1")
        await file_test_tip(conn, "ussd:h2")
        await conn.execute("UPDATE tips SET holder = 'POLRES' WHERE receipt = $1", police)
        page = await tip_rows(conn, TipFilter(holder="POLRES"), Order.NEWEST, 50)
        assert [police] == [r.receipt for r in page.rows]

    async def test_next_link_keeps_the_filters(
        self, client: TestClient, conn: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Following the console's next links with a category filter lists exactly the
        filtered tips, each once, and every link still carries the filter."""
        monkeypatch.setattr(tip_pages, "PAGE_ROWS", 2)
        await load_sample_officials(conn)
        wanted = [await file_test_tip(conn, f"ussd:n{i}", category="visa") for i in range(5)]
        await file_test_tip(conn, "ussd:n-other", category="calo")
        await sign_in(client, conn, "investigator")
        seen, url, links = [], "/console/tips?category=visa", []
        while url:
            page = await (await client.get(url)).text()
            seen += _RECEIPT_ROW.findall(page)
            match = _NEXT.search(page)
            url = match.group(1).replace("&amp;", "&") if match else ""
            links += [url] if url else []
        assert (sorted(wanted), 5) == (sorted(seen), len(seen))
        assert all(parse_qs(urlsplit(link).query)["category"] == ["visa"] for link in links)


PAYING = "Disuruh bayar 5 juta dulu"


@pytest.fixture
async def paying_tip(conn: asyncpg.Connection) -> str:
    """A Pontang tip that says "bayar" (its receipt), beside one that does not."""
    await load_sample_officials(conn)
    receipt = await file_test_tip(conn, "ussd:paying", description=PAYING)
    await file_test_tip(conn, "ussd:passport", description="Paspor ditahan calo")
    return receipt


class TestTextSearch:
    async def test_inflected_word_finds_its_stem(
        self, conn: asyncpg.Connection, paying_tip: str
    ) -> None:
        """Searching "membayar" finds a tip that says "bayar" (Indonesian stemming)."""
        page = await tip_rows(conn, TipFilter(text="membayar"), Order.NEWEST, 50)
        assert [paying_tip] == [r.receipt for r in page.rows]

    async def test_agency_name_is_searched(self, conn: asyncpg.Connection) -> None:
        """A word of the agency name a tip names finds it."""
        await many_tips(conn, 2)
        await conn.execute(
            "UPDATE tips SET agency_name = 'PT Sinar Jaya' WHERE source_ref = $1", "lists:1"
        )
        page = await tip_rows(conn, TipFilter(text="sinar"), Order.NEWEST, 50)
        assert ["lists:1"] == [
            await conn.fetchval("SELECT source_ref FROM tips WHERE id = $1", r.id)
            for r in page.rows
        ]

    async def test_search_stays_inside_the_area(
        self, client: TestClient, conn: asyncpg.Connection, paying_tip: str
    ) -> None:
        """A Tirtayasa investigator searching a Pontang tip's word finds nothing."""
        await sign_in_area(client, conn, "investigator", TIRTAYASA)
        page = await (await client.get("/console/tips?q=membayar")).text()
        assert [] == _RECEIPT_ROW.findall(page)

    async def test_console_search_finds_inside_the_area(
        self, client: TestClient, conn: asyncpg.Connection, paying_tip: str
    ) -> None:
        """A Pontang investigator's search finds the Pontang tip by an inflected word."""
        await sign_in_area(client, conn, "investigator", PONTANG)
        page = await (await client.get("/console/tips?q=membayar")).text()
        assert [paying_tip] == _RECEIPT_ROW.findall(page)

    async def test_purged_tip_is_not_found_by_its_old_text(
        self, conn: asyncpg.Connection, paying_tip: str
    ) -> None:
        """After retention purges a tip's text, its old words find nothing."""
        await conn.execute("UPDATE tips SET created_at = now() - interval '400 days'")
        await purge(conn, 365, 30)
        page = await tip_rows(conn, TipFilter(text="bayar"), Order.NEWEST, 50)
        assert [] == page.rows

    async def test_operator_cannot_search_text(
        self, client: TestClient, conn: asyncpg.Connection, paying_tip: str
    ) -> None:
        """An operator's text search is refused (403: the tips list is not theirs at all)."""
        await sign_in(client, conn, "operator")
        response = await client.get("/console/tips?q=bayar")
        assert (403, []) == (response.status, _RECEIPT_ROW.findall(await response.text()))


class TestBadCursor:
    @pytest.mark.parametrize("cursor", BAD_CURSORS)
    def test_decode_refuses(self, cursor: str) -> None:
        """A token `encode_cursor` did not make is no cursor."""
        assert decode_cursor(cursor) is None

    def test_round_trip(self) -> None:
        """A cursor survives its token."""
        cursor = Cursor(datetime(2026, 12, 5, 8, 30, 0, 123456, tzinfo=UTC), 42)
        assert cursor == decode_cursor(encode_cursor(cursor))

    @pytest.mark.parametrize("path", ("/console/tips", "/console/delivery"))
    async def test_console_shows_first_page_with_a_message(
        self, client: TestClient, conn: asyncpg.Connection, path: str
    ) -> None:
        """A console list with a broken cursor answers 200, the first page and a message."""
        await load_sample_officials(conn)
        await file_test_tip(conn, "ussd:c1")
        await sign_in(client, conn, "investigator")
        response = await client.get(path, params={"after": "garbage"})
        page = await response.text()
        rows = _RECEIPT_ROW.findall(page) or _OUTBOX_ROW.findall(page)
        assert (200, True, True) == (response.status, 'id="bad-cursor"' in page, bool(rows))

    @pytest.mark.parametrize("path", ("/api/v1/tips", "/api/v1/delivery"))
    async def test_api_answers_400_naming_cursor(
        self, client: TestClient, conn: asyncpg.Connection, path: str
    ) -> None:
        """The API answers a broken cursor with a 400 that names the parameter."""
        await add_api_token(conn, TOKEN, "lists")
        response = await client.get(
            path, params={"cursor": "garbage"}, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        body = orjson.loads(await response.text())
        assert (400, True) == (response.status, body["error"].startswith("cursor:"))


async def api_walk(client: TestClient, path: str, key: str, **params: str) -> list[str]:
    """Every item's key, following next_cursor page after page."""
    seen: list[str] = []
    query = dict(params)
    while True:
        response = await client.get(
            path, params=query, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        body = orjson.loads(await response.text())
        assert 200 == response.status, body
        seen += [str(item[key]) for item in body["items"]]
        if body["next_cursor"] is None:
            return seen
        query = {**params, "cursor": body["next_cursor"]}


class TestApiPages:
    async def test_tips_walk_returns_every_tip_once_oldest_first(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """/api/v1/tips by 4, through next_cursor, lists all 11 tips once, oldest first."""
        await many_tips(conn, 11)
        await add_api_token(conn, TOKEN, "lists")
        rows = await conn.fetch("SELECT receipt FROM tips ORDER BY created_at, id")
        assert [r["receipt"] for r in rows] == await api_walk(
            client, "/api/v1/tips", "receipt", limit="4"
        )

    async def test_delivery_walk_returns_every_message_once(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """/api/v1/delivery by 2 lists every outbound SMS once, least recently changed first."""
        await three_alerted_tips(conn)
        await conn.execute("UPDATE outbox SET updated_at = timestamptz '2026-12-01 09:00+07'")
        await add_api_token(conn, TOKEN, "lists")
        rows = await conn.fetch("SELECT id FROM outbox ORDER BY updated_at, id")
        assert [str(r["id"]) for r in rows] == await api_walk(
            client, "/api/v1/delivery", "id", limit="2"
        )


class TestDeliveryLog:
    async def test_storage_walk_returns_every_message_once(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The console's order (newest first) by 3 gives every SMS once, ties included."""
        await three_alerted_tips(conn)
        await conn.execute("UPDATE outbox SET created_at = timestamptz '2026-12-01 09:00+07'")
        seen, cursor = [], None
        while True:
            page = await delivery_rows(
                conn, Reader.CONSOLE, DeliveryFilter(area=EVERYWHERE), Order.NEWEST, 3, cursor
            )
            seen += [r.id for r in page.rows]
            if page.next is None:
                break
            cursor = page.next
        rows = await conn.fetch("SELECT id FROM outbox ORDER BY id DESC")
        assert [r["id"] for r in rows] == seen

    async def test_csv_streams_every_row_past_a_page(
        self, client: TestClient, conn: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The CSV export holds every SMS even when it takes many queries of 2 rows."""
        monkeypatch.setattr(delivery_pages, "CSV_PAGE", 2)
        await three_alerted_tips(conn)
        await sign_in(client, conn, "operator")
        response = await client.get("/console/delivery.csv")
        lines = list(csv.reader(io.StringIO(await response.text())))[1:]
        every = {str(r["id"]) for r in await conn.fetch("SELECT id FROM outbox")}
        assert (every, len(every)) == ({line[0] for line in lines}, len(lines))
