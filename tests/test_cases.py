"""The case lifecycle: one table of moves drives the pure machine and officials' SMS; every move
is recorded; handover by SMS (TERUSKAN, TOLAK, KONFLIK); two officials at once leave one winner;
the reporter sees only the public line of each status."""

from __future__ import annotations

import asyncio
import itertools
import json
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from gateway.usecases.cases import Moved, move
from storage.cases import Actor, case_events
from storage.tips import set_status
from tests.conftest import Gateway
from tests.console_helpers import file_test_tip
from tests.sms_client import reply_to, send_sms
from ussd_menus import cases
from ussd_menus.receipts import show_receipt
from ussd_menus.texts import t

MOVES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "case_transitions.json").read_text("utf-8")
)["moves"]
SMS_MOVES = [m for m in MOVES if "sms" in m]
# Sample officials (storage/sample/officials.csv) alerted for a calo tip in Pontang (tier 1).
CAMAT_PONTANG = "+6281199000007"
KADES_PONTANG = "+6281199000030"
KAPOLSEK_PONTANG = "+6281199000031"
POLRES = "+6281199000038"  # Polres Serang, tier 2 of the directory
CAMAT_KRAMATWATU = "+6281199000001"  # an official, but not alerted for Pontang
_sources = itertools.count()


def label(move: dict[str, Any]) -> str:
    return f"{move['from']}->{move['to']}"


async def new_case(conn: asyncpg.Connection) -> str:
    """A calo tip in Pontang, alerted to its tier-1 officials; its receipt."""
    return await file_test_tip(conn, f"ussd:ATUid_case_{next(_sources)}")


async def official_says(gateway: Gateway, conn: asyncpg.Connection, phone: str, text: str) -> str:
    """An official's SMS and the one reply it got."""
    return await reply_for(conn, await send_sms(gateway.client, text, phone))


async def reply_for(conn: asyncpg.Connection, message_id: str) -> str:
    """The one reply queued for an inbound SMS."""
    rows = await conn.fetch("SELECT body FROM outbox WHERE cause = $1", f"reply:{message_id}")
    assert 1 == len(rows), rows
    body: str = rows[0]["body"]
    return body


async def status_of(conn: asyncpg.Connection, receipt: str) -> str:
    status: str = await conn.fetchval("SELECT status FROM tips WHERE receipt = $1", receipt)
    return status


async def alerted(conn: asyncpg.Connection, receipt: str, reason: str) -> list[str]:
    """Phones alerted for the case with this reason."""
    rows = await conn.fetch(
        "SELECT o.phone FROM alerts a JOIN officials o ON o.id = a.official_id"
        " JOIN tips t ON t.id = a.tip_id WHERE t.receipt = $1 AND a.reason = $2 ORDER BY o.phone",
        receipt,
        reason,
    )
    return [r["phone"] for r in rows]


class TestLifecycle:
    @pytest.mark.parametrize("move", MOVES, ids=[label(m) for m in MOVES])
    def test_table(self, move: dict[str, Any]) -> None:
        """The machine allows exactly the moves the table allows."""
        assert move["allowed"] == (cases.check(move["from"], move["to"]) is None)

    def test_refusal_says_why(self) -> None:
        """A refused move carries a reason naming the statuses."""
        refused = cases.check("selesai_ditindak", "diterima")
        assert refused is not None and "ditutup" in refused.reason

    def test_only_closed_cases_reopen(self) -> None:
        """Back to 'diselidiki' from a closed status is a reopening; from an open one it is not."""
        assert [True, True, True, False] == [
            cases.is_reopening(s, "diselidiki")
            for s in ("selesai_ditindak", "tidak_terbukti", "bukan_wewenang", "diterima")
        ]


class TestSmsMoves:
    @pytest.mark.parametrize("move", SMS_MOVES, ids=[label(m) for m in SMS_MOVES])
    async def test_official_command(
        self, gateway: Gateway, conn: asyncpg.Connection, move: dict[str, Any]
    ) -> None:
        """An official's command moves the case as the table says, or is refused with the
        reason and leaves it where it was."""
        receipt = await new_case(conn)
        await set_status(conn, receipt, move["from"])
        text = move["sms"].format(receipt=receipt)
        reply = await official_says(gateway, conn, CAMAT_PONTANG, text)
        expected = move["to"] if move["allowed"] else move["from"]
        assert (expected, True) == (await status_of(conn, receipt), move["reply"] in reply), reply


