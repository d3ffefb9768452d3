"""Helpers for the console tests: accounts, logging in over HTTP, and the CSRF token of a page."""

from __future__ import annotations

import re

import asyncpg
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from gateway.alerting import alert_text
from gateway.console.auth import hash_password
from gateway.phones import normalize
from storage.officials import import_officials, parse_officials
from storage.outbox import QueuedSms
from storage.regions import load_kecamatan
from storage.sample import sample_officials_csv
from storage.tips import CATEGORIES, Filed, NewTip, file_tip
from storage.users import add_user
from ussd_menus.receipts import new_receipt

# Two kecamatan of the sample officials, for tests of what an area sees.
PONTANG = "36.04.12"
TIRTAYASA = "36.04.13"

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_LOGIN_CSRF = re.compile(r'name="login_csrf" value="([^"]+)"')


async def add_account(conn: asyncpg.Connection, name: str, role: str) -> None:
    """A console account with the test password."""
    await add_user(conn, name, role, hash_password(PASSWORD))


async def post_login(
    client: TestClient, name: str, password: str = PASSWORD, next_page: str = ""
) -> ClientResponse:
    """Open the login form (its token and pre-session cookie), then POST it; redirects are not
    followed."""
    token = await login_form_token(client)
    form = {"name": name, "password": password, "next": next_page, "login_csrf": token}
    return await client.post("/console/login", data=form, allow_redirects=False)


async def login_form_token(client: TestClient) -> str:
    """The login form's token (the client keeps the pre-session cookie it is bound to)."""
    response = await client.get("/console/login")
    match = _LOGIN_CSRF.search(await response.text())
    assert match is not None
    return match.group(1)


async def sign_in(client: TestClient, conn: asyncpg.Connection, role: str, name: str = "") -> str:
    """Create an account with this role and log the client in; the account's name."""
    name = name or f"{role}-1"
    await add_account(conn, name, role)
    response = await post_login(client, name)
    assert 303 == response.status, await response.text()
    return name


async def sign_in_area(
    client: TestClient, conn: asyncpg.Connection, role: str, area: str = "*"
) -> str:
    """An account with this role and area (one per role and area), logged in; its name."""
    name = f"{role}-{area.replace('*', 'all').replace('.', '')}"
    await add_user(conn, name, role, hash_password(PASSWORD), area)
    response = await post_login(client, name)
    assert 303 == response.status, await response.text()
    return name


async def csrf_token(client: TestClient, path: str = "/console") -> str:
    """The CSRF token in a page's forms."""
    response = await client.get(path)
    match = _CSRF.search(await response.text())
    assert match is not None, path
    return match.group(1)


async def load_sample_officials(conn: asyncpg.Connection) -> None:
    """The bundled sample officials, imported as the CLI's demo does."""
    codes = {k.code for k in await load_kecamatan(conn)}
    officials = parse_officials(sample_officials_csv(), normalize, codes, CATEGORIES)
    await import_officials(conn, officials, sample=True)


async def file_test_tip(
    conn: asyncpg.Connection,
    source: str,
    *,
    description: str = "Calo minta uang 10 juta untuk ke Taiwan",
    category: str = "calo",
    kecamatan_code: str | None = "36.04.12",
    resident_sms: bool = True,
) -> str:
    """File a tip as the USSD service does (receipt SMS to the reporter, alerts to officials);
    its receipt."""

    def receipt_sms(receipt: str) -> QueuedSms | None:
        if not resident_sms:
            return None
        body = f"Laporan diterima. Kode: {receipt}"
        return QueuedSms(b"sealed-number", "resident", body, f"receipt:{source}")

    filed = await file_tip(
        conn,
        NewTip(
            channel="ussd",
            source_ref=source,
            reporter_key=None,
            category=category,
            description=description,
            kecamatan_code=kecamatan_code,
            desa="Kubang Puji",
        ),
        new_receipt,
        per_hour=100,
        flag_threshold=100,
        sms=receipt_sms,
        alert=alert_text,
    )
    assert isinstance(filed, Filed)
    return filed.receipt


async def ussd_hop(client: TestClient, session_id: str, text: str, phone: str) -> str:
    """Post one USSD hop as AT does; the screen."""
    form = {
        "sessionId": session_id,
        "phoneNumber": phone,
        "networkCode": "51010",
        "serviceCode": "*123*45#",
        "text": text,
    }
    response = await client.post("/at/ussd", data=form)
    assert 200 == response.status
    return await response.text()


async def ussd_walk(
    client: TestClient, session_id: str, inputs: list[str], phone: str = "+6281234567890"
) -> str:
    """Dial and answer each input in turn within one session; the last screen."""
    screen = await ussd_hop(client, session_id, "", phone)
    for n in range(1, len(inputs) + 1):
        screen = await ussd_hop(client, session_id, "*".join(inputs[:n]), phone)
    return screen
