"""
Choosing Basa Sunda from the USSD language menu, end to end: the dialogues in
tests/data/journeys_language.json, dialled hop by hop over real HTTP as Africa's Talking does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from storage.outbox import outbox_rows
from tests.dialogues import assert_shows, duplicate_labels
from tests.test_ussd import walk
from ussd_menus import catalogue

# Texts Basa Sunda writes as Indonesian does: loanwords, names, formats and the officials' format.
SHARED_WITH_INDONESIAN = (
    "main.check",
    "check.list",
    "status.dicabut",
    "status.line",
    "status.message",
    "detail.head_office",
    "detail.job_orders",  # "Job order" is what Sundanese speakers say too
    "signing.licence",  # only a name and a status
    "problem.choice",
    "report.send",
    "cat.calo",
    "cat.dokumen",
    "cat.visa",
    "sms.tip_status",
    "kind.bp3mi",  # names of agencies, as residents know them
    "kind.desa",
    "kind.disnaker",
    "kind.imigrasi",
    "status.history",  # "Riwayat" is Sundanese too
    "sms.tip_status_history",
    "web.other_language",  # "English", in every language but English
    "web.quota",
    "info.report",
    "nav.home",
    "report.kecamatan",
    "report.kecamatan_echo",
    "report.desa_echo",
    "report.desa_list",  # "Desa di ..." reads the same in Sundanese
    "sms.info_topic",
    "sms.tip_status_message",
    "topic.dokumen.title",
    "topic.tanda.title",
    "topic.biaya.title",
    "topic.jalur.title",
)
JOURNEYS = json.loads((Path(__file__).parent / "data" / "journeys_language.json").read_text())
# From the Indonesian main menu: language, Basa Sunda, a report on a calo in Pontang (the typed
# kecamatan and desa confirmed), sent, then the report number by SMS.
REPORT_WITH_SMS = [
    "5",
    "3",
    "2",
    "2",
    "pontang",
    "1",
    "Kubang Puji",
    "1",
    "1",
    "Calo menta 10 juta",
    "1",
    "2",
]


class TestSundaneseCatalogue:
    def test_listed_as_a_draft(self) -> None:
        """Basa Sunda is the third language, marked as a draft awaiting native speakers' review."""
        languages = catalogue.active().languages
        assert ("su", "Basa Sunda", True) == (
            languages[2].code,
            languages[2].name,
            languages[2].draft,
        )

    def test_translates_every_key(self) -> None:
        """su.po has every key of the Indonesian source, none left equal to an Indonesian text
        that says something in words (numbers and shared names may stay)."""
        content = catalogue.active()
        assert content.texts["id"].keys() == content.texts["su"].keys()
        same = [k for k in content.keys("") if content.text(k, "su") == content.text(k, "id")]
        assert [] == sorted(set(same) - set(SHARED_WITH_INDONESIAN))


class TestSundaneseJourneys:
    @pytest.mark.parametrize("case", JOURNEYS, ids=[c["label"] for c in JOURNEYS])
    async def test_journey(self, client: TestClient, case: dict[str, Any]) -> None:
        """Each sequence of inputs ends on the expected screen, in the expected language."""
        body = await walk(client, case["inputs"])
        assert case["kind"] == body[:3], body
        assert_shows(case, body)

    def test_labels_are_unique(self) -> None:
        """Every journey has its own label."""
        assert [] == duplicate_labels(JOURNEYS)


class TestSundaneseReport:
    async def test_the_tip_keeps_the_language(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A report sent in Basa Sunda is filed with the language code su."""
        await walk(client, REPORT_WITH_SMS)
        assert ["su"] == [r["lang"] for r in await conn.fetch("SELECT lang FROM tips")]

    async def test_the_receipt_sms_is_in_sundanese(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """The receipt SMS of a report sent in Basa Sunda is worded in Basa Sunda."""
        screen = await walk(client, REPORT_WITH_SMS)
        bodies = [r.body for r in await outbox_rows(conn) if r.recipient_kind == "resident"]
        assert screen.startswith("END SMS geura dikirim."), screen
        assert 1 == len(bodies), bodies
        assert bodies[0].startswith("Kode: "), bodies[0]
        assert "Cek deui 2-3 poe: hubungi layanan ieu, pilih 3" in bodies[0]
