"""Opt-in broadcasts (issue 16 item 1): subscribing by SMS, approval by a second account,
queueing through the outbox at a rate and outside quiet hours, stopping, and keeping subscribers
apart from tips."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway.identity import Identity
from gateway.usecases.broadcasts import first_moment, preview, schedule, sized
from gateway.ussd import WIB
from storage.broadcasts import (
    BroadcastRefused,
    approve_and_queue,
    create_broadcast,
    delivery_figures,
    forget_unconfirmed,
    request_subscription,
    unsubscribe,
)
from storage.outbox import outbox_rows
from tests.dialogues import assert_shows, one_language_only
from tests.sms_client import send_sms
from tests.test_ussd import walk

SECRET = "test-secret-0123456789"  # the config fixture's HOTLINE_SECRET
DATA = json.loads((Path(__file__).parent / "data" / "broadcast_sms.json").read_text())
USSD = json.loads((Path(__file__).parent / "data" / "broadcast_ussd.json").read_text())["cases"]
FOOTERS = {"id": "Berhenti: balas BERHENTI", "en": "Stop: reply STOP"}
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=WIB)
IDENTITY = Identity(SECRET)
STORAGE = Path(__file__).parent.parent / "storage"


async def subscribe(conn: asyncpg.Connection, phone: str, area: str, lang: str = "id") -> int:
    """A confirmed subscriber, stored as the SMS flow stores one; their id."""
    key = IDENTITY.reporter_key(phone)
    assert key is not None
    stored = await request_subscription(conn, key, IDENTITY.seal(phone), area, lang, confirmed=True)
    return stored.id


async def approved(conn: asyncpg.Connection, area: str) -> int:
    """A broadcast to `area` by 'penulis', approved by 'penyetuju' at noon; its id."""
    broadcast_id = await create_broadcast(
        conn, area, "Sosialisasi di balai desa.", "Meeting.", "penulis", "form-1"
    )
    await approve_and_queue(conn, broadcast_id, "penyetuju", schedule(NOON, 2.0), FOOTERS)
    return broadcast_id


def phone(n: int) -> str:
    return f"+628123{n:07d}"


class TestSubscribingBySms:
    @pytest.mark.parametrize("case", DATA["cases"], ids=[c["name"] for c in DATA["cases"]])
    async def test_dialogue(
        self, client: TestClient, conn: asyncpg.Connection, case: dict[str, Any]
    ) -> None:
        """Each SMS gets the reply the data file says; the subscription ends as it says."""
        for step in case["steps"]:
            before = len(await outbox_rows(conn))
            await send_sms(client, step["sms"])
            reply = (await outbox_rows(conn))[before:]
            assert 1 == len(reply), step
            for wanted in step["contains"]:
                assert wanted in reply[0].body, (step, reply[0].body)
            for unwanted in step.get("absent", []):
                assert unwanted not in reply[0].body, (step, reply[0].body)
        row = await conn.fetchrow("SELECT area, confirmed_at IS NOT NULL AS c FROM subscribers")
        found = (row["area"], row["c"]) if row else (None, False)
        assert (case["area"], case["confirmed"]) == found

    async def test_number_stored_sealed_only(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The subscriber's row holds neither the number's digits nor its text."""
        await send_sms(client, "DAFTAR INFO Pontang", "+6285711112222")
        row = await conn.fetchrow("SELECT phone_key, recipient_sealed FROM subscribers")
        assert not any(b"85711112222" in bytes(v) for v in row.values())

    async def test_ya_from_another_number_confirms_nothing(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Only the subscribing number's own YA confirms it; another number's is told nothing
        waits."""
        await send_sms(client, "DAFTAR INFO Pontang")
        await send_sms(client, "YA", "+6285711112222")
        replies = [r.body for r in await outbox_rows(conn)]
        confirmed = await conn.fetchval("SELECT confirmed_at IS NOT NULL FROM subscribers")
        assert (False, True) == (confirmed, "Tidak ada permintaan persetujuan" in replies[-1])


class TestSubscribingByUssd:
    @pytest.mark.parametrize("case", USSD, ids=[c["label"] for c in USSD])
    async def test_dialogue(
        self, client: TestClient, conn: asyncpg.Connection, case: dict[str, Any]
    ) -> None:
        """Each walk ends on the screen the data file says, with the subscription it says."""
        body = await walk(client, case["inputs"])
        assert case["kind"] == body[:3]
        assert_shows(case, body)
        row = await conn.fetchrow("SELECT area, confirmed_at IS NOT NULL AS c FROM subscribers")
        assert (case["area"], case["area"] is not None) == (
            (row["area"], row["c"]) if row else (None, False)
        )

    def test_both_languages(self) -> None:
        """Every USSD behaviour is tested in Indonesian and English."""
        assert [] == one_language_only(USSD)


class TestApproval:
    async def test_author_cannot_approve(self, conn: asyncpg.Connection) -> None:
        """The author's own approval is refused and queues nothing."""
        await subscribe(conn, phone(1), "36.04.12")
        broadcast_id = await create_broadcast(conn, "36.04.12", "a", "b", "penulis", "t")
        with pytest.raises(BroadcastRefused, match="self_approval"):
            await approve_and_queue(conn, broadcast_id, "penulis", schedule(NOON, 1), FOOTERS)
        assert [] == await outbox_rows(conn)

    async def test_second_approval_sends_nothing_more(self, conn: asyncpg.Connection) -> None:
        """Approving twice queues the broadcast once."""
        await subscribe(conn, phone(1), "36.04.12")
        broadcast_id = await approved(conn, "36.04.12")
        with pytest.raises(BroadcastRefused, match="already_approved"):
            await approve_and_queue(conn, broadcast_id, "lain", schedule(NOON, 1), FOOTERS)
        assert 1 == len(await outbox_rows(conn))

    async def test_double_submission_stores_one(self, conn: asyncpg.Connection) -> None:
        """The same form submitted twice is one broadcast."""
        first = await create_broadcast(conn, "*", "a", "b", "penulis", "same")
        second = await create_broadcast(conn, "*", "a", "b", "penulis", "same")
        assert (first, 1) == (second, await conn.fetchval("SELECT count(*) FROM broadcasts"))

    async def test_empty_area_refused(self, conn: asyncpg.Connection) -> None:
        """A broadcast to an area without subscribers is refused and stays pending."""
        await subscribe(conn, phone(1), "36.04.13")
        broadcast_id = await create_broadcast(conn, "36.04.12", "a", "b", "penulis", "t")
        with pytest.raises(BroadcastRefused, match="empty_area"):
            await approve_and_queue(conn, broadcast_id, "penyetuju", schedule(NOON, 1), FOOTERS)
        status = await conn.fetchval("SELECT status FROM broadcasts")
        assert ("pending", []) == (status, await outbox_rows(conn))


class TestReach:
    async def test_kecamatan_reaches_its_desa_not_others(self, conn: asyncpg.Connection) -> None:
        """A kecamatan broadcast reaches its own and its desa's subscribers, nobody else."""
        await subscribe(conn, phone(1), "36.04.12")
        await subscribe(conn, phone(2), "36.04.12.2002")
        await subscribe(conn, phone(3), "36.04.13")
        await subscribe(conn, phone(4), "*")
        await approved(conn, "36.04.12")
        assert 2 == len(await outbox_rows(conn))

    async def test_each_in_their_language_with_the_way_to_stop(
        self, conn: asyncpg.Connection
    ) -> None:
        """Subscribers get their language's text, ending with how to stop."""
        await subscribe(conn, phone(1), "*", "id")
        await subscribe(conn, phone(2), "*", "en")
        await approved(conn, "*")
        bodies = sorted(r.body for r in await outbox_rows(conn))
        assert [
            "Meeting. Stop: reply STOP",
            "Sosialisasi di balai desa. Berhenti: balas BERHENTI",
        ] == bodies

    async def test_pending_subscriber_gets_nothing(self, conn: asyncpg.Connection) -> None:
        """A number that never confirmed is not a recipient."""
        key = IDENTITY.reporter_key(phone(1))
        assert key is not None
        await request_subscription(conn, key, IDENTITY.seal(phone(1)), "*", "id", confirmed=False)
        await subscribe(conn, phone(2), "*")
        await approved(conn, "*")
        assert 1 == len(await outbox_rows(conn))


class TestStopWhileSending:
    async def test_rest_cancelled(self, client: TestClient, conn: asyncpg.Connection) -> None:
        """A subscriber who sends BERHENTI mid-broadcast gets none of its queued messages."""
        await subscribe(conn, "+6281234567890", "*")  # tests.sms_client's RESIDENT_PHONE
        await subscribe(conn, phone(2), "*")
        broadcast_id = await approved(conn, "*")
        await send_sms(client, "BERHENTI")
        figures = await delivery_figures(conn, broadcast_id)
        assert (1, 1) == (figures["cancelled"], figures["queued"])

    async def test_stop_then_no_next_broadcast(self, conn: asyncpg.Connection) -> None:
        """After unsubscribing, a later broadcast does not reach the number."""
        key = IDENTITY.reporter_key(phone(1))
        assert key is not None
        await subscribe(conn, phone(1), "*")
        await subscribe(conn, phone(2), "*")
        await unsubscribe(conn, key)
        await approved(conn, "*")
        assert 1 == len(await outbox_rows(conn))


class TestSchedule:
    @pytest.mark.parametrize(
        ("hour", "minute", "day", "expected"),
        [
            (6, 59, 1, "07:00"),
            (7, 0, 1, "07:00"),
            (12, 30, 1, "12:30"),
            (20, 59, 1, "20:59"),
            (21, 0, 2, "07:00"),
            (23, 30, 2, "07:00"),
        ],
    )
    def test_first_moment_outside_quiet_hours(
        self, hour: int, minute: int, day: int, expected: str
    ) -> None:
        """Nothing starts between 21:00 and 07:00 WIB; it waits for 07:00."""
        first = first_moment(datetime(2026, 12, 1, hour, minute, tzinfo=WIB))
        assert (day, expected) == (first.day, first.strftime("%H:%M"))

    async def test_spread_by_rate_and_past_closing_into_morning(
        self, conn: asyncpg.Connection
    ) -> None:
        """At 1 a second from 20:59:58, two go before 21:00 and the third at 07:00 next day."""
        for n in range(3):
            await subscribe(conn, phone(n), "*")
        broadcast_id = await create_broadcast(conn, "*", "a", "b", "penulis", "t")
        late = datetime(2026, 12, 1, 20, 59, 58, tzinfo=WIB)
        await approve_and_queue(conn, broadcast_id, "penyetuju", schedule(late, 1.0), FOOTERS)
        due = await conn.fetch("SELECT next_attempt_at FROM outbox ORDER BY next_attempt_at")
        shown = [r["next_attempt_at"].astimezone(WIB).strftime("%d %H:%M:%S") for r in due]
        assert ["01 20:59:58", "01 20:59:59", "02 07:00:00"] == shown


class TestPreview:
    def test_segments_per_language(self) -> None:
        """GSM-7 and UCS-2 are counted apart: an emoji makes a text UCS-2."""
        assert ("GSM-7", 1, "UCS-2", 2) == (
            sized("Rapat", "id").alphabet,
            sized("Rapat", "id").segments,
            sized("Meeting 🙂 " + "x" * 60, "en").alphabet,
            sized("Meeting 🙂 " + "x" * 60, "en").segments,
        )

    def test_more_than_three_segments_refused(self) -> None:
        """A text over 3 segments is refused with its reason."""
        shown = preview("x" * 470, "short", 10, 350)
        assert "broadcast_too_long" in shown.problems

    def test_empty_area_refused(self) -> None:
        """No recipients: refused with its reason."""
        assert "broadcast_empty_area" in preview("a", "b", 0, 350).problems

    def test_cost_counts_the_longer_language(self) -> None:
        """Cost: recipients x the most segments x the price."""
        assert 10 * 2 * 350 == preview("x" * 200, "short", 10, 350).cost


class TestConcurrentApproval:
    async def test_two_approvers_at_once_queue_once(
        self, conn: asyncpg.Connection, database_url: str
    ) -> None:
        """Two accounts approving at the same moment queue the broadcast once."""
        await subscribe(conn, phone(1), "*")
        broadcast_id = await create_broadcast(conn, "*", "a", "b", "penulis", "t")
        others = [await asyncpg.connect(database_url) for _ in range(2)]
        try:
            results = await asyncio.gather(
                *(
                    approve_and_queue(c, broadcast_id, f"approver-{n}", schedule(NOON, 1), FOOTERS)
                    for n, c in enumerate(others)
                ),
                return_exceptions=True,
            )
        finally:
            for c in others:
                await c.close()
        refused = [r for r in results if isinstance(r, BroadcastRefused)]
        assert (1, 1) == (len(refused), len(await outbox_rows(conn)))


class TestHousekeeping:
    async def test_unconfirmed_forgotten_after_a_day(self, conn: asyncpg.Connection) -> None:
        """A subscription never confirmed is deleted a day later; a confirmed one stays."""
        key = IDENTITY.reporter_key(phone(1))
        assert key is not None
        await request_subscription(conn, key, IDENTITY.seal(phone(1)), "*", "id", confirmed=False)
        await subscribe(conn, phone(2), "*")
        await conn.execute("UPDATE subscribers SET created_at = now() - interval '25 hours'")
        assert (1, 1) == (
            await forget_unconfirmed(conn),
            await conn.fetchval("SELECT count(*) FROM subscribers"),
        )


class TestApartFromTips:
    def test_no_storage_statement_names_subscribers_and_tips(self) -> None:
        """No SQL string in storage/ mentions both the subscribers table and tips."""
        offenders = [
            f"{path.name}: {statement[:80]}"
            for path in [*STORAGE.rglob("*.py"), *STORAGE.rglob("*.sql")]
            for statement in naming_both(path.read_text(), path.suffix)
        ]
        assert [] == offenders

    def test_the_scan_finds_a_join(self) -> None:
        """The scan above would catch a query joining them, split over adjacent strings."""
        code = 'q = (\n    "SELECT t.id FROM tips t"\n    " JOIN subscribers s ON true"\n)\n'
        assert 1 == len(naming_both(code, ".py"))


def naming_both(text: str, suffix: str) -> list[str]:
    """The SQL statements (a .sql file's) or string literals (a module's, adjacent ones joined,
    docstrings and comments left out) that name both the subscribers table and tips."""
    if suffix == ".sql":
        strings = re.sub(r"--[^\n]*", "", text).split(";")
    else:
        code = re.sub(r'"""[\s\S]*?"""', "", text)
        strings = re.findall(r'f?"(?:[^"\\\n]|\\.)*"(?:\s*f?"(?:[^"\\\n]|\\.)*")*', code)
    return [
        s
        for s in strings
        if re.search(r"\bsubscribers\b", s, re.I) and re.search(r"\btips\b", s, re.I)
    ]
