"""AT's SMS delivery reports, posted as AT does: each lands once in its message's timeline, in our
status taxonomy with AT's own word kept beside it."""

from __future__ import annotations

import asyncio
import io
import itertools
import json

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway.core.messages import DeliveryStatus
from gateway.providers.africastalking.sms import STATUS_BY_WORD
from storage.outbox import DELIVERY_STATUSES, QueuedSms, enqueue_sms, mark_accepted

_ids = itertools.count()


def report_form(provider_id: str, status: str, **extra: str) -> dict[str, str]:
    """The fields AT posts for one delivery report."""
    return {
        "id": provider_id,
        "status": status,
        "phoneNumber": "+6281199000001",
        "networkCode": "51010",
        **extra,
    }


async def post_report(client: TestClient, form: dict[str, str]) -> tuple[int, str]:
    """Post one report; AT's view of the answer: status and body."""
    response = await client.post("/at/sms/delivery", data=form)
    return response.status, await response.text()


async def accepted_message(conn: asyncpg.Connection) -> tuple[int, str]:
    """A queued SMS that AT has accepted: its outbox id and AT's message id."""
    outbox_id = await enqueue_sms(
        conn, QueuedSms(b"sealed-recipient", "resident", "Laporan diterima.", "test")
    )
    provider_id = f"ATXid_delivery_{next(_ids):04d}"
    await mark_accepted(conn, outbox_id, provider_id, "101 Success")
    return outbox_id, provider_id


async def reports(conn: asyncpg.Connection, outbox_id: int) -> list[str]:
    """The 'report' events of a message's timeline, in order, by AT's raw status word."""
    rows = await conn.fetch(
        "SELECT raw FROM sms_events WHERE outbox_id = $1 AND kind = 'report' ORDER BY id",
        outbox_id,
    )
    return [r["raw"] for r in rows]


async def report_details(conn: asyncpg.Connection, outbox_id: int) -> list[str]:
    """The 'report' events of a message's timeline as the delivery log shows them."""
    rows = await conn.fetch(
        "SELECT detail FROM sms_events WHERE outbox_id = $1 AND kind = 'report' ORDER BY id",
        outbox_id,
    )
    return [r["detail"] for r in rows]


async def outbox_state(conn: asyncpg.Connection, outbox_id: int) -> tuple[str, str]:
    """A message's status and last error."""
    row = await conn.fetchrow("SELECT status, last_error FROM outbox WHERE id = $1", outbox_id)
    assert row is not None
    return row["status"], row["last_error"]


async def snapshot(conn: asyncpg.Connection) -> list[list[tuple[object, ...]]]:
    """Every row of the tables a report may touch."""
    return [
        [tuple(r) for r in await conn.fetch(query)]
        for query in (
            "SELECT * FROM outbox ORDER BY id",
            "SELECT * FROM sms_events ORDER BY id",
            "SELECT * FROM delivery_reports ORDER BY provider_id, status",
        )
    ]


ALL_STATUSES = [
    # (AT status, outbox status it leaves)
    ("Sent", "sent"),
    ("Submitted", "sent"),
    ("Buffered", "sent"),
    ("Success", "delivered"),
    ("Rejected", "failed"),
    ("Failed", "failed"),
    ("AbsentSubscriber", "failed"),
    ("Expired", "failed"),
]
FINAL = [s for s, outcome in ALL_STATUSES if outcome != "sent"]
TAXONOMY = [
    # (AT status, our status)
    ("Sent", "sent"),
    ("Submitted", "sent"),
    ("Buffered", "sent"),
    ("Success", "delivered"),
    ("Rejected", "rejected"),
    ("Failed", "failed_permanent"),
    ("AbsentSubscriber", "failed_temporary"),
    ("Expired", "expired"),
]


