"""AT's USSD end-of-session notification: recorded once, with the last menu step and no identity."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

PHONE = "+6281234567890"
SECRET_STORY = "Calo minta 5 juta di desa Kubang"


def event_form(session_id: str = "ATUid_event", **changes: str) -> dict[str, str]:
    """The fields AT posts when a session ends."""
    form = {
        "sessionId": session_id,
        "phoneNumber": PHONE,
        "networkCode": "51010",
        "serviceCode": "*123*45#",
        "status": "Incomplete",
        "date": "2026-11-30 10:00:00",
        "durationInMillis": "41250",
        "hopsCount": "4",
        "input": "1",
        "lastAppResponse": "CON Ketik nama perusahaan",
        "errorMessage": "",
    }
    form.update(changes)
    return form


async def post_event(client: TestClient, form: dict[str, str]) -> tuple[int, str]:
    """Post the notification; its status and body."""
    response = await client.post("/at/ussd/events", data=form)
    return response.status, await response.text()


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
    """Dial and answer each input in turn within one session, as AT posts them; the last screen."""
    body = await hop(client, "", session_id)
    for n in range(1, len(inputs) + 1):
        body = await hop(client, "*".join(inputs[:n]), session_id)
    return body


async def event_rows(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every recorded session end."""
    return await conn.fetch("SELECT * FROM ussd_session_events ORDER BY session_id")


