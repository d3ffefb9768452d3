"""Recording prospective migrant workers with their consent (issue 16 item 2): officials' CATAT,
BERANGKAT and PULANG; residents' YA, DATAKU and HAPUS DATAKU; the audit, retention and the
per-desa counts. Dialogues are in tests/data/migrants_dialogues.json."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from gateway.identity import Identity
from storage.migrants import area_totals, desa_figures, purge_migrants, record_audit
from tests.conftest import Gateway
from tests.console_helpers import csrf_token
from tests.sms_client import send_sms
from tests.test_account_areas import sign_in_area

SECRET = "test-secret-0123456789"  # the config fixture's HOTLINE_SECRET
RESIDENT = "+6281234567890"
STRANGER = "+6285711112222"
SENDERS = {
    "kades": "+6281199000030",  # Kepala Desa, Kec. Pontang (sample officials)
    "kades_tirtayasa": "+6281199000032",
    "kapolsek": "+6281199000031",
    "resident": RESIDENT,
    "stranger": STRANGER,
}
CATAT = "CATAT 081234567890 Siti Aminah; Sukanegara; Taiwan; pabrik; -; 03/2027"
DIALOGUES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "migrants_dialogues.json").read_text("utf-8")
)


async def say(gateway: Gateway, conn: asyncpg.Connection, who: str, text: str) -> str:
    """Send one SMS from a named sender; the one reply it queued."""
    message_id = await send_sms(gateway.client, text, SENDERS[who])
    rows = await conn.fetch("SELECT body FROM outbox WHERE cause = $1", f"reply:{message_id}")
    assert 1 == len(rows), rows
    body: str = rows[0]["body"]
    return body


async def records(conn: asyncpg.Connection) -> int:
    """How many prospective migrant records exist."""
    count: int = await conn.fetchval("SELECT count(*) FROM prospective_migrants")
    return count


async def consent_sms(conn: asyncpg.Connection) -> list[tuple[str, str]]:
    """The consent SMS queued: (recipient number, body)."""
    rows = await conn.fetch(
        "SELECT recipient_sealed, body FROM outbox WHERE cause LIKE 'consent:%' ORDER BY id"
    )
    identity = Identity(SECRET)
    return [(identity.unseal(r["recipient_sealed"]), r["body"]) for r in rows]


@pytest.mark.parametrize("case", DIALOGUES, ids=[c["name"] for c in DIALOGUES])
async def test_dialogue(gateway: Gateway, conn: asyncpg.Connection, case: dict[str, Any]) -> None:
    """Each dialogue's replies say what the data file expects; the records count matches."""
    for step in case["steps"]:
        reply = await say(gateway, conn, step["from"], step["text"])
        for expected in step["contains"]:
            assert expected in reply, (step["text"], reply)
        for unwanted in step.get("absent", []):
            assert unwanted not in reply, (step["text"], reply)
    assert case["records"] == await records(conn)
    if "consent_sms" in case:
        assert case["consent_sms"] == len(await consent_sms(conn))


async def test_no_record_without_consent_from_that_number(
    gateway: Gateway, conn: asyncpg.Connection
) -> None:
    """Start: no record; a YA from another number: no record; from the right number: a record;
    HAPUS DATAKU: gone, and its audit shows only that a deletion happened."""
    await say(gateway, conn, "kades", CATAT)
    assert 0 == await records(conn)
    await say(gateway, conn, "stranger", "YA")
    assert 0 == await records(conn)
    await say(gateway, conn, "resident", "YA")
    assert 1 == await records(conn)
    migrant_id = await conn.fetchval("SELECT id FROM prospective_migrants")
    await say(gateway, conn, "resident", "DATAKU")
    assert ["recorded", "exported"] == [a.action for a in await record_audit(conn, migrant_id)]
    await say(gateway, conn, "resident", "HAPUS DATAKU")
    assert 0 == await records(conn)
    audit = await conn.fetch("SELECT * FROM migrant_audit")
    assert [("deleted", migrant_id, None, None)] == [
        (r["action"], r["migrant_id"], r["kecamatan_code"], r["desa_code"]) for r in audit
    ]


