"""Anonymity: a resident's phone number is stored nowhere and logged nowhere, in any format."""

from __future__ import annotations

import io
import re

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway.identity import Identity
from tests.conftest import Gateway
from tests.sms_client import send_sms

PHONE = "+6281234567890"
# Every way the number is written: E.164, without '+', national, and the bare subscriber number.
FORMATS = ("+6281234567890", "6281234567890", "081234567890", "81234567890")
SECRET = "test-secret-0123456789"


async def hop(client: TestClient, text: str, session_id: str) -> str:
    """Post one USSD hop and return the body, checking the protocol envelope."""
    form = {
        "sessionId": session_id,
        "phoneNumber": PHONE,
        "networkCode": "51010",
        "serviceCode": "*123*45#",
        "text": text,
    }
    response = await client.post("/at/ussd", data=form)
    body = await response.text()
    assert 200 == response.status
    assert body.startswith(("CON ", "END ")), body
    return body


async def walk(client: TestClient, inputs: list[str], session_id: str) -> str:
    """Dial and answer each input in turn within one session; the last screen."""
    body = await hop(client, "", session_id)
    for n in range(1, len(inputs) + 1):
        body = await hop(client, "*".join(inputs[:n]), session_id)
    return body


def receipt_on(screen: str) -> str:
    """The receipt code shown on an END screen, as 9 digits."""
    match = re.search(r"(\d{4})-(\d{4})-(\d)", screen)
    assert match is not None, screen
    return "".join(match.groups())


async def column_texts(conn: asyncpg.Connection, table: str, column: str, kind: str) -> list[str]:
    """Every value of a column as text; bytea also as hex and with its bytes read as ASCII."""
    ident = f'"{column}"'
    forms = [f"{ident}::text"]
    if kind == "bytea":
        forms += [f"encode({ident}, 'hex')", f"encode({ident}, 'escape')"]
    values = []
    for form in forms:
        rows = await conn.fetch(
            f'SELECT {form} AS v FROM public."{table}" WHERE {ident} IS NOT NULL'
        )
        values += [r["v"] for r in rows]
    return values


async def find_number(conn: asyncpg.Connection) -> tuple[list[str], dict[str, int]]:
    """Every (table.column, format) holding the number, and the rows scanned per table."""
    columns = await conn.fetch(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
    )
    needles = [(f, f) for f in FORMATS] + [(f, f.encode().hex()) for f in FORMATS]
    found = []
    rows_scanned: dict[str, int] = {}
    for column in columns:
        table, name = column["table_name"], column["column_name"]
        if table not in rows_scanned:
            rows_scanned[table] = await conn.fetchval(f'SELECT count(*) FROM public."{table}"')
        for value in await column_texts(conn, table, name, column["data_type"]):
            found += [f"{table}.{name}: {label}" for label, n in needles if n in value]
    return found, rows_scanned


