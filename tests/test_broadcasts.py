"""Opt-in broadcasts (issue 16 item 1): subscribing by SMS, approval by a second account,
queueing through the outbox at a rate and outside quiet hours, stopping, and keeping subscribers
apart from tips."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from gateway.console.auth import hash_password
from gateway.identity import Identity
from gateway.usecases.broadcasts import first_moment, preview, schedule, sized
from gateway.ussd import WIB
from storage.broadcasts import (
    BroadcastRefused,
    approve_and_queue,
    create_broadcast,
    delivery_figures,
    request_subscription,
    unsubscribe,
)
from storage.outbox import outbox_rows
from storage.users import add_user
from tests.console_helpers import PASSWORD, csrf_token, post_login, sign_in
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


class TestApartFromTips:
    def test_no_storage_statement_names_subscribers_and_tips(self) -> None:
        """No SQL string in storage/ mentions both the subscribers table and tips."""
        offenders = []
        for path in [*STORAGE.rglob("*.py"), *STORAGE.rglob("*.sql")]:
            text = path.read_text()
            if path.suffix == ".sql":  # statements, without their comments
                strings = re.sub(r"--[^\n]*", "", text).split(";")
            else:  # string literals (joined when adjacent), without docstrings
                code = re.sub(r'"""[\s\S]*?"""', "", text)
                strings = re.findall(r'f?"(?:[^"\\\n]|\\.)*"(?:\s*f?"(?:[^"\\\n]|\\.)*")*', code)
            for statement in strings:
                low = statement.lower()
                if re.search(r"\bsubscribers\b", low) and re.search(r"\btips\b", low):
                    offenders.append(f"{path.name}: {statement[:80]}")
        assert [] == offenders


async def switch_account(
    client: TestClient, conn: asyncpg.Connection, role: str, name: str
) -> None:
    """Log the client out and in again as another account."""
    token = await csrf_token(client)
    await client.post("/console/logout", data={"csrf": token}, allow_redirects=False)
    await sign_in(client, conn, role, name)


async def compose(client: TestClient, area: str, body_id: str, body_en: str = "Meeting.") -> str:
    """Post the compose form to the preview; the page's HTML (status checked by callers)."""
    token = await csrf_token(client, "/console/broadcasts")
    form = {"csrf": token, "area": area, "body_id": body_id, "body_en": body_en}
    response = await client.post("/console/broadcasts/preview", data=form)
    return await response.text()


async def submit(client: TestClient, area: str, form_token: str = "form-a") -> int:  # noqa: S107
    """Submit a broadcast for approval; its id."""
    token = await csrf_token(client, "/console/broadcasts")
    form = {"csrf": token, "area": area, "body_id": "Sosialisasi.", "body_en": "Meeting."}
    response = await client.post(
        "/console/broadcasts", data={**form, "token": form_token}, allow_redirects=False
    )
    assert 303 == response.status, await response.text()
    return int(response.headers["Location"].rsplit("/", 1)[1])


async def approve_as_is(client: TestClient, broadcast_id: int) -> ClientResponse:
    """Post the approval as the logged-in account."""
    token = await csrf_token(client, "/console/broadcasts")
    return await client.post(
        f"/console/broadcasts/{broadcast_id}/approve", data={"csrf": token}, allow_redirects=False
    )


class TestConsole:
    async def test_preview_counts_segments_recipients_cost(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The preview shows each language's alphabet and segments, recipients and cost."""
        await subscribe(conn, phone(1), "36.04.12.2002")
        await subscribe(conn, phone(2), "36.04.12.2002")
        await sign_in(client, conn, "investigator")
        page = await compose(client, "36.04.12.2002", "Rapat di balai desa", "Meeting 🙂")
        found = re.findall(r'class="(alphabet|segments)">([^<]+)<', page)
        recipients = re.search(r'id="recipients">(\d+)<', page)
        cost = re.search(r'id="cost">(\d+)<', page)
        assert (found, "2", "700") == (
            [("alphabet", "GSM-7"), ("segments", "1"), ("alphabet", "UCS-2"), ("segments", "1")],
            recipients and recipients.group(1),
            cost and cost.group(1),
        )

    @pytest.mark.parametrize(
        ("area", "body", "problem"),
        [
            ("36.04.12", "x" * 470, "broadcast_too_long"),
            ("36.04.12.2002", "Rapat", "broadcast_empty_area"),  # subscribers in Pontang only
            ("36.04.99", "Rapat", "broadcast_bad_area"),
            ("36.04.05", "Rapat", "broadcast_bad_area"),  # outside the account's kecamatan
        ],
        ids=["too-long", "empty-area", "unknown-area", "outside-account"],
    )
    async def test_refused_with_a_clear_message(
        self, client: TestClient, conn: asyncpg.Connection, area: str, body: str, problem: str
    ) -> None:
        """A refused broadcast gets 400, its reason and no way to submit it."""
        await subscribe(conn, phone(1), "36.04.12")
        await add_user(conn, "kec", "investigator", hash_password(PASSWORD), "36.04.12")
        assert 303 == (await post_login(client, "kec")).status
        page = await compose(client, area, body)
        assert (f'data-problem="{problem}"', False) == (
            re.search(r'data-problem="[a-z_]+"', page).group(0),  # type: ignore[union-attr]
            'id="submit-broadcast"' in page,
        )

    async def test_author_cannot_approve_a_second_account_can_once(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The author's approval is refused; another account's queues it; a repeat adds none."""
        await subscribe(conn, phone(1), "36.04.12")
        await sign_in(client, conn, "investigator", "penulis")
        broadcast_id = await submit(client, "36.04.12")
        own = await approve_as_is(client, broadcast_id)
        await switch_account(client, conn, "admin", "penyetuju")
        second = await approve_as_is(client, broadcast_id)
        again = await approve_as_is(client, broadcast_id)
        assert (409, 303, 409, 1) == (
            own.status,
            second.status,
            again.status,
            len(await outbox_rows(conn)),
        )

    async def test_double_submission_is_one_broadcast(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The same form posted twice stores one broadcast and leads to the same page."""
        await subscribe(conn, phone(1), "36.04.12")
        await sign_in(client, conn, "investigator")
        first = await submit(client, "36.04.12", "same-token")
        second = await submit(client, "36.04.12", "same-token")
        assert (first, 1) == (second, await conn.fetchval("SELECT count(*) FROM broadcasts"))

    async def test_page_shows_delivery_figures(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """After approval the broadcast's page counts its messages by status."""
        for n in range(3):
            await subscribe(conn, phone(n), "*")
        await sign_in(client, conn, "investigator", "penulis")
        broadcast_id = await submit(client, "*")
        await switch_account(client, conn, "admin", "penyetuju")
        await approve_as_is(client, broadcast_id)
        page = await (await client.get(f"/console/broadcasts/{broadcast_id}")).text()
        assert re.search(r'data-status="queued"><th>queued</th><td>3<', page), page

    async def test_operator_may_not_broadcast(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Operators do not reach the broadcast pages."""
        await sign_in(client, conn, "operator")
        assert 403 == (await client.get("/console/broadcasts")).status
