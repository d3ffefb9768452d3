"""The delivery log tells an operator what to do, over real HTTP: an official's command reply is
to that official (with office), a failure reads in words with the provider's code and a hint, an
admin gets a link to the official's record, a permanent failure offers no resend, the timeline
names the account that resent, and times say WIB."""

from __future__ import annotations

import html
import re

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway.console.vocabulary import failure
from storage.outbox import claim_due, mark_failed, mark_retry
from tests.console_helpers import csrf_token, file_test_tip, load_sample_officials, sign_in
from tests.sms_client import send_sms

CAMAT_PONTANG = "+6281199000007"  # a sample official (ussd_menus/content sample officials)
AT_WRONG_NUMBER = "403 InvalidPhoneNumber"
INFOBIP_WRONG_NUMBER = "HANDSET_ERRORS/EC_UNKNOWN_SUBSCRIBER: Unknown subscriber"


async def _alert_ids(conn: asyncpg.Connection) -> list[int]:
    """One tip filed, its SMS claimed: the official alerts' ids."""
    await load_sample_officials(conn)
    await file_test_tip(conn, "ussd:ATUid_help", kecamatan_code="36.04.12", resident_sms=False)
    return sorted(row.id for row in await claim_due(conn, 20, 60))


async def page(client: TestClient, path: str) -> str:
    response = await client.get(path)
    assert 200 == response.status, path
    return await response.text()


async def english(client: TestClient) -> None:
    data = {"csrf": await csrf_token(client), "lang": "en", "next": "/console"}
    await client.post("/console/lang", data=data, allow_redirects=False)


def cell(text: str, element_id: str) -> str:
    """The text inside the element with this id, tags removed."""
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</td>', text, re.S)
    assert found is not None, element_id
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip())


@pytest.mark.parametrize(
    ("reason", "key", "permanent"),
    [
        (AT_WRONG_NUMBER, "wrong_number", True),
        ("invalid number: +6281199000005 rejected", "wrong_number", True),
        (INFOBIP_WRONG_NUMBER, "wrong_number", True),
        ("not an E.164 phone number", "wrong_number", True),
        ("HANDSET_ERRORS/EC_ABSENT_SUBSCRIBER: Absent subscriber", "absent", False),
        ("gateway error: 501 GatewayError", "provider", False),
        ("HTTP 400 messages[0].text: must not be blank", "rejected", True),
    ],
)
def test_provider_reasons_are_read_by_meaning(reason: str, key: str, permanent: bool) -> None:
    """AT's and Infobip's reasons map to one meaning, and whether a resend could help."""
    found = failure(reason)
    assert (key, permanent) == ((found.key, found.permanent) if found else None)


async def test_command_reply_is_to_the_official_with_office(
    client: TestClient, conn: asyncpg.Connection
) -> None:
    """A reply to an official's SMS command is listed to that official and office, not 'warga'."""
    await load_sample_officials(conn)
    await send_sms(client, "OK 000000000", sender=CAMAT_PONTANG)
    row = await conn.fetchrow(
        "SELECT o.id, o.recipient_kind, f.name, f.office FROM outbox o"
        " JOIN officials f ON f.id = o.official_id WHERE o.cause LIKE 'reply:%'"
    )
    assert row is not None and "official" == row["recipient_kind"]
    await sign_in(client, conn, "operator")
    shown = cell(await page(client, f"/console/delivery/{row['id']}"), "message-recipient")
    assert f"Petugas: {row['name']}, {row['office']}" == shown


async def test_wrong_number_reads_in_words_with_code_and_hint(
    client: TestClient, conn: asyncpg.Connection
) -> None:
    """An invalid number reads as plain words, the provider's code beside them, and a hint."""
    first, *_ = await _alert_ids(conn)
    await mark_failed(conn, first, AT_WRONG_NUMBER)
    await sign_in(client, conn, "operator")
    assert (
        "Nomor tujuan salah atau tidak terdaftar 403 InvalidPhoneNumber"
        " Nomor petugas salah: perbaiki di Petugas"
    ) == cell(await page(client, f"/console/delivery/{first}"), "message-reason")


async def test_wrong_number_reads_in_english(client: TestClient, conn: asyncpg.Connection) -> None:
    """The English console gives the same reason and hint in English."""
    first, *_ = await _alert_ids(conn)
    await mark_failed(conn, first, INFOBIP_WRONG_NUMBER)
    await sign_in(client, conn, "operator")
    await english(client)
    assert (
        "Wrong or unknown number HANDSET_ERRORS/EC_UNKNOWN_SUBSCRIBER"
        " The official's number is wrong: fix it under Officials"
    ) == cell(await page(client, f"/console/delivery/{first}"), "message-reason")


@pytest.mark.parametrize("reason", [AT_WRONG_NUMBER, INFOBIP_WRONG_NUMBER])
async def test_permanent_failure_has_no_resend_button(
    client: TestClient, conn: asyncpg.Connection, reason: str
) -> None:
    """A wrong number (AT or Infobip) is never offered for sending again."""
    first, *_ = await _alert_ids(conn)
    await mark_failed(conn, first, reason)
    await sign_in(client, conn, "admin")
    text = await page(client, f"/console/delivery/{first}")
    assert (False, True) == ("/retry" in text, 'id="no-retry"' in text)


async def test_admin_gets_a_link_to_the_official(
    client: TestClient, conn: asyncpg.Connection
) -> None:
    """An admin, who may fix an official's record, gets a link to it; the record has that id."""
    first, *_ = await _alert_ids(conn)
    await mark_failed(conn, first, AT_WRONG_NUMBER)
    official = await conn.fetchval("SELECT official_id FROM outbox WHERE id = $1", first)
    await sign_in(client, conn, "admin")
    text = await page(client, f"/console/delivery/{first}")
    officials = await page(client, "/console/officials")
    assert (True, True) == (
        f'href="/console/officials#official-{official}"' in text,
        f'id="official-{official}"' in officials,
    )


async def test_operator_gets_no_link_to_the_official(
    client: TestClient, conn: asyncpg.Connection
) -> None:
    """An operator, who may not change officials, gets the hint but no link."""
    first, *_ = await _alert_ids(conn)
    await mark_failed(conn, first, AT_WRONG_NUMBER)
    await sign_in(client, conn, "operator")
    assert 'id="official-link"' not in await page(client, f"/console/delivery/{first}")


async def test_timeline_names_the_account_that_resent(
    client: TestClient, conn: asyncpg.Connection
) -> None:
    """Sending a dead letter again is on the timeline with the acting account's name."""
    first, *_ = await _alert_ids(conn)
    await mark_retry(conn, first, "gateway error: 501 GatewayError", 0, 1)
    name = await sign_in(client, conn, "operator", "rina-operator")
    token = await csrf_token(client, f"/console/delivery/{first}")
    await client.post(
        f"/console/delivery/{first}/retry", data={"csrf": token}, allow_redirects=False
    )
    text = await page(client, f"/console/delivery/{first}")
    assert re.search(rf"<td[^>]*>Diantrekan ulang</td><td[^>]*>Oleh: {name}</td>", text)


async def test_times_are_labelled_wib(client: TestClient, conn: asyncpg.Connection) -> None:
    """Every time on the message page says it is WIB."""
    first, *_ = await _alert_ids(conn)
    await sign_in(client, conn, "operator")
    text = await page(client, f"/console/delivery/{first}")
    times = re.findall(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}[^<]*", text)
    assert times and all(t.endswith(" WIB") for t in times)
