"""The outbox worker against a fake Africa's Talking over real HTTP: sending, outcomes, retries."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import os
import shutil
import sys
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway import keys
from gateway.alerting import alert_text
from gateway.outbox_worker import OutboxWorker
from gateway.providers.africastalking.sender import AtSender
from tests.conftest import FAKE_API_KEY, Gateway
from tests.sms_client import send_sms

HOTLINE = shutil.which("hotline", path=str(Path(sys.executable).parent)) or "hotline"
RESIDENT = "+6281234567890"
STORY = "Calo minta uang 10 juta untuk ke Taiwan"
CHOICES = {"bahaya": "1", "calo": "2", "biaya": "3"}
# Sample officials (storage/sample/officials.csv) by their numbers.
CAMAT_KRAMATWATU = "+6281199000001"
CAMAT_PONTANG = "+6281199000007"
KADES_PONTANG = "+6281199000030"
KAPOLSEK_PONTANG = "+6281199000031"
PONTANG_TIER_ONE = [CAMAT_PONTANG, KADES_PONTANG, KAPOLSEK_PONTANG]
BACKOFF_WAIT_S = 0.2  # retry_base_s is 0.05: a first retry is due within 0.075 s
# AT reports delivery seconds after accepting; the shared fixture's 0.01 s lets a report overtake
# the worker recording the id, a race pinned down on its own in test_sms_delivery.py.
REPORT_DELAY_S = 0.2
_ids = itertools.count()


@pytest.fixture
def gateway(gateway: Gateway) -> Gateway:
    """The shared gateway, its fake posting delivery reports only in tests that turn them on
    (`reports_on`): no report is then in flight when a test about sending ends."""
    gateway.fake.report_url = None
    return gateway


def reports_on(gateway: Gateway) -> None:
    """Let the fake post delivery reports back to the service, as AT does, a little later."""
    gateway.fake.report_url = gateway.delivery_url
    gateway.fake.report_delay_s = REPORT_DELAY_S


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


async def file_tip(client: TestClient, category: str, kecamatan: str) -> str:
    """File a tip over USSD, desa and agency skipped; the last screen."""
    session = f"ATUid_worker_{next(_ids)}"
    details = ["2"] if category == "bahaya" else []  # BAHAYA: add details
    inputs = ["2", CHOICES[category], *details, kecamatan, "1", "1", "1", STORY, "1"]
    body = await hop(client, "", session)
    for n in range(1, len(inputs) + 1):
        body = await hop(client, "*".join(inputs[:n]), session)
    assert body.startswith("CON "), body
    return body


async def file_kramatwatu_tip(gateway: Gateway) -> int:
    """File a 'biaya' tip in Kramatwatu, which alerts its Camat alone; the alert's outbox id."""
    await file_tip(gateway.client, "biaya", "kramatwatu")
    return await only_alert(gateway)


async def only_alert(gateway: Gateway) -> int:
    """The outbox id of the one queued alert."""
    pool = gateway.client.server.app[keys.POOL]
    ids = await pool.fetch(
        "SELECT id FROM outbox WHERE recipient_kind = 'official' AND cause LIKE 'alert:%'"
    )
    assert 1 == len(ids)
    return int(ids[0]["id"])


async def drain(worker: OutboxWorker) -> int:
    """Send everything that is due now; how many attempts were made."""
    attempted = 0
    while sent := await worker.drain_once():
        attempted += sent
    return attempted


async def row(conn: asyncpg.Connection, outbox_id: int) -> asyncpg.Record:
    """One outbox row."""
    record = await conn.fetchrow("SELECT * FROM outbox WHERE id = $1", outbox_id)
    assert record is not None
    return record


async def timeline(conn: asyncpg.Connection, outbox_id: int) -> list[str]:
    """The kinds of a message's timeline events, in order."""
    rows = await conn.fetch(
        "SELECT kind FROM sms_events WHERE outbox_id = $1 ORDER BY id", outbox_id
    )
    return [r["kind"] for r in rows]