class TestEachStatus:
    @pytest.mark.parametrize("status", [s for s, _ in ALL_STATUSES])
    async def test_lands_in_timeline(
        self, client: TestClient, conn: asyncpg.Connection, status: str
    ) -> None:
        """Each of AT's statuses is one 'report' event in the message's timeline."""
        outbox_id, provider_id = await accepted_message(conn)
        await post_report(client, report_form(provider_id, status))
        assert [status] == await reports(conn, outbox_id)

    @pytest.mark.parametrize("status", [s for s, _ in ALL_STATUSES])
    async def test_answers_200(
        self, client: TestClient, conn: asyncpg.Connection, status: str
    ) -> None:
        """Each report is answered 200 with an empty body, so AT stops retrying it."""
        _, provider_id = await accepted_message(conn)
        assert (200, "") == await post_report(client, report_form(provider_id, status))

    @pytest.mark.parametrize(("status", "expected"), ALL_STATUSES, ids=[s for s, _ in ALL_STATUSES])
    async def test_sets_message_status(
        self, client: TestClient, conn: asyncpg.Connection, status: str, expected: str
    ) -> None:
        """Success delivers, the failed-final statuses fail, in-flight ones leave it 'sent'."""
        outbox_id, provider_id = await accepted_message(conn)
        await post_report(client, report_form(provider_id, status))
        assert expected == (await outbox_state(conn, outbox_id))[0]

    @pytest.mark.parametrize(("status", "ours"), TAXONOMY, ids=[s for s, _ in TAXONOMY])
    async def test_stored_in_our_taxonomy(
        self, client: TestClient, conn: asyncpg.Connection, status: str, ours: str
    ) -> None:
        """The report is stored under our status, AT's word kept as its raw status."""
        _, provider_id = await accepted_message(conn)
        await post_report(client, report_form(provider_id, status))
        row = await conn.fetchrow(
            "SELECT status, raw_status FROM delivery_reports WHERE provider_id = $1", provider_id
        )
        assert (ours, status) == (row["status"], row["raw_status"]) if row else None

    async def test_failure_reason_is_kept(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A Failed report with a failureReason fails the message with that reason."""
        outbox_id, provider_id = await accepted_message(conn)
        form = report_form(provider_id, "Failed", failureReason="UserDoesNotExist")
        await post_report(client, form)
        expected = ("failed", "failed_permanent (Failed) UserDoesNotExist")
        assert expected == await outbox_state(conn, outbox_id)

    async def test_failure_reason_is_in_timeline(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The failure reason is part of the timeline event, after our status and AT's word."""
        outbox_id, provider_id = await accepted_message(conn)
        form = report_form(provider_id, "Rejected", failureReason="UserInBlackList")
        await post_report(client, form)
        assert ["rejected (Rejected) UserInBlackList"] == await report_details(conn, outbox_id)

    async def test_in_flight_reports_accumulate(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Sent, Buffered, then Success: three events, and the message ends delivered."""
        outbox_id, provider_id = await accepted_message(conn)
        for status in ("Sent", "Buffered", "Success"):
            await post_report(client, report_form(provider_id, status))
        assert (["Sent", "Buffered", "Success"], "delivered") == (
            await reports(conn, outbox_id),
            (await outbox_state(conn, outbox_id))[0],
        )


class TestRepeatsAndOrder:
    @pytest.mark.parametrize("status", ["Sent", "Success", "Failed"])
    async def test_duplicate_changes_nothing(
        self, client: TestClient, conn: asyncpg.Connection, status: str
    ) -> None:
        """The same report again (AT retrying) leaves every row as it was."""
        _, provider_id = await accepted_message(conn)
        await post_report(client, report_form(provider_id, status))
        before = await snapshot(conn)
        answer = await post_report(client, report_form(provider_id, status))
        assert ((200, ""), before) == (answer, await snapshot(conn))

    @pytest.mark.parametrize("status", FINAL)
    async def test_final_status_not_downgraded(
        self, client: TestClient, conn: asyncpg.Connection, status: str
    ) -> None:
        """A late 'Sent' after a final report leaves the final status in place."""
        outbox_id, provider_id = await accepted_message(conn)
        await post_report(client, report_form(provider_id, status))
        final = await outbox_state(conn, outbox_id)
        await post_report(client, report_form(provider_id, "Sent"))
        assert final == await outbox_state(conn, outbox_id)

    async def test_late_report_still_in_timeline(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A late 'Sent' is still recorded in the timeline, after the final one."""
        outbox_id, provider_id = await accepted_message(conn)
        await post_report(client, report_form(provider_id, "Success"))
        await post_report(client, report_form(provider_id, "Sent"))
        assert ["Success", "Sent"] == await reports(conn, outbox_id)


class TestUnknownId:
    async def test_answers_200(self, client: TestClient) -> None:
        """A report for an id never sent is answered 200, so AT does not retry it for hours."""
        assert (200, "") == await post_report(client, report_form("ATXid_unknown", "Success"))

    async def test_is_logged(self, client: TestClient, log_output: io.StringIO) -> None:
        """A report for an unknown id is logged as such, with the id and status."""
        await post_report(client, report_form("ATXid_unknown", "Success"))
        lines = [json.loads(line) for line in log_output.getvalue().splitlines()]
        unknown = [e for e in lines if e["event"] == "sms.delivery_report_unknown_id"]
        assert [("ATXid_unknown", "delivered", "Success")] == [
            (e["provider_id"], e["status"], e["raw"]) for e in unknown
        ]

    async def test_is_kept(self, client: TestClient, conn: asyncpg.Connection) -> None:
        """The report is kept, in case the send's own answer has not been recorded yet."""
        await post_report(client, report_form("ATXid_unknown", "Success"))
        rows = await conn.fetch("SELECT provider_id, status, raw_status FROM delivery_reports")
        assert [("ATXid_unknown", "delivered", "Success")] == [tuple(r) for r in rows]

    async def test_touches_no_message(self, client: TestClient, conn: asyncpg.Connection) -> None:
        """A report for an unknown id changes no message."""
        outbox_id, _ = await accepted_message(conn)
        await post_report(client, report_form("ATXid_unknown", "Failed"))
        assert (("sent", ""), []) == (
            await outbox_state(conn, outbox_id),
            await reports(conn, outbox_id),
        )


class TestEarlyReport:
    @pytest.mark.parametrize(
        ("status", "expected"),
        [("Success", "delivered"), ("Failed", "failed"), ("Buffered", "sent")],
        ids=["success", "failed", "buffered"],
    )
    async def test_applied_when_id_is_recorded(
        self, client: TestClient, conn: asyncpg.Connection, status: str, expected: str
    ) -> None:
        """A report that overtook the send's answer is applied once the id is recorded."""
        await post_report(client, report_form("ATXid_early", status))
        outbox_id = await enqueue_sms(
            conn, QueuedSms(b"sealed-recipient", "resident", "Laporan diterima.", "test")
        )
        await mark_accepted(conn, outbox_id, "ATXid_early", "101 Success")
        assert (expected, [status]) == (
            (await outbox_state(conn, outbox_id))[0],
            await reports(conn, outbox_id),
        )

    async def test_early_reports_applied_in_order(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Several early reports are applied in the order they arrived."""
        for status in ("Sent", "Success"):
            await post_report(client, report_form("ATXid_early", status))
        outbox_id = await enqueue_sms(
            conn, QueuedSms(b"sealed-recipient", "resident", "Laporan diterima.", "test")
        )
        await mark_accepted(conn, outbox_id, "ATXid_early", "101 Success")
        assert (["Sent", "Success"], "delivered") == (
            await reports(conn, outbox_id),
            (await outbox_state(conn, outbox_id))[0],
        )

    async def test_report_during_recording_is_not_lost(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A report arriving while the send's id is being recorded is applied, not lost."""
        outbox_id = await enqueue_sms(
            conn, QueuedSms(b"sealed-recipient", "resident", "Laporan diterima.", "test")
        )
        async with conn.transaction():  # the worker is recording the id right now
            await mark_accepted(conn, outbox_id, "ATXid_racing", "101 Success")
            report = asyncio.create_task(
                post_report(client, report_form("ATXid_racing", "Success"))
            )
            await asyncio.wait({report}, timeout=0.5)
        await report
        assert ("delivered", ["Success"]) == (
            (await outbox_state(conn, outbox_id))[0],
            await reports(conn, outbox_id),
        )


BAD_FORMS = [
    # (id, form, the 400 body names)
    ("no-id", {"status": "Success"}, "missing field: id"),
    ("blank-id", {"id": "  ", "status": "Success"}, "missing field: id"),
    ("no-status", {"id": "ATXid_x"}, "missing field: status"),
    ("blank-status", {"id": "ATXid_x", "status": ""}, "missing field: status"),
    ("neither", {"phoneNumber": "+6281199000001"}, "missing field: id, status"),
]


class TestBadReports:
    @pytest.mark.parametrize(
        ("form", "expected"), [b[1:] for b in BAD_FORMS], ids=[b[0] for b in BAD_FORMS]
    )
    async def test_missing_field_is_named(
        self, client: TestClient, form: dict[str, str], expected: str
    ) -> None:
        """A report without id or status is refused with 400 naming what is missing."""
        assert (400, f"{expected}\n") == await post_report(client, form)


class TestUnknownStatus:
    async def test_answers_200(self, client: TestClient, conn: asyncpg.Connection) -> None:
        """A status AT never documented is answered 200, so AT does not retry it forever."""
        _, provider_id = await accepted_message(conn)
        assert (200, "") == await post_report(client, report_form(provider_id, "Delivered"))

    async def test_recorded_as_unknown_with_raw_word(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """It is stored as 'unknown', AT's word kept, and shown so in the timeline."""
        outbox_id, provider_id = await accepted_message(conn)
        await post_report(client, report_form(provider_id, "Delivered"))
        row = await conn.fetchrow("SELECT status, raw_status FROM delivery_reports")
        assert (("unknown", "Delivered"), ["unknown (Delivered)"]) == (
            tuple(row) if row else None,
            await report_details(conn, outbox_id),
        )

    async def test_changes_no_message_status(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """An unknown status leaves the message as it was ('sent')."""
        outbox_id, provider_id = await accepted_message(conn)
        await post_report(client, report_form(provider_id, "Delivered"))
        assert ("sent", "") == await outbox_state(conn, outbox_id)


def test_taxonomy_is_storage_taxonomy() -> None:
    """The core's status words are exactly the ones storage accepts."""
    assert sorted(DeliveryStatus) == sorted(DELIVERY_STATUSES)


def test_every_at_word_is_mapped() -> None:
    """AT's mapping table covers every word of its documentation, none to 'unknown'."""
    assert (sorted(s for s, _ in ALL_STATUSES), False) == (
        sorted(STATUS_BY_WORD),
        DeliveryStatus.UNKNOWN in STATUS_BY_WORD.values(),
    )