class TestRecording:
    async def test_event_is_acknowledged(self, client: TestClient) -> None:
        """A well-formed notification gets 200 with an empty body."""
        assert (200, "") == await post_event(client, event_form())

    async def test_outcome_is_stored_as_sent(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Hops, duration, network, error and end time are kept as AT sent them, the status in
        our words."""
        await post_event(client, event_form(status="Failed", errorMessage="Bad response"))
        row = (await event_rows(conn))[0]
        assert (
            "ATUid_event",
            "failed",
            4,
            41250,
            "51010",
            "Bad response",
            datetime(2026, 11, 30, 10, 0, tzinfo=UTC),
        ) == (
            row["session_id"],
            row["status"],
            row["hops"],
            row["duration_ms"],
            row["network_code"],
            row["error"],
            row["ended_at"],
        )

    @pytest.mark.parametrize(
        ("sent", "stored"),
        [("Success", "completed"), ("Incomplete", "incomplete"), ("Failed", "failed")],
    )
    async def test_status_is_stored_in_our_words(
        self, client: TestClient, conn: asyncpg.Connection, sent: str, stored: str
    ) -> None:
        """Each of AT's session statuses is stored as the core's own word for it."""
        await post_event(client, event_form(status=sent))
        assert [stored] == [r["status"] for r in await event_rows(conn)]

    async def test_repeat_changes_nothing(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """AT repeating the notification (even with other values) leaves the first record."""
        await post_event(client, event_form(status="Incomplete", input="1"))
        first = [dict(r) for r in await event_rows(conn)]
        assert (200, "") == await post_event(
            client, event_form(status="Success", input="2*2", hopsCount="9")
        )
        assert first == [dict(r) for r in await event_rows(conn)]

    async def test_sessions_are_recorded_apart(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Each session's end is its own record."""
        await post_event(client, event_form("ATUid_a"))
        await post_event(client, event_form("ATUid_b"))
        assert ["ATUid_a", "ATUid_b"] == [r["session_id"] for r in await event_rows(conn)]

    async def test_unparseable_numbers_are_left_empty(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Hops, duration and date that do not parse are stored as unknown, not refused."""
        await post_event(client, event_form(hopsCount="many", durationInMillis="", date="soon"))
        row = (await event_rows(conn))[0]
        assert (None, None, None) == (row["hops"], row["duration_ms"], row["ended_at"])


LAST_STEPS = [
    ("dialled-only", [], "main"),
    ("agency-check", ["1"], "check"),
    ("agency-found", ["1", "PT Contoh Samudra Karya"], "check_detail"),
    ("agency-not-found", ["1", "zz*top"], "check_none"),
    ("report-categories", ["2"], "report"),
    ("report-kecamatan", ["2", "2"], "report_kec"),
    ("report-desa", ["2", "2", "pontang", "1"], "report_desa"),
    ("report-agency", ["2", "2", "pontang", "1", "1"], "report_agency"),
    ("report-description", ["2", "2", "pontang", "1", "1", "1"], "report_desc"),
    ("report-confirm", ["2", "2", "pontang", "1", "1", "1", SECRET_STORY], "report_confirm"),
    ("report-done", ["2", "2", "pontang", "1", "1", "1", SECRET_STORY, "1"], "report_done"),
    ("status-prompt", ["3"], "status"),
    ("info", ["4"], "info"),
    ("language", ["5"], "lang"),
    ("english-main", ["5", "2"], "main"),
    ("back-to-main", ["1", "0"], "main"),
    ("exit", ["0"], "exit"),
]


class TestLastStep:
    @pytest.mark.parametrize(
        ("inputs", "step"), [s[1:] for s in LAST_STEPS], ids=[s[0] for s in LAST_STEPS]
    )
    async def test_last_step_is_where_the_input_ends(
        self, client: TestClient, conn: asyncpg.Connection, inputs: list[str], step: str
    ) -> None:
        """The recorded last step is the menu step the session's input path ended on."""
        await walk(client, inputs, "ATUid_walked")
        await post_event(client, event_form("ATUid_walked", input="*".join(inputs)))
        assert [step] == [r["last_step"] for r in await event_rows(conn)]

    def test_ids_are_unique(self) -> None:
        """Every last-step case has its own id."""
        ids = [s[0] for s in LAST_STEPS]
        assert sorted(set(ids)) == sorted(ids)

    @pytest.mark.parametrize(
        ("path", "step"),
        [("", "main"), ("1", "check"), ("2*2", "report_kec"), ("3*0", "main")],
        ids=["empty", "check", "report-kecamatan", "back"],
    )
    async def test_unseen_session_replays_its_keys(
        self, client: TestClient, conn: asyncpg.Connection, path: str, step: str
    ) -> None:
        """A session this service never answered still gets the step its keys lead to."""
        await post_event(client, event_form("ATUid_unseen", input=path))
        assert [step] == [r["last_step"] for r in await event_rows(conn)]

    async def test_replaying_files_no_tip(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """An input ending on 'send' that the service never answered is only replayed: no tip."""
        inputs = ["2", "2", "pontang", "1", "1", "1", SECRET_STORY]
        await walk(client, inputs, "ATUid_failed")
        path = "*".join([*inputs, "1"])
        await post_event(client, event_form("ATUid_failed", status="Failed", input=path))
        counts = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM tips) AS tips, (SELECT count(*) FROM outbox) AS sms"
        )
        assert ("report_done", 0, 0) == (
            (await event_rows(conn))[0]["last_step"],
            counts["tips"],
            counts["sms"],
        )


class TestBadCallbacks:
    @pytest.mark.parametrize("status", ["Done", "success", ""], ids=["other", "lowercase", "empty"])
    async def test_unknown_status_is_refused(self, client: TestClient, status: str) -> None:
        """A status AT does not send gets 400 listing the accepted ones."""
        code, body = await post_event(client, event_form(status=status))
        assert 400 == code
        assert body.endswith("accepted: Success, Incomplete, Failed\n")

    async def test_missing_status_is_refused(self, client: TestClient) -> None:
        """A notification without a status gets 400."""
        form = event_form()
        del form["status"]
        code, body = await post_event(client, form)
        assert (400, True) == (code, "accepted: Success, Incomplete, Failed" in body)

    @pytest.mark.parametrize("session_id", [None, "", "   "], ids=["absent", "empty", "spaces"])
    async def test_missing_session_id_is_refused(
        self, client: TestClient, session_id: str | None
    ) -> None:
        """A notification without a sessionId gets 400 naming it."""
        form = event_form()
        if session_id is None:
            del form["sessionId"]
        else:
            form["sessionId"] = session_id
        assert (400, "missing field: sessionId\n") == await post_event(client, form)

    async def test_refused_notification_records_nothing(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A refused notification leaves no record."""
        await post_event(client, event_form(status="Done"))
        assert [] == await event_rows(conn)


class TestNothingIdentifying:
    async def test_no_column_for_number_or_input(self, conn: asyncpg.Connection) -> None:
        """The table has no column meant for the phone number or the input path."""
        columns = await conn.fetch(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = 'ussd_session_events' ORDER BY ordinal_position"
        )
        assert [
            "session_id",
            "status",
            "last_step",
            "hops",
            "duration_ms",
            "network_code",
            "error",
            "ended_at",
            "received_at",
        ] == [c["column_name"] for c in columns]

    async def test_row_holds_neither_number_nor_input(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """No value of the recorded row holds the number, the input or the typed story."""
        inputs = ["2", "2", "pontang", "1", "Kubang", "1", SECRET_STORY]
        await walk(client, inputs, "ATUid_event")
        path = "*".join(inputs)
        await post_event(client, event_form(input=path, lastAppResponse="CON " + SECRET_STORY))
        row = (await event_rows(conn))[0]
        values = [str(v) for v in row.values()]
        secrets = (PHONE, PHONE[1:], "0" + PHONE[3:], PHONE[3:], path, SECRET_STORY, "Kubang")
        assert [] == [s for v in values for s in secrets if s in v]
