"""Escalation: unacknowledged or undeliverable alerts pass a tip on to the next tier, once."""

from __future__ import annotations

import asyncio
import itertools
import re

import asyncpg
from aiohttp.test_utils import TestClient

from tests.conftest import Gateway
from tests.sms_client import send_sms

RESIDENT = "+6281234567890"
STORY = "Calo minta uang 10 juta untuk ke Taiwan"
CHOICES = {"bahaya": "1", "calo": "2", "biaya": "3"}
# Sample officials (storage/sample/officials.csv) by their numbers.
CAMAT_KRAMATWATU = "+6281199000001"
CAMAT_PONTANG = "+6281199000007"
KADES_PONTANG = "+6281199000030"
KAPOLSEK_PONTANG = "+6281199000031"
DISNAKER_KABID = "+6281199000036"
DISNAKER_STAF = "+6281199000037"
POLRES_PPA = "+6281199000038"
BP3MI = "+6281199000039"
_ids = itertools.count()


async def hop(client: TestClient, text: str, session_id: str) -> str:
    """Post one USSD hop as AT does; the body."""
    form = {
        "sessionId": session_id,
        "phoneNumber": RESIDENT,
        "networkCode": "51010",
        "serviceCode": "*123*45#",
        "text": text,
    }
    response = await client.post("/at/ussd", data=form)
    assert 200 == response.status, await response.text()
    return await response.text()


async def file_tip(client: TestClient, category: str, kecamatan: str = "pontang") -> str:
    """File a tip over USSD, desa and agency skipped; its receipt (9 digits)."""
    session = f"ATUid_escalation_{next(_ids)}"
    details = ["2"] if category == "bahaya" else []  # BAHAYA: add details
    inputs = ["2", CHOICES[category], *details, kecamatan, "1", "1", "1", STORY, "1"]
    body = await hop(client, "", session)
    for n in range(1, len(inputs) + 1):
        body = await hop(client, "*".join(inputs[:n]), session)
    match = re.search(r"(\d{4})-(\d{4})-(\d)\b", body)
    assert match is not None, body
    return "".join(match.groups())


async def make_due(conn: asyncpg.Connection) -> None:
    """Every open alert's time to acknowledge has passed."""
    await conn.execute(
        "UPDATE alerts SET ack_due_at = now() - interval '1 minute'"
        " WHERE acknowledged_at IS NULL AND escalated_at IS NULL"
    )


async def alerts(conn: asyncpg.Connection, reason: str | None = None) -> list[tuple[str, int]]:
    """(official's number, tier) of every alert, or of those with one reason; sorted."""
    rows = await conn.fetch(
        "SELECT f.phone, a.tier FROM alerts a JOIN officials f ON f.id = a.official_id"
        " WHERE $1::text IS NULL OR a.reason = $1 ORDER BY f.phone",
        reason,
    )
    return [(r["phone"], r["tier"]) for r in rows]


async def drain(gateway: Gateway) -> None:
    """Send everything that is due now."""
    while await gateway.worker.drain_once():
        pass