async def test_consent_sms_goes_to_the_resident_and_explains(
    gateway: Gateway, conn: asyncpg.Connection
) -> None:
    """The consent SMS goes to the resident's number and says purpose, who sees it, how to
    agree and how to see or delete the data."""
    await say(gateway, conn, "kades", CATAT)
    [(to, body)] = await consent_sms(conn)
    assert RESIDENT == to
    parts = ("Desa Sukanegara", "Taiwan", "Disnakertrans", "Balas YA", "72 jam", "HAPUS DATAKU")
    for part in parts:
        assert part in body, body


async def test_pending_request_holds_no_field_in_clear(
    gateway: Gateway, conn: asyncpg.Connection
) -> None:
    """Before consent only a request exists: keyed hash, sealed number, sealed fields."""
    await say(gateway, conn, "kades", CATAT)
    [row] = await conn.fetch("SELECT * FROM migrant_consents")
    stored = b"".join(v for v in row.values() if isinstance(v, bytes))
    assert b"Siti" not in stored and b"Taiwan" not in stored and b"7890" not in stored


async def test_expired_request_is_not_consented(gateway: Gateway, conn: asyncpg.Connection) -> None:
    """A YA after the request expired records nothing, and housekeeping drops the request."""
    await say(gateway, conn, "kades", CATAT)
    await conn.execute("UPDATE migrant_consents SET expires_at = now() - interval '1 minute'")
    reply = await say(gateway, conn, "resident", "YA")
    assert "Tidak ada permintaan persetujuan" in reply
    assert 0 == await records(conn)
    await purge_migrants(conn, 90)
    assert 0 == await conn.fetchval("SELECT count(*) FROM migrant_consents")


async def test_official_hears_the_consent(gateway: Gateway, conn: asyncpg.Connection) -> None:
    """The official who asked is told by SMS when the resident agrees (number masked)."""
    await say(gateway, conn, "kades", CATAT)
    await say(gateway, conn, "resident", "YA")
    rows = await conn.fetch(
        "SELECT o.phone, x.body FROM outbox x JOIN officials o ON o.id = x.official_id"
        " WHERE x.cause LIKE 'consent-confirmed:%'"
    )
    told = [(r["phone"], "****7890 setuju" in r["body"]) for r in rows]
    assert [(SENDERS["kades"], True)] == told


async def test_retention_deletes_after_return(gateway: Gateway, conn: asyncpg.Connection) -> None:
    """A record returned longer ago than the retention is deleted, leaving a bare audit row."""
    await say(gateway, conn, "kades", CATAT)
    await say(gateway, conn, "resident", "YA")
    await conn.execute("UPDATE prospective_migrants SET returned_on = current_date - 91")
    assert 1 == await purge_migrants(conn, 90)
    assert 0 == await records(conn)
    audit = await conn.fetch("SELECT action FROM migrant_audit")
    assert ["expired"] == [r["action"] for r in audit]


async def test_desa_figures_count_without_names(gateway: Gateway, conn: asyncpg.Connection) -> None:
    """Per-desa figures: planned, departed, returned and by destination, counts only."""
    await say(gateway, conn, "kades", CATAT)
    await say(gateway, conn, "resident", "YA")
    [figures] = await desa_figures(conn, "36.04.12")
    assert ("36.04.12.2002", 1, 0, 0, (("taiwan", 1),)) == (
        figures.desa_code,
        figures.planned,
        figures.departed,
        figures.returned,
        figures.by_destination,
    )
    assert [] == await desa_figures(conn, "36.04.13")
    assert (1, 0, 0) == await area_totals(conn, None)
    assert (0, 0, 0) == await area_totals(conn, "36.04.13")


async def recorded_with_consent(gateway: Gateway, conn: asyncpg.Connection) -> None:
    """Siti Aminah of Sukanegara (Pontang), recorded and agreed."""
    await say(gateway, conn, "kades", CATAT)
    await say(gateway, conn, "resident", "YA")