async def wait_for_status(
    conn: asyncpg.Connection, status: str, timeout_s: float = 2.0
) -> list[str]:
    """Poll until every official's message has the status (or time runs out); the statuses."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        rows = await conn.fetch(
            "SELECT status FROM outbox WHERE recipient_kind = 'official' ORDER BY id"
        )
        statuses = [r["status"] for r in rows]
        if set(statuses) == {status} or asyncio.get_running_loop().time() > deadline:
            return statuses
        await asyncio.sleep(0.02)


async def set_phone(conn: asyncpg.Connection, old: str, new: str) -> None:
    """Give an official another number (a magic number of the fake, say)."""
    await conn.execute("UPDATE officials SET phone = $2 WHERE phone = $1", old, new)


def requests_to(gateway: Gateway, phone: str) -> int:
    """How many send requests the gateway got for one number."""
    return sum(1 for r in gateway.fake.requests if r.get("to") == phone)


def log_lines(stream: io.StringIO) -> list[dict[str, object]]:
    """The JSON log lines written so far."""
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@dataclass(frozen=True, slots=True)
class Run:
    """How a command ended and what it wrote."""

    code: int
    stdout: str
    stderr: str


async def hotline(database_url: str, *args: str) -> Run:
    """Run `hotline ARGS` against the database as an operator does."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "AT_"))}
    env.update(DATABASE_URL=database_url, LOG_FORMAT="json")
    process = await asyncio.create_subprocess_exec(
        HOTLINE, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode is not None
    return Run(process.returncode, stdout.decode(), stderr.decode())


def worker_like(
    gateway: Gateway, sender: AtSender | None = None, **changes: object
) -> OutboxWorker:
    """Another worker on the service's database, sender and keys, with config changes."""
    app = gateway.client.server.app
    return OutboxWorker(
        app[keys.POOL],
        sender or gateway.worker.sender,
        app[keys.IDENTITY],
        replace(app[keys.CONFIG], **changes),
        alert_text,
    )


REQUEST_FIELDS = [
    ("apiKey", FAKE_API_KEY),
    ("username", "sandbox"),
    ("to", CAMAT_KRAMATWATU),
    ("bulkSMSMode", "1"),
]


class TestSendRequest:
    @pytest.mark.parametrize(
        ("name", "expected"), REQUEST_FIELDS, ids=[f for f, _ in REQUEST_FIELDS]
    )
    async def test_request_field(self, gateway: Gateway, name: str, expected: str) -> None:
        """The send request carries the API key header and AT's form fields, `to` in E.164."""
        await file_kramatwatu_tip(gateway)
        await drain(gateway.worker)
        assert [expected] == [r.get(name) for r in gateway.fake.requests]

    async def test_message_is_the_queued_body(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """The text sent is the queued alert's body, unchanged."""
        outbox_id = await file_kramatwatu_tip(gateway)
        await drain(gateway.worker)
        body = (await row(conn, outbox_id))["body"]
        assert [body] == [r["message"] for r in gateway.fake.requests]


class TestAccepted:
    async def test_accepted_is_sent_with_provider_id(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """An accepted message is 'sent' with AT's message id, one attempt, no error."""
        outbox_id = await file_kramatwatu_tip(gateway)
        await drain(gateway.worker)
        sent = await row(conn, outbox_id)
        assert ("sent", gateway.fake.messages[0]["id"], 1, "") == (
            sent["status"],
            sent["provider_id"],
            sent["attempts"],
            sent["last_error"],
        )

    async def test_provider_id_is_ats(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """The recorded provider id is AT's, shaped ATXid_..."""
        outbox_id = await file_kramatwatu_tip(gateway)
        await drain(gateway.worker)
        assert (await row(conn, outbox_id))["provider_id"].startswith("ATXid_")

    async def test_delivery_report_marks_delivered(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """Once the gateway's delivery report arrives, every alert is 'delivered'."""
        reports_on(gateway)
        await file_tip(gateway.client, "calo", "pontang")
        await drain(gateway.worker)
        assert ["delivered"] * 3 == await wait_for_status(conn, "delivered")

    async def test_timeline_records_acceptance_and_report(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """The message's timeline is 'accepted', then 'report'."""
        reports_on(gateway)
        outbox_id = await file_kramatwatu_tip(gateway)
        await drain(gateway.worker)
        await wait_for_status(conn, "delivered")
        assert ["accepted", "report"] == await timeline(conn, outbox_id)


class TestGatewayDown:
    async def test_failed_send_is_scheduled_for_retry(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """While the gateway answers 503, a message goes back to 'queued' after one attempt."""
        gateway.fake.mode = "down"
        outbox_id = await file_kramatwatu_tip(gateway)
        await drain(gateway.worker)
        queued = await row(conn, outbox_id)
        assert ("queued", 1, None) == (
            queued["status"],
            queued["attempts"],
            queued["provider_id"],
        )

    async def test_retry_is_due_later(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """The retry is due after the failed attempt, not at once."""
        gateway.fake.mode = "down"
        outbox_id = await file_kramatwatu_tip(gateway)
        await drain(gateway.worker)
        assert await conn.fetchval(
            "SELECT next_attempt_at > updated_at FROM outbox WHERE id = $1", outbox_id
        )

    async def test_timeline_has_retry(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """The failed attempt is a 'retry' event in the message's timeline."""
        gateway.fake.mode = "down"
        outbox_id = await file_kramatwatu_tip(gateway)
        await drain(gateway.worker)
        assert ["retry"] == await timeline(conn, outbox_id)

    async def test_reason_is_kept(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """The reason of the failed attempt is kept as the message's last error."""
        gateway.fake.mode = "down"
        outbox_id = await file_kramatwatu_tip(gateway)
        await drain(gateway.worker)
        assert "Service Unavailable" in (await row(conn, outbox_id))["last_error"]

    async def test_every_alert_sent_once_after_outage(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """After the gateway comes back, each alert reaches it exactly once: none lost."""
        gateway.fake.mode = "down"
        await file_tip(gateway.client, "calo", "pontang")
        await drain(gateway.worker)
        gateway.fake.mode = "up"
        await asyncio.sleep(BACKOFF_WAIT_S)
        await drain(gateway.worker)
        assert Counter(PONTANG_TIER_ONE) == Counter(m["to"] for m in gateway.fake.messages)

    async def test_alerts_delivered_after_outage(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """After the outage every alert ends 'delivered'."""
        reports_on(gateway)
        gateway.fake.mode = "down"
        await file_tip(gateway.client, "calo", "pontang")
        await drain(gateway.worker)
        gateway.fake.mode = "up"
        await asyncio.sleep(BACKOFF_WAIT_S)
        await drain(gateway.worker)
        assert ["delivered"] * 3 == await wait_for_status(conn, "delivered")


PERMANENT = [
    ("+62811000403", "403 InvalidPhoneNumber"),
    ("+62811000406", "406 UserInBlacklist"),
]


class TestPermanentFailure:
    @pytest.mark.parametrize(("phone", "reason"), PERMANENT, ids=["invalid-number", "blacklist"])
    async def test_failed_at_once_with_reason(
        self, gateway: Gateway, conn: asyncpg.Connection, phone: str, reason: str
    ) -> None:
        """A permanently refused message is 'failed' after one attempt, with AT's reason."""
        await set_phone(conn, CAMAT_KRAMATWATU, phone)
        outbox_id = await file_kramatwatu_tip(gateway)
        await drain(gateway.worker)
        failed = await row(conn, outbox_id)
        assert ("failed", 1, reason) == (failed["status"], failed["attempts"], failed["last_error"])

    @pytest.mark.parametrize(("phone", "reason"), PERMANENT, ids=["invalid-number", "blacklist"])
    async def test_not_retried(
        self, gateway: Gateway, conn: asyncpg.Connection, phone: str, reason: str
    ) -> None:
        """A failed message is never tried again, however long the worker runs."""
        await set_phone(conn, CAMAT_KRAMATWATU, phone)
        await file_kramatwatu_tip(gateway)
        await drain(gateway.worker)
        await asyncio.sleep(BACKOFF_WAIT_S)
        await drain(gateway.worker)
        assert 1 == requests_to(gateway, phone)

    async def test_timeline_has_failed(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """The timeline of a permanently refused message is one 'failed' event."""
        await set_phone(conn, CAMAT_KRAMATWATU, "+62811000403")
        outbox_id = await file_kramatwatu_tip(gateway)
        await drain(gateway.worker)
        assert ["failed"] == await timeline(conn, outbox_id)


RETRYABLE = [("+62811000501", "gateway-error-501"), ("+62811000500", "http-500")]


class TestDeadLetter:
    @pytest.mark.parametrize("phone", [p for p, _ in RETRYABLE], ids=[i for _, i in RETRYABLE])
    async def test_dead_after_max_attempts(
        self, gateway: Gateway, conn: asyncpg.Connection, phone: str
    ) -> None:
        """A message that keeps failing is a dead letter after HOTLINE_MAX_ATTEMPTS attempts."""
        worker = worker_like(gateway, max_attempts=3, retry_base_s=0.02)
        await set_phone(conn, CAMAT_KRAMATWATU, phone)
        outbox_id = await file_kramatwatu_tip(gateway)
        for _ in range(5):
            await drain(worker)
            await asyncio.sleep(0.1)
        dead = await row(conn, outbox_id)
        assert ("dead", 3, 3) == (dead["status"], dead["attempts"], requests_to(gateway, phone))

    async def test_timeline_ends_dead(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """The timeline shows each retry, then 'dead'."""
        worker = worker_like(gateway, max_attempts=3, retry_base_s=0.02)
        await set_phone(conn, CAMAT_KRAMATWATU, "+62811000501")
        outbox_id = await file_kramatwatu_tip(gateway)
        for _ in range(5):
            await drain(worker)
            await asyncio.sleep(0.1)
        assert ["retry", "retry", "dead"] == await timeline(conn, outbox_id)

    async def test_last_attempt_makes_it_dead(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """With attempts one short of the service's maximum, the next failure is final."""
        await set_phone(conn, CAMAT_KRAMATWATU, "+62811000501")
        outbox_id = await file_kramatwatu_tip(gateway)
        limit = gateway.worker.config.max_attempts
        await conn.execute("UPDATE outbox SET attempts = $2 WHERE id = $1", outbox_id, limit - 1)
        await drain(gateway.worker)
        dead = await row(conn, outbox_id)
        assert ("dead", limit, "501 GatewayError") == (
            dead["status"],
            dead["attempts"],
            dead["last_error"],
        )

    async def test_cli_retry_requeues(
        self, gateway: Gateway, conn: asyncpg.Connection, sample_db: str
    ) -> None:
        """`hotline outbox retry ID` puts a dead letter back in the queue with fresh attempts."""
        outbox_id = await file_kramatwatu_tip(gateway)
        await conn.execute(
            "UPDATE outbox SET status = 'dead', attempts = 8, next_attempt_at = now() + '1 day'"
            " WHERE id = $1",
            outbox_id,
        )
        run = await hotline(sample_db, "outbox", "retry", str(outbox_id))
        requeued = await row(conn, outbox_id)
        assert (0, f"SMS {outbox_id} queued again\n", "queued", 0) == (
            run.code,
            run.stdout,
            requeued["status"],
            requeued["attempts"],
        )

    async def test_requeued_message_is_sent(
        self, gateway: Gateway, conn: asyncpg.Connection, sample_db: str
    ) -> None:
        """A dead letter requeued by the operator goes out on the next drain."""
        outbox_id = await file_kramatwatu_tip(gateway)
        await conn.execute(
            "UPDATE outbox SET status = 'dead', attempts = 8 WHERE id = $1", outbox_id
        )
        await hotline(sample_db, "outbox", "retry", str(outbox_id))
        await drain(gateway.worker)
        assert [CAMAT_KRAMATWATU] == [m["to"] for m in gateway.fake.messages]

    async def test_cli_retry_refuses_a_queued_message(
        self, gateway: Gateway, conn: asyncpg.Connection, sample_db: str
    ) -> None:
        """`hotline outbox retry` on a message that is not dead or failed exits non-zero."""
        outbox_id = await file_kramatwatu_tip(gateway)
        run = await hotline(sample_db, "outbox", "retry", str(outbox_id))
        assert (1, f"error: SMS {outbox_id} is not a dead letter or failed message\n") == (
            run.code,
            run.stderr,
        )


class TestAccountProblem:
    async def test_bad_api_key_pauses_sending(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """An authentication refusal pauses all sending, with the reason."""
        gateway.fake.mode = "unauthorized"
        await file_kramatwatu_tip(gateway)
        await gateway.worker.drain_once()
        state = await conn.fetchrow("SELECT paused, reason FROM sender_state")
        assert (True, True) == (state["paused"], "authentication" in state["reason"])

    async def test_message_goes_back_without_burnt_attempt(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """The refused message is queued again with its attempt not counted."""
        gateway.fake.mode = "unauthorized"
        outbox_id = await file_kramatwatu_tip(gateway)
        await gateway.worker.drain_once()
        queued = await row(conn, outbox_id)
        assert ("queued", 0) == (queued["status"], queued["attempts"])

    async def test_timeline_has_paused(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """The refused message's timeline says sending was paused."""
        gateway.fake.mode = "unauthorized"
        outbox_id = await file_kramatwatu_tip(gateway)
        await gateway.worker.drain_once()
        assert ["paused"] == await timeline(conn, outbox_id)

    async def test_alarm_is_logged(self, gateway: Gateway, log_output: io.StringIO) -> None:
        """One error-level 'sms.sending_paused' line raises the alarm."""
        gateway.fake.mode = "unauthorized"
        await file_kramatwatu_tip(gateway)
        await gateway.worker.drain_once()
        paused = [e for e in log_lines(log_output) if e["event"] == "sms.sending_paused"]
        assert [("error", True)] == [(e["level"], e["alarm"]) for e in paused]

    async def test_api_key_never_logged(self, gateway: Gateway, log_output: io.StringIO) -> None:
        """The API key appears in no log line."""
        gateway.fake.mode = "unauthorized"
        await file_kramatwatu_tip(gateway)
        await gateway.worker.drain_once()
        lines = log_output.getvalue().splitlines()
        assert (True, []) == (bool(lines), [line for line in lines if FAKE_API_KEY in line])

    async def test_api_key_never_stored(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """The API key appears in no timeline event, outbox error or pause reason."""
        gateway.fake.mode = "unauthorized"
        await file_kramatwatu_tip(gateway)
        await gateway.worker.drain_once()
        texts = await conn.fetch(
            "SELECT detail AS text FROM sms_events UNION ALL SELECT last_error FROM outbox"
            " UNION ALL SELECT reason FROM sender_state"
        )
        assert [] == [r["text"] for r in texts if FAKE_API_KEY in r["text"]]

    async def test_successful_probe_resumes(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """Once the key works again, the paused worker's probe sends and lifts the pause."""
        gateway.fake.mode = "unauthorized"
        await file_kramatwatu_tip(gateway)
        await gateway.worker.drain_once()
        gateway.fake.mode = "up"
        await gateway.worker.drain_once()
        paused = await conn.fetchval("SELECT paused FROM sender_state")
        assert (False, [CAMAT_KRAMATWATU]) == (paused, [m["to"] for m in gateway.fake.messages])

    async def test_cli_resume_lifts_pause(
        self, gateway: Gateway, conn: asyncpg.Connection, sample_db: str
    ) -> None:
        """`hotline outbox resume` lifts the pause."""
        gateway.fake.mode = "unauthorized"
        await file_kramatwatu_tip(gateway)
        await gateway.worker.drain_once()
        run = await hotline(sample_db, "outbox", "resume")
        state = await conn.fetchrow("SELECT paused, reason FROM sender_state")
        assert (0, "sending resumed\n", False, "") == (
            run.code,
            run.stdout,
            state["paused"],
            state["reason"],
        )

    async def test_insufficient_balance_pauses(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """AT's InsufficientBalance (405) pauses sending too, with that reason."""
        await set_phone(conn, CAMAT_KRAMATWATU, "+62811000405")
        await file_kramatwatu_tip(gateway)
        await gateway.worker.drain_once()
        state = await conn.fetchrow("SELECT paused, reason FROM sender_state")
        assert (True, "405 InsufficientBalance") == (state["paused"], state["reason"])


class TestConcurrentWorkers:
    async def test_two_workers_never_send_a_row_twice(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """Two workers draining one queue together send each message exactly once."""
        for _ in range(3):
            await file_tip(gateway.client, "calo", "pontang")
        first = worker_like(gateway, send_concurrency=1)
        second = worker_like(gateway, send_concurrency=1)
        attempted = await asyncio.gather(drain(first), drain(second))
        assert (9, Counter({p: 3 for p in PONTANG_TIER_ONE})) == (
            sum(attempted),
            Counter(m["to"] for m in gateway.fake.messages),
        )

    async def test_concurrent_drains_of_one_worker(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """One worker draining twice at the same moment sends each message exactly once."""
        for _ in range(3):
            await file_tip(gateway.client, "calo", "pontang")
        attempted = await asyncio.gather(gateway.worker.drain_once(), gateway.worker.drain_once())
        sent = await conn.fetchval("SELECT count(*) FROM outbox WHERE provider_id IS NOT NULL")
        assert (9, 9, 9) == (sum(attempted), len(gateway.fake.requests), sent)


class TestSampleNumbers:
    async def test_not_sent_to_a_real_gateway(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A sample official's alert through a non-loopback gateway fails as 'sample number'."""
        sender = AtSender("sandbox", FAKE_API_KEY, "https://api.example.invalid", None, 2)
        try:
            outbox_id = await file_kramatwatu_tip(gateway)
            await drain(worker_like(gateway, sender))
        finally:
            await sender.close()
        failed = await row(conn, outbox_id)
        assert ("failed", True, []) == (
            failed["status"],
            failed["last_error"].startswith("sample number"),
            gateway.fake.requests,
        )

    async def test_real_official_is_sent_through_loopback(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """An official not from the sample is sent through the local gateway like any other."""
        await conn.execute(
            "UPDATE officials SET is_sample = false WHERE phone = $1", CAMAT_KRAMATWATU
        )
        await file_kramatwatu_tip(gateway)
        await drain(gateway.worker)
        assert [CAMAT_KRAMATWATU] == [m["to"] for m in gateway.fake.messages]


class TestOptedOutOfficial:
    async def test_alert_fails_as_stopped(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """An official who sent STOP is not sent the alert: it fails 'recipient sent STOP'."""
        await send_sms(gateway.client, "STOP", CAMAT_KRAMATWATU)
        outbox_id = await file_kramatwatu_tip(gateway)
        await drain(gateway.worker)
        failed = await row(conn, outbox_id)
        assert ("failed", "recipient sent STOP") == (failed["status"], failed["last_error"])

    async def test_gateway_never_gets_the_alert(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """No alert text reaches the gateway for the official who sent STOP."""
        await send_sms(gateway.client, "STOP", CAMAT_KRAMATWATU)
        outbox_id = await file_kramatwatu_tip(gateway)
        await drain(gateway.worker)
        body = (await row(conn, outbox_id))["body"]
        assert [] == [m for m in gateway.fake.messages if m["message"] == body]

    async def test_other_officials_still_alerted(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """One official's STOP does not stop the others' alerts."""
        await send_sms(gateway.client, "BERHENTI", KADES_PONTANG)
        await file_tip(gateway.client, "calo", "pontang")
        await drain(gateway.worker)
        alerts = await conn.fetch(
            "SELECT body FROM outbox WHERE recipient_kind = 'official' AND cause LIKE 'alert:%'"
        )
        body = alerts[0]["body"]
        assert [CAMAT_PONTANG, KAPOLSEK_PONTANG] == sorted(
            m["to"] for m in gateway.fake.messages if m["message"] == body
        )
