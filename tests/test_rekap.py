"""REKAP, the officials' digest: its figures for an area (and for an agency's cases), the weekly
send through the outbox (once per official per week, even with two runs at once), REKAP by SMS
(answered, throttled, once when sent twice at once, a resident's answer for a stranger) and the
console page limited to the account's area, in both console languages."""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway import keys
from gateway.rekap import latest_due, send_weekly
from gateway.usecases.cases import Moved, move
from gateway.ussd import WIB
from storage.cases import Actor
from storage.rekap import Scope, rekap_figures
from tests.conftest import Gateway
from tests.console_helpers import csrf_token, file_test_tip, load_sample_officials
from tests.dialogues import assert_shows, duplicate_labels, one_language_only
from tests.sms_client import send_sms
from tests.test_account_areas import sign_in_area
from ussd_menus.rekap import Figures

PONTANG, TIRTAYASA = "36.04.12", "36.04.13"
CAMAT_PONTANG = "+6281199000007"  # Agus Contoh, tier 1, KEC, Pontang
POLRES = "+6281199000038"  # Rudi Fiktif, Polres Serang, regency-wide
STRANGER, OTHER_STRANGER = "+6285711112222", "+6285733334444"
CONSOLE_CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "rekap_console.json").read_text("utf-8")
)
SMS_CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "rekap_sms.json").read_text("utf-8")
)
CLOSED = {"selesai_ditindak": 0, "tidak_terbukti": 1, "bukan_wewenang": 0}
_sources = itertools.count()


async def tip(conn: asyncpg.Connection, kecamatan: str | None, agency: str | None = None) -> int:
    """A calo tip filed now in the kecamatan (alerted as the service does), naming an agency
    that is not in the registry; its id."""
    receipt = await file_test_tip(conn, f"ussd:rekap_{next(_sources)}", kecamatan_code=kecamatan)
    tip_id: int = await conn.fetchval(
        "UPDATE tips SET agency_name = $2 WHERE receipt = $1 RETURNING id", receipt, agency
    )
    return tip_id


async def check(conn: asyncpg.Connection, name: str, found: bool = False) -> None:
    """A resident's agency check (they keep no place)."""
    await conn.execute(
        "INSERT INTO agency_checks (query_key, query, found) VALUES (lower($1), $1, $2)",
        name,
        found,
    )


@pytest.fixture
async def cases(conn: asyncpg.Connection) -> dict[str, int]:
    """Pontang: two new cases naming PT Gelap, one closed as not substantiated, one overdue,
    one handed to POLRES; Tirtayasa: one naming PT Lain; residents checked Calo X twice."""
    await load_sample_officials(conn)
    ids = {
        "open": await tip(conn, PONTANG, "PT Gelap"),
        "closed": await tip(conn, PONTANG, " PT Gelap "),
        "tirtayasa": await tip(conn, TIRTAYASA, "PT Lain"),
    }
    console = Actor("console", account="investigator-1")
    assert isinstance(await move(conn, ids["closed"], "tidak_terbukti", console), Moved)
    assert isinstance(await move(conn, ids["open"], "diteruskan", console, holder="POLRES"), Moved)
    await conn.execute("UPDATE tips SET due_on = current_date - 2 WHERE id = $1", ids["open"])
    for name, found in (("Calo X", False), ("Calo X", False), ("PT Resmi", True)):
        await check(conn, name, found)
    return ids


def this_week() -> tuple[datetime, datetime]:
    """The last 7 days, up to a moment from now."""
    now = datetime.now(UTC) + timedelta(seconds=1)
    return now - timedelta(days=7), now


class TestFigures:
    async def test_an_area_counts_only_its_cases(
        self, conn: asyncpg.Connection, cases: dict[str, int]
    ) -> None:
        """Pontang's digest counts Pontang's cases only: new, open, overdue, closed by outcome,
        the unlicensed name its tips named, and the regency-wide names checked."""
        figures = await rekap_figures(conn, Scope((PONTANG,)), *this_week())
        assert Figures(2, 1, 1, CLOSED, ("PT Gelap",), ("Calo X",)) == figures

    async def test_an_agency_counts_the_cases_it_holds(
        self, conn: asyncpg.Connection, cases: dict[str, int]
    ) -> None:
        """An agency's digest counts only the cases it holds."""
        figures = await rekap_figures(conn, Scope(None, holder="POLRES"), *this_week())
        assert (1, 1, 1) == (figures.new, figures.open, figures.overdue)

    async def test_an_earlier_week_has_no_new_cases(
        self, conn: asyncpg.Connection, cases: dict[str, int]
    ) -> None:
        """A week before the cases were filed counts none new and none closed."""
        since = this_week()[0]
        figures = await rekap_figures(conn, Scope(None), since - timedelta(days=7), since)
        assert (0, 0, ()) == (figures.new, sum(figures.closed.values()), figures.not_found_checked)


def due_now() -> tuple[datetime, int, int]:
    """A moment and the (ISO weekday, WIB hour) that make the weekly digest due an hour ago."""
    now = datetime.now(UTC)
    due = (now - timedelta(hours=1)).astimezone(WIB)
    return now, due.isoweekday(), due.hour