class TestUnacknowledged:
    async def test_calo_tip_passes_to_tier_two(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A calo tip nobody acknowledged in time alerts tier 2 with reason 'escalated'."""
        await file_tip(gateway.client, "calo")
        await make_due(conn)
        await gateway.worker.escalate_once()
        assert [(DISNAKER_KABID, 2), (DISNAKER_STAF, 2), (POLRES_PPA, 2)] == await alerts(
            conn, "escalated"
        )

    async def test_old_alerts_marked_escalated(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """The tier-1 alerts it passed on from get escalated_at; the new ones do not."""
        await file_tip(gateway.client, "calo")
        await make_due(conn)
        await gateway.worker.escalate_once()
        rows = await conn.fetch(
            "SELECT reason, escalated_at IS NOT NULL AS escalated FROM alerts ORDER BY id"
        )
        assert [("new", True)] * 3 + [("escalated", False)] * 3 == [tuple(r) for r in rows]

    async def test_old_messages_have_escalated_event(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """Each passed-on alert's message timeline has an 'escalated' event naming the tier."""
        await file_tip(gateway.client, "calo")
        await make_due(conn)
        await gateway.worker.escalate_once()
        rows = await conn.fetch(
            "SELECT e.detail FROM sms_events e JOIN alerts a ON a.outbox_id = e.outbox_id"
            " WHERE e.kind = 'escalated' AND a.reason = 'new'"
        )
        assert ["to tier 2"] * 3 == [r["detail"] for r in rows]

    async def test_new_alerts_are_sent(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """The escalated alerts go out to tier 2 on the next drain."""
        gateway.fake.report_url = None  # what is sent matters here, not its delivery
        await file_tip(gateway.client, "calo")
        await drain(gateway)
        await make_due(conn)
        await gateway.worker.escalate_once()
        gateway.fake.messages.clear()
        await drain(gateway)
        assert [DISNAKER_KABID, DISNAKER_STAF, POLRES_PPA] == sorted(
            m["to"] for m in gateway.fake.messages
        )

    async def test_counts_tips_passed_on(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """escalate_once says how many tips it passed on."""
        await file_tip(gateway.client, "calo")
        await file_tip(gateway.client, "biaya", "kramatwatu")
        await make_due(conn)
        assert 2 == await gateway.worker.escalate_once()

    async def test_not_due_yet_stays(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """Before its time to acknowledge, a tip is not passed on."""
        await file_tip(gateway.client, "calo")
        assert (0, []) == (await gateway.worker.escalate_once(), await alerts(conn, "escalated"))


class TestUrgent:
    async def test_urgent_tip_passes_to_the_tier_left(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A 'bahaya' tip filed while tier 3 had nobody on duty alerts tier 3 once it has."""
        await conn.execute("UPDATE officials SET active = false WHERE phone = $1", BP3MI)
        await file_tip(gateway.client, "bahaya")
        await conn.execute("UPDATE officials SET active = true WHERE phone = $1", BP3MI)
        await make_due(conn)
        await gateway.worker.escalate_once()
        assert [(BP3MI, 3)] == await alerts(conn, "escalated")

    async def test_urgent_tip_alerts_all_first(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """Without BP3MI on duty, a 'bahaya' tip first alerts tiers 1 and 2 together."""
        await conn.execute("UPDATE officials SET active = false WHERE phone = $1", BP3MI)
        await file_tip(gateway.client, "bahaya")
        assert [
            (CAMAT_PONTANG, 1),
            (KAPOLSEK_PONTANG, 1),
            (DISNAKER_KABID, 2),
            (DISNAKER_STAF, 2),
            (POLRES_PPA, 2),
        ] == sorted(await alerts(conn, "new"), key=lambda a: (a[1], a[0]))

    async def test_every_open_alert_marked(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """Escalating an urgent tip marks all its open alerts, of every tier, escalated."""
        await conn.execute("UPDATE officials SET active = false WHERE phone = $1", BP3MI)
        await file_tip(gateway.client, "bahaya")
        await conn.execute("UPDATE officials SET active = true WHERE phone = $1", BP3MI)
        await make_due(conn)
        await gateway.worker.escalate_once()
        assert 0 == await conn.fetchval(
            "SELECT count(*) FROM alerts WHERE reason = 'new' AND escalated_at IS NULL"
        )


class TestAcknowledged:
    async def test_ok_stops_escalation(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """A tip an official acknowledged with OK is not passed on, even when due."""
        receipt = await file_tip(gateway.client, "calo")
        await send_sms(gateway.client, f"OK {receipt}", CAMAT_PONTANG)
        await make_due(conn)
        assert (0, []) == (await gateway.worker.escalate_once(), await alerts(conn, "escalated"))

    async def test_closed_tip_not_escalated(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A closed tip is not passed on, even with open alerts due."""
        receipt = await file_tip(gateway.client, "calo")
        await conn.execute(
            "UPDATE tips SET status = 'selesai_ditindak' WHERE receipt = $1", receipt
        )
        await make_due(conn)
        assert 0 == await gateway.worker.escalate_once()

    async def test_info_request_is_not_acknowledgement(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """An official asking for the alert again (INFO) has not taken the tip: it escalates."""
        receipt = await file_tip(gateway.client, "calo")
        await send_sms(gateway.client, f"INFO {receipt}", KADES_PONTANG)
        await make_due(conn)
        await gateway.worker.escalate_once()
        assert [(DISNAKER_KABID, 2), (DISNAKER_STAF, 2), (POLRES_PPA, 2)] == await alerts(
            conn, "escalated"
        )


class TestUndeliverable:
    async def test_failed_alert_escalates_at_once(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """An alert that failed to deliver passes the tip on without waiting for its time."""
        await conn.execute(
            "UPDATE officials SET phone = '+62811000403' WHERE phone = $1", CAMAT_KRAMATWATU
        )
        await file_tip(gateway.client, "biaya", "kramatwatu")
        await drain(gateway)
        await gateway.worker.escalate_once()
        assert [(DISNAKER_KABID, 2), (DISNAKER_STAF, 2)] == await alerts(conn, "escalated")

    async def test_dead_letter_escalates_at_once(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """An alert that became a dead letter passes the tip on without waiting."""
        await file_tip(gateway.client, "biaya", "kramatwatu")
        await conn.execute("UPDATE outbox SET status = 'dead'")
        await gateway.worker.escalate_once()
        assert [(DISNAKER_KABID, 2), (DISNAKER_STAF, 2)] == await alerts(conn, "escalated")

    async def test_delivery_report_failure_escalates(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """An alert accepted but then reported Failed by the telco passes the tip on."""
        gateway.fake.report_delay_s = 0.2  # a report after the id is recorded, as AT's come
        await conn.execute(
            "UPDATE officials SET phone = '+62811000404' WHERE phone = $1", CAMAT_KRAMATWATU
        )
        await file_tip(gateway.client, "biaya", "kramatwatu")
        await drain(gateway)
        for _ in range(100):  # the fake's Failed report arrives within milliseconds
            if await conn.fetchval("SELECT status FROM outbox") == "failed":
                break
            await asyncio.sleep(0.02)
        await gateway.worker.escalate_once()
        assert [(DISNAKER_KABID, 2), (DISNAKER_STAF, 2)] == await alerts(conn, "escalated")

    async def test_sent_alert_waits(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """An alert that went out normally is not passed on before its time."""
        gateway.fake.report_url = None
        await file_tip(gateway.client, "biaya", "kramatwatu")
        await drain(gateway)
        assert 0 == await gateway.worker.escalate_once()


class TestOnce:
    async def test_second_run_does_nothing(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """Escalating again at once passes nothing on a second time."""
        await file_tip(gateway.client, "calo")
        await make_due(conn)
        await gateway.worker.escalate_once()
        assert (0, 6) == (
            await gateway.worker.escalate_once(),
            await conn.fetchval("SELECT count(*) FROM alerts"),
        )

    async def test_no_official_alerted_twice(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """Escalating tier 1 to 2, then 2 to 3, alerts each official once."""
        await file_tip(gateway.client, "calo")
        for _ in range(2):
            await make_due(conn)
            await gateway.worker.escalate_once()
        phones = [phone for phone, _ in await alerts(conn)]
        assert sorted(set(phones)) == phones

    async def test_second_escalation_reaches_tier_three(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """When tier 2 lets its time pass too, tier 3 of the category is alerted."""
        await file_tip(gateway.client, "calo")
        for _ in range(2):
            await make_due(conn)
            await gateway.worker.escalate_once()
        assert [(DISNAKER_KABID, 2), (DISNAKER_STAF, 2), (POLRES_PPA, 2), (BP3MI, 3)] == (
            await alerts(conn, "escalated")
        )

    async def test_acknowledgement_after_escalation_stops_it(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """Once a tier-2 official acknowledges, the tip does not go on to tier 3."""
        receipt = await file_tip(gateway.client, "calo")
        await make_due(conn)
        await gateway.worker.escalate_once()
        await send_sms(gateway.client, f"OK {receipt}", DISNAKER_KABID)
        await make_due(conn)
        assert (0, 3) == (
            await gateway.worker.escalate_once(),
            len(await alerts(conn, "escalated")),
        )


class TestTopTier:
    async def test_nothing_above_tier_three(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A 'bahaya' tip already at every tier is marked escalated and alerts no one new."""
        await file_tip(gateway.client, "bahaya")
        before = await alerts(conn)
        await make_due(conn)
        await gateway.worker.escalate_once()
        open_alerts = await conn.fetchval("SELECT count(*) FROM alerts WHERE escalated_at IS NULL")
        assert (before, 0) == (await alerts(conn), open_alerts)

    async def test_timeline_says_no_tier_left(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """The escalated messages' timelines say no higher tier is left."""
        await file_tip(gateway.client, "bahaya")
        await make_due(conn)
        await gateway.worker.escalate_once()
        rows = await conn.fetch("SELECT detail FROM sms_events WHERE kind = 'escalated'")
        assert ["no higher tier left"] * 6 == [r["detail"] for r in rows]

    async def test_top_tier_escalates_once(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A tip with no tier left is not picked up again."""
        await file_tip(gateway.client, "bahaya")
        await make_due(conn)
        await gateway.worker.escalate_once()
        assert 0 == await gateway.worker.escalate_once()