class TestNumberStoredNowhere:
    @pytest.fixture
    async def scan(
        self, client: TestClient, conn: asyncpg.Connection, log_output: io.StringIO
    ) -> tuple[list[str], dict[str, int], str]:
        """One resident uses every channel; then every column of every table is searched."""
        session = "ATUid_privacy"
        story = "Calo minta 10 juta di desa"
        inputs = ["2", "2", "pontang", "1", "Kubang Puji", "1", "1", story, "1", "2"]
        ussd_receipt = receipt_on(await walk(client, inputs, session))
        await send_sms(client, "BAHASA SUNDA")
        await send_sms(client, "LAPOR calo minta uang 10 juta")
        await send_sms(client, f"STATUS {ussd_receipt}")
        event = {
            "sessionId": session,
            "phoneNumber": PHONE,
            "networkCode": "51010",
            "serviceCode": "*123*45#",
            "status": "Success",
            "date": "2026-11-30 10:00:00",
            "durationInMillis": "41000",
            "hopsCount": str(len(inputs) + 1),
            "input": "*".join(inputs),
            "lastAppResponse": "END SMS segera dikirim",
            "errorMessage": "",
        }
        response = await client.post("/at/ussd/events", data=event)
        assert 200 == response.status
        found, rows_scanned = await find_number(conn)
        return found, rows_scanned, log_output.getvalue()

    async def test_no_column_holds_the_number(
        self, scan: tuple[list[str], dict[str, int], str]
    ) -> None:
        """No column of any table holds the number in any of its formats."""
        found, _, _ = scan
        assert [] == found

    async def test_scan_covered_what_was_written(
        self, scan: tuple[list[str], dict[str, int], str]
    ) -> None:
        """The scan read the tips, outbox, inbound SMS, language choice and session-event rows
        just written."""
        _, rows_scanned, _ = scan
        tables = ("tips", "outbox", "sms_inbound", "sms_languages")
        counts = {t: rows_scanned.get(t, 0) for t in tables}
        assert {"tips": 2, "outbox": 4, "sms_inbound": 3, "sms_languages": 1} == counts
        assert 1 == rows_scanned.get("ussd_session_events")

    async def test_no_log_line_holds_the_number(
        self, scan: tuple[list[str], dict[str, int], str]
    ) -> None:
        """No log line holds the number in any of its formats."""
        _, _, output = scan
        assert output
        assert [] == [f for f in FORMATS if f in output]

    async def test_scan_finds_a_planted_number(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The scan does find the number where it is stored, in text and in bytea."""
        await send_sms(client, "LAPOR calo minta uang")
        await conn.execute("UPDATE tips SET description = $1", f"hubungi {FORMATS[2]}")
        await conn.execute("UPDATE sms_inbound SET sender_key = $1", FORMATS[1].encode())
        found, _ = await find_number(conn)
        assert "tips.description: 081234567890" in found
        assert "sms_inbound.sender_key: 6281234567890" in found


class TestGatewayEchoStoredNowhere:
    @pytest.fixture
    async def echoed(self, gateway: Gateway, conn: asyncpg.Connection) -> list[str]:
        """A gateway that quotes each request back in its error, and a delivery report that names
        the number (percent-encoded): then every column of every table is searched."""
        await send_sms(gateway.client, "INFO")
        gateway.fake.mode = "echo"
        assert 1 == await gateway.worker.drain_once()
        assert [PHONE] == [r["to"] for r in gateway.fake.requests]  # the echo quoted it
        gateway.fake.mode, gateway.fake.report_url = "up", None  # the report below is ours
        await conn.execute("UPDATE outbox SET next_attempt_at = now()")
        assert 1 == await gateway.worker.drain_once()
        provider_id = await conn.fetchval("SELECT provider_id FROM outbox")
        report = {"id": provider_id, "status": "Rejected", "failureReason": f"to=%2B{PHONE[1:]}"}
        response = await gateway.client.post("/at/sms/delivery", data=report)
        assert 200 == response.status
        found, _ = await find_number(conn)
        return found

    async def test_no_column_holds_an_echoed_number(self, echoed: list[str]) -> None:
        """Gateway errors and delivery reports that quote the number are stored masked."""
        assert [] == echoed

    async def test_the_echo_is_stored_masked(
        self, echoed: list[str], conn: asyncpg.Connection
    ) -> None:
        """What the gateway said is kept, with the number reduced to its last two digits."""
        details = [r["detail"] for r in await conn.fetch("SELECT detail FROM sms_events")]
        assert any("to=***90" in d for d in details if d.startswith("gateway error")), details
        expected = "rejected (Rejected) to=***90"
        assert expected == await conn.fetchval("SELECT last_error FROM outbox")


class TestReporterKey:
    @pytest.mark.parametrize(
        "written",
        ["+6281234567890", "6281234567890", "081234567890", "+62 812-3456-7890"],
        ids=["e164", "no-plus", "national", "spaced"],
    )
    def test_formats_of_one_number_agree(self, written: str) -> None:
        """Every way of writing one number gives the same reporter key."""
        identity = Identity(SECRET)
        assert identity.reporter_key(PHONE) == identity.reporter_key(written)

    def test_another_number_differs(self) -> None:
        """Another number gives another reporter key."""
        identity = Identity(SECRET)
        assert identity.reporter_key(PHONE) != identity.reporter_key("+6281234567891")

    def test_another_secret_differs(self) -> None:
        """The same number under another secret gives another reporter key."""
        other = Identity("another-secret-9876543210")
        assert Identity(SECRET).reporter_key(PHONE) != other.reporter_key(PHONE)

    def test_key_does_not_contain_the_number(self) -> None:
        """The reporter key holds the number in no format, raw or hex."""
        key = Identity(SECRET).reporter_key(PHONE)
        assert key is not None
        assert [] == [f for f in FORMATS if f.encode() in key or f in key.hex()]

    def test_not_a_number_has_no_key(self) -> None:
        """Text that is not a phone number gets no reporter key."""
        assert Identity(SECRET).reporter_key("hello") is None


class TestSealedRecipient:
    @pytest.mark.parametrize("written", FORMATS[:3], ids=["e164", "no-plus", "national"])
    def test_unseals_to_e164(self, written: str) -> None:
        """A sealed recipient unseals to the number in E.164, however it was written."""
        identity = Identity(SECRET)
        assert PHONE == identity.unseal(identity.seal(written))

    def test_sealed_bytes_hide_the_number(self) -> None:
        """The sealed bytes hold the number in no format."""
        sealed = Identity(SECRET).seal(PHONE)
        assert [] == [f for f in FORMATS if f.encode() in sealed]

    def test_sealing_twice_differs(self) -> None:
        """Sealing the same number twice gives different bytes (no linkable ciphertext)."""
        identity = Identity(SECRET)
        assert identity.seal(PHONE) != identity.seal(PHONE)

    async def test_outbox_recipient_unseals_to_the_sender(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The reply to an SMS is queued for the sender, sealed under the service's secret."""
        await send_sms(client, "INFO", sender="081234567890")
        rows = await conn.fetch("SELECT recipient_sealed FROM outbox")
        assert [PHONE] == [Identity(SECRET).unseal(r["recipient_sealed"]) for r in rows]