class TestHistory:
    async def test_move_records_who_channel_and_note(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """Each move is a history row: from, to, channel, the official, the internal note."""
        receipt = await new_case(conn)
        await official_says(gateway, conn, CAMAT_PONTANG, f"SELESAI {receipt} Calo sudah ditegur")
        tip_id = await conn.fetchval("SELECT id FROM tips WHERE receipt = $1", receipt)
        camat = await conn.fetchval("SELECT id FROM officials WHERE phone = $1", CAMAT_PONTANG)
        last = (await case_events(conn, tip_id))[-1]
        assert ("diteruskan", "selesai_ditindak", "sms", camat, "Calo sudah ditegur") == (
            last.from_status,
            last.to_status,
            last.channel,
            last.official_id,
            last.note,
        )

    async def test_alerting_is_recorded_as_system(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """The first alert moves a new case to 'diteruskan' as the system, naming the holders'
        agencies."""
        receipt = await new_case(conn)
        tip_id = await conn.fetchval("SELECT id FROM tips WHERE receipt = $1", receipt)
        [first] = await case_events(conn, tip_id)
        assert ("baru", "diteruskan", "system", "DESA,KEC,POLSEK") == (
            first.from_status,
            first.to_status,
            first.channel,
            first.holder,
        )

    async def test_reopening_is_marked(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """A console account reopening a closed case is allowed and recorded as a reopening."""
        receipt = await new_case(conn)
        await set_status(conn, receipt, "tidak_terbukti")
        tip_id = await conn.fetchval("SELECT id FROM tips WHERE receipt = $1", receipt)
        actor = Actor("console", account="investigator")
        moved = await move(conn, tip_id, "diselidiki", actor, note="bukti baru")
        last = (await case_events(conn, tip_id))[-1]
        assert (True, True, "investigator", "diselidiki") == (
            isinstance(moved, Moved),
            last.reopened,
            last.account,
            await status_of(conn, receipt),
        )


class TestReporterAnswers:
    async def test_answer_resumes_investigation(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """When the reporter answers the official's question, the case waiting for them goes
        back to 'diselidiki', as the system's move."""
        receipt = await new_case(conn)
        await official_says(gateway, conn, CAMAT_PONTANG, f"TANYA {receipt} Kapan berangkat?")
        await send_sms(gateway.client, f"JAWAB {receipt} Minggu depan")
        tip_id = await conn.fetchval("SELECT id FROM tips WHERE receipt = $1", receipt)
        last = (await case_events(conn, tip_id))[-1]
        assert ("diselidiki", "system") == (await status_of(conn, receipt), last.channel)


class TestConcurrentOk:
    async def test_two_officials_at_once_one_wins(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """Two officials answering OK at the same moment, 100 times over: each time exactly one
        moves the case and the other is told it already was."""
        receipt = await new_case(conn)
        tip_id = await conn.fetchval("SELECT id FROM tips WHERE receipt = $1", receipt)
        outcomes = []
        for _ in range(100):
            await set_status(conn, receipt, "diteruskan")
            await conn.execute("UPDATE alerts SET acknowledged_at = NULL WHERE tip_id = $1", tip_id)
            # 200 commands in a row would exceed the officials' hourly reply budget.
            await conn.execute("DELETE FROM usage_counters")
            before = len(await case_events(conn, tip_id))
            message_ids = await asyncio.gather(
                send_sms(gateway.client, f"OK {receipt}", CAMAT_PONTANG),
                send_sms(gateway.client, f"OK {receipt}", KADES_PONTANG),
            )
            replies = [await reply_for(conn, m) for m in message_ids]
            won = [r for r in replies if "dicatat sedang ditangani" in r]
            lost = [r for r in replies if "sudah berstatus diterima" in r]
            moves = len(await case_events(conn, tip_id)) - before
            outcomes.append((len(won), len(lost), moves))
        assert [(1, 1, 1)] * 100 == outcomes


class TestTeruskan:
    async def test_hands_over_to_the_agency(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """TERUSKAN <receipt> POLRES alerts the agency's first desk and the case is theirs."""
        receipt = await new_case(conn)
        reply = await official_says(gateway, conn, KADES_PONTANG, f"TERUSKAN {receipt} polres")
        holder = await conn.fetchval("SELECT holder FROM tips WHERE receipt = $1", receipt)
        assert ([POLRES], "POLRES", True) == (
            await alerted(conn, receipt, "handover"),
            holder,
            f"Laporan {show_receipt(receipt)} diteruskan ke POLRES (1 petugas)" in reply,
        )

    async def test_escalation_clock_restarts(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """The new holder's alert gets a full acknowledgement time from now; the old alerts no
        longer escalate."""
        receipt = await new_case(conn)
        await conn.execute("UPDATE alerts SET ack_due_at = now() - interval '1 minute'")
        await official_says(gateway, conn, KADES_PONTANG, f"TERUSKAN {receipt} POLRES")
        open_due = await conn.fetchval(
            "SELECT count(*) FROM alerts WHERE handed_over_at IS NULL AND ack_due_at < now()"
        )
        assert (0, 0) == (open_due, await gateway.worker.escalate_once())

    async def test_previous_holders_are_told(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """The other officials who held the case get an SMS that it was taken; the sender only
        their reply."""
        receipt = await new_case(conn)
        await official_says(gateway, conn, KADES_PONTANG, f"TERUSKAN {receipt} POLRES")
        told = await conn.fetch(
            "SELECT o.phone, x.body FROM outbox x JOIN officials o ON o.id = x.official_id"
            " WHERE x.cause = 'case:taken' ORDER BY o.phone"
        )
        assert [CAMAT_PONTANG, KAPOLSEK_PONTANG] == [r["phone"] for r in told]

    async def test_previous_holder_loses_rights(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """After the handover the old holders' commands are answered like an unknown receipt."""
        receipt = await new_case(conn)
        await official_says(gateway, conn, KADES_PONTANG, f"TERUSKAN {receipt} POLRES")
        reply = await official_says(gateway, conn, CAMAT_PONTANG, f"OK {receipt}")
        assert ("tidak dikenal" in reply, await status_of(conn, receipt)) == (True, "diteruskan")

    async def test_new_holder_acknowledges(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """The agency's official may take the handed-over case with OK."""
        receipt = await new_case(conn)
        await official_says(gateway, conn, KADES_PONTANG, f"TERUSKAN {receipt} POLRES")
        await official_says(gateway, conn, POLRES, f"OK {receipt}")
        assert "diterima" == await status_of(conn, receipt)

    async def test_unknown_agency_changes_nothing(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """An agency code nobody in the directory has is named back; nothing changes."""
        receipt = await new_case(conn)
        reply = await official_says(gateway, conn, KADES_PONTANG, f"TERUSKAN {receipt} KUA")
        assert ("Kode instansi KUA tidak dikenal" in reply, []) == (
            True,
            await alerted(conn, receipt, "handover"),
        )

    async def test_unknown_receipt_changes_nothing(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A receipt that does not exist gets the unknown-receipt answer."""
        await new_case(conn)
        reply = await official_says(gateway, conn, KADES_PONTANG, "TERUSKAN 123456789 POLRES")
        assert "tidak dikenal" in reply

    async def test_official_without_rights_changes_nothing(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """An official never alerted for the case is answered as for an unknown receipt."""
        receipt = await new_case(conn)
        reply = await official_says(gateway, conn, CAMAT_KRAMATWATU, f"TERUSKAN {receipt} POLRES")
        assert ("tidak dikenal" in reply, "diteruskan", []) == (
            True,
            await status_of(conn, receipt),
            await alerted(conn, receipt, "handover"),
        )

    async def test_replayed_message_changes_nothing(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """The provider resending the same message id hands nothing over twice."""
        receipt = await new_case(conn)
        text = f"TERUSKAN {receipt} POLRES"
        message_id = await send_sms(gateway.client, text, KADES_PONTANG)
        await send_sms(gateway.client, text, KADES_PONTANG, message_id)
        tip_id = await conn.fetchval("SELECT id FROM tips WHERE receipt = $1", receipt)
        assert ([POLRES], 2) == (
            await alerted(conn, receipt, "handover"),
            len(await case_events(conn, tip_id)),
        )


class TestPassUp:
    @pytest.mark.parametrize("text", ["TOLAK {receipt} bukan wilayah saya", "KONFLIK {receipt}"])
    async def test_goes_to_the_next_tier(
        self, gateway: Gateway, conn: asyncpg.Connection, text: str
    ) -> None:
        """TOLAK and KONFLIK alert the next tier's officials and the case is 'diteruskan'."""
        receipt = await new_case(conn)
        await official_says(gateway, conn, CAMAT_PONTANG, text.format(receipt=receipt))
        tiers = await conn.fetch(
            "SELECT DISTINCT a.tier FROM alerts a JOIN tips t ON t.id = a.tip_id"
            " WHERE t.receipt = $1 AND a.reason = 'refused'",
            receipt,
        )
        assert [2] == [r["tier"] for r in tiers]

    async def test_refusal_reason_stays_internal(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """The reason is the move's internal note; the reporter's STATUS never shows it."""
        receipt = await new_case(conn)
        await official_says(gateway, conn, CAMAT_PONTANG, f"TOLAK {receipt} kakak saya terlibat")
        status = await reply_to(gateway.client, conn, f"STATUS {receipt}")
        assert ("kakak" in status, t("status.diteruskan", "id") in status) == (False, True)


PUBLIC = [(s, lang) for s in cases.STATUSES for lang in ("id", "en")]


class TestPublicLine:
    @pytest.mark.parametrize(("status", "lang"), PUBLIC, ids=[f"{s}-{lang}" for s, lang in PUBLIC])
    async def test_status_reply_shows_public_line(
        self, gateway: Gateway, conn: asyncpg.Connection, status: str, lang: str
    ) -> None:
        """STATUS shows the status's public line in the reporter's language."""
        receipt = await new_case(conn)
        await set_status(conn, receipt, status)
        keyword = "STATUS" if lang == "id" else "CHECK STATUS"
        reply = await reply_to(gateway.client, conn, f"{keyword} {receipt}")
        assert t(f"status.{status}", lang) in reply, reply

    async def test_holder_is_not_shown(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """After a handover to POLRES the reporter's STATUS does not name the agency."""
        receipt = await new_case(conn)
        await official_says(gateway, conn, KADES_PONTANG, f"TERUSKAN {receipt} POLRES")
        reply = await reply_to(gateway.client, conn, f"STATUS {receipt}")
        assert "POLRES" not in reply.upper(), reply
