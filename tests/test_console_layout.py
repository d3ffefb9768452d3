"""The console's layout over real HTTP (issue 17): a refusal and an unknown address are console
pages in the account's language with a way home, and every table with a header row labels its
cells so that a phone's screen can stack them."""

from __future__ import annotations

import re

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway.console.render import label_cells
from tests.console_helpers import csrf_token, sign_in


async def switch_to_english(client: TestClient) -> None:
    """Press the language button."""
    form = {"csrf": await csrf_token(client), "lang": "en", "next": "/console"}
    assert 303 == (await client.post("/console/lang", data=form, allow_redirects=False)).status


class TestRefusalPages:
    @pytest.mark.parametrize(
        ("english", "text"),
        [(False, "Anda tidak berhak membuka halaman ini."), (True, "You may not open this page.")],
    )
    async def test_forbidden_page_is_a_console_page(
        self, client: TestClient, conn: asyncpg.Connection, english: bool, text: str
    ) -> None:
        """An operator opening the accounts page gets a 403 in the layout, language and a link
        home."""
        await sign_in(client, conn, "operator")
        if english:
            await switch_to_english(client)
        response = await client.get("/console/accounts")
        page = await response.text()
        assert (403, True, True, True) == (
            response.status,
            text in page,
            '<a href="/console" id="home-link">' in page,
            '<link rel="stylesheet" href="/console/static/console.css">' in page,
        )

    async def test_missing_csrf_says_the_form_expired(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A POST without its token is a 403 page saying to reload, not a bare word."""
        await sign_in(client, conn, "admin")
        response = await client.post("/console/accounts", data={"name": "x"})
        assert (403, True) == (
            response.status,
            "Formulir kedaluwarsa. Muat ulang halaman." in await response.text(),
        )

    @pytest.mark.parametrize("path", ["/console/no-such-page", "/console/tips/999999999"])
    async def test_not_found_is_a_console_page(
        self, client: TestClient, conn: asyncpg.Connection, path: str
    ) -> None:
        """An unknown address or receipt is a 404 with the account's navigation and a link
        home."""
        await sign_in(client, conn, "investigator")
        await switch_to_english(client)
        response = await client.get(path)
        page = await response.text()
        assert (404, True, True, True) == (
            response.status,
            "Not found." in page,
            '<a href="/console" id="home-link">' in page,
            'href="/console/tips"' in page,
        )

    async def test_not_found_signed_out_has_no_navigation(self, client: TestClient) -> None:
        """Signed out, an unknown console address is still the layout, with no account menu."""
        response = await client.get("/console/no-such-page")
        page = await response.text()
        assert (404, True, False) == (
            response.status,
            "Tidak ditemukan." in page,
            'href="/console/delivery"' in page,
        )


class TestStackedTables:
    def test_cells_get_their_column_label(self) -> None:
        """Each data cell of a table with a header row carries its column's label."""
        page = label_cells(
            '<table><thead><tr><th>Nama</th><th colspan="2">A &amp; B</th></tr></thead>'
            "<tbody><tr><td>x</td><td>1</td><td>2</td></tr></tbody></table>"
        )
        assert [("Nama", "x"), ("A &amp; B", "1"), ("A &amp; B", "2")] == re.findall(
            r'<td data-label="([^"]*)">([^<]*)</td>', page
        )

    def test_key_value_table_is_left_alone(self) -> None:
        """A table whose rows start with their own header is not relabelled."""
        page = (
            "<table><tr><th>Status</th><td>baru</td></tr><tr><th>Hari</th><td>-</td></tr></table>"
        )
        assert page == label_cells(page)

    async def test_registry_rows_are_labelled(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The registry page's table cells are labelled; the table's own tag is unchanged."""
        await sign_in(client, conn, "operator")
        page = await (await client.get("/console/registry")).text()
        assert (True, True) == (
            '<table id="agencies">' in page,
            'data-label="Nama"' in page,
        )