@pytest.mark.parametrize(
    ("area", "lang", "shown", "heading"),
    [
        ("36.04.12", "id", True, "Calon pekerja migran"),
        ("36.04.12.2002", "en", True, "Prospective migrant workers"),
        ("*", "id", True, "Jumlah per desa"),
        ("36.04.13", "en", False, "Counts per desa"),
        ("36.04.12.2001", "id", False, "Jumlah per desa"),
    ],
)
async def test_console_shows_the_area_records_and_audits_reads(
    gateway: Gateway, conn: asyncpg.Connection, area: str, lang: str, shown: bool, heading: str
) -> None:
    """An investigator of the desa, kecamatan or regency sees the record (a read in its audit);
    another kecamatan's or desa's sees neither the name nor the counts."""
    await recorded_with_consent(gateway, conn)
    client = gateway.client
    await sign_in_area(client, conn, "investigator", area)
    if lang == "en":
        token = await csrf_token(client)
        await client.post("/console/lang", data={"csrf": token, "lang": "en"})
    response = await client.get("/console/migrants")
    assert 200 == response.status
    page = await response.text()
    assert heading in page
    assert shown == ("Siti Aminah" in page)
    assert shown == ('data-desa="36.04.12.2002"' in page)
    actions = [r["action"] for r in await conn.fetch("SELECT action FROM migrant_audit")]
    assert (["recorded", "read"] if shown else ["recorded"]) == actions


async def test_console_refuses_operators(gateway: Gateway, conn: asyncpg.Connection) -> None:
    """An operator account may not open the records."""
    await sign_in_area(gateway.client, conn, "operator", "*")
    response = await gateway.client.get("/console/migrants", allow_redirects=False)
    assert 403 == response.status


@pytest.mark.parametrize(
    ("area", "form", "status", "departed"),
    [
        ("36.04.12", {"which": "departed", "day": "2026-03-05"}, "saved=yes", "2026-03-05"),
        ("36.04.12", {"which": "departed", "day": "2999-01-01"}, "saved=invalid", None),
        ("36.04.13", {"which": "departed", "day": "2026-03-05"}, "404", None),
    ],
)
async def test_console_sets_the_departure_day(
    gateway: Gateway,
    conn: asyncpg.Connection,
    area: str,
    form: dict[str, str],
    status: str,
    departed: str | None,
) -> None:
    """An investigator of the area sets a departure day (audited); a future day is refused; a
    record of another area is not found."""
    await recorded_with_consent(gateway, conn)
    client = gateway.client
    await sign_in_area(client, conn, "investigator", area)
    migrant_id = await conn.fetchval("SELECT id FROM prospective_migrants")
    token = await csrf_token(client)
    response = await client.post(
        f"/console/migrants/{migrant_id}/travel",
        data={"csrf": token, **form},
        allow_redirects=False,
    )
    where = response.headers.get("Location", str(response.status))
    assert status in where
    day = await conn.fetchval("SELECT departed_on FROM prospective_migrants")
    assert departed == (day.isoformat() if day else None)
    updated = await conn.fetchval("SELECT count(*) FROM migrant_audit WHERE action = 'updated'")
    assert (1 if departed else 0) == updated


@pytest.mark.parametrize(
    ("area", "planned"), [("36.04.12", "1"), ("36.04.12.2002", "1"), ("36.04.13", "0")]
)
async def test_rekap_page_counts_the_areas_records(
    gateway: Gateway, conn: asyncpg.Connection, area: str, planned: str
) -> None:
    """The console REKAP counts the recorded migrants of the account's area, never a name."""
    await recorded_with_consent(gateway, conn)
    await sign_in_area(gateway.client, conn, "operator", area)
    page = await (await gateway.client.get("/console/rekap")).text()
    row = re.search(r'<tr data-figure="planned"><th>[^<]*</th><td>(\d+)</td>', page)
    assert (planned, False) == (row[1] if row else None, "Siti" in page)