class TestWeeklySend:
    async def test_one_sms_per_official(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """The weekly run queues one digest in the outbox for each active official."""
        await send_weekly(gateway.client.server.app[keys.POOL], *due_now())
        rows = await conn.fetch(
            "SELECT official_id, count(*) AS n FROM outbox WHERE cause LIKE 'rekap:%'"
            " GROUP BY official_id"
        )
        officials = await conn.fetchval("SELECT count(*) FROM officials WHERE active")
        assert (officials, {1}) == (len(rows), {r["n"] for r in rows})

    async def test_a_second_run_queues_none(self, gateway: Gateway) -> None:
        """Run again in the same week, it queues nothing."""
        pool = gateway.client.server.app[keys.POOL]
        assert 0 < await send_weekly(pool, *due_now())
        assert 0 == await send_weekly(pool, *due_now())

    async def test_none_a_day_late(self, gateway: Gateway) -> None:
        """More than a day after the digest was due, the run queues nothing for that week."""
        now, weekday, hour = due_now()
        late = now + timedelta(days=1)
        assert 0 == await send_weekly(gateway.client.server.app[keys.POOL], late, weekday, hour)

    async def test_two_runs_at_once_queue_once(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """Two processes running the weekly send at once queue each official's digest once."""
        pool = gateway.client.server.app[keys.POOL]
        await asyncio.gather(send_weekly(pool, *due_now()), send_weekly(pool, *due_now()))
        per_official = await conn.fetch(
            "SELECT count(*) AS n FROM outbox WHERE cause LIKE 'rekap:%' GROUP BY official_id"
        )
        officials = await conn.fetchval("SELECT count(*) FROM officials WHERE active")
        assert (officials, {1}) == (len(per_official), {r["n"] for r in per_official})

    async def test_the_camat_reads_the_kecamatan(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """The camat's digest names the kecamatan and says nothing of other areas' names."""
        await tip(conn, TIRTAYASA, "PT Lain")
        await send_weekly(gateway.client.server.app[keys.POOL], *due_now())
        body = await conn.fetchval(
            "SELECT o.body FROM outbox o JOIN officials f ON f.id = o.official_id"
            " WHERE f.phone = $1 AND o.cause LIKE 'rekap:%'",
            CAMAT_PONTANG,
        )
        assert (True, False) == (body.startswith("REKAP Kec. Pontang"), "PT Lain" in body)

    def test_due_monday_seven_wib(self) -> None:
        """Due at Monday 07:00 WIB: a Monday 06:59 WIB still reports the week before."""
        monday_0659 = datetime(2026, 11, 30, 6, 59, tzinfo=UTC) - timedelta(hours=7)
        due = latest_due(monday_0659, 1, 7)
        assert ("2026-11-23", 7) == (due.date().isoformat(), due.hour)


async def reply(gateway: Gateway, conn: asyncpg.Connection, phone: str, text: str) -> str:
    """An SMS from `phone` and the one reply it got."""
    message_id = await send_sms(gateway.client, text, phone)
    rows = await conn.fetch("SELECT body FROM outbox WHERE cause = $1", f"reply:{message_id}")
    assert 1 == len(rows), rows
    body: str = rows[0]["body"]
    return body


class TestRekapBySms:
    @pytest.mark.parametrize("case", SMS_CASES, ids=[c["label"] for c in SMS_CASES])
    async def test_dialogue(
        self, gateway: Gateway, conn: asyncpg.Connection, case: dict[str, Any]
    ) -> None:
        """Each SMS case: the reply to the message holds its fragments."""
        for earlier in case.get("before", []):
            await reply(gateway, conn, case["from"], earlier)
        assert_shows(case, await reply(gateway, conn, case["from"], case["sms_in"]))

    async def test_two_at_once_pass_once(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """Two REKAP from one official at once: one digest, one note to wait."""
        ids = await asyncio.gather(
            send_sms(gateway.client, "REKAP", CAMAT_PONTANG),
            send_sms(gateway.client, "REKAP", CAMAT_PONTANG),
        )
        bodies = [
            await conn.fetchval("SELECT body FROM outbox WHERE cause = $1", f"reply:{i}")
            for i in ids
        ]
        assert [False, True] == sorted(b.startswith("REKAP sudah dikirim") for b in bodies)

    async def test_a_stranger_gets_the_residents_answer(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """REKAP from a number not in the directory is answered like any unknown word."""
        assert await reply(gateway, conn, OTHER_STRANGER, "ZZZZZ") == await reply(
            gateway, conn, STRANGER, "REKAP"
        )


def test_sms_labels_unique() -> None:
    """No two SMS cases share a label."""
    assert [] == duplicate_labels(SMS_CASES)


def test_console_cases_in_both_languages() -> None:
    """Every console case has an id and an en version, and labels are unique."""
    assert ([], []) == (duplicate_labels(CONSOLE_CASES), one_language_only(CONSOLE_CASES))


@pytest.mark.parametrize("case", CONSOLE_CASES, ids=[c["label"] for c in CONSOLE_CASES])
async def test_console_page(
    client: TestClient, conn: asyncpg.Connection, cases: dict[str, int], case: dict[str, Any]
) -> None:
    """The page shows the account's area's figures, in the session's language."""
    await sign_in_area(client, conn, case["role"], case["area"])
    if case["label"].startswith("en-"):
        token = await csrf_token(client)
        await client.post("/console/lang", data={"csrf": token, "lang": "en"})
    today = datetime.now(WIB).date()
    previous = (today - timedelta(days=today.weekday() + 7)).isoformat()
    filled = json.loads(json.dumps(case).replace("{previous_monday}", previous))
    response = await client.get("/console/rekap" + filled.get("query", ""))
    assert 200 == response.status
    assert_shows(filled, await response.text())
