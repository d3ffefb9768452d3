"""
The officials' channel (issue 15 items 3 and 6): a number of the officials directory gets the
residents' menu plus the officials' menu (report as themselves, REKAP, the check before signing,
the law reference), and the officials' SMS keywords LAPORPETUGAS and HUKUM; every other number gets
exactly what residents get. Real HTTP, real PostgreSQL, the sample officials.

The dialogues are tests/data/officials_menu.json (phone: "official" is the sample kepala desa of
Pontang, "resident" a number in no directory).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from gateway import keys
from storage.sample import sample_job_orders
from tests.conftest import Gateway
from tests.console_helpers import sign_in
from tests.dialogues import assert_shows, duplicate_labels, one_language_only
from tests.sms_client import send_sms
from tests.test_alert_routing import (
    CAMAT_PONTANG,
    DISNAKER_KABID,
    DISNAKER_STAF,
    KADES_PONTANG,
    KAPOLSEK_PONTANG,
    alerted,
    receipt_on,
)
from tests.test_job_orders import import_now
from tests.ussd_client import RESIDENT, hop, walk
from ussd_menus import sms
from ussd_menus.catalogue import active
from ussd_menus.law import law_items, law_pages, law_sms
from ussd_menus.sms_catalogue import ALERT_SEGMENTS, sms_length
from ussd_menus.texts import t

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "officials_menu.json").read_text("utf-8")
)
PHONES = {"official": KADES_PONTANG, "resident": RESIDENT}
STORY = "Calo minta uang 10 juta untuk ke Taiwan, paspor ditahan"
# From the main menu: officials' menu, report, calo, Pontang typed and confirmed, no desa, no
# agency, the story, send.
OFFICIALS_REPORT = ["6", "1", "2", "pontang", "1", "1", "1", STORY, "1"]
DATED = re.compile(r"\d{2}-\d{2}-\d{4}")


class TestDialogues:
    @pytest.mark.parametrize("case", CASES, ids=[c["label"] for c in CASES])
    async def test_dialogue(self, gateway: Gateway, case: dict[str, Any]) -> None:
        """Each walk, by an official's number or a resident's, ends on the expected screen (with
        the sample job orders imported, as `serve --demo` has them)."""
        async with gateway.client.server.app[keys.POOL].acquire() as conn:
            await import_now(gateway.client, conn, sample_job_orders())
        body = await walk(gateway.client, case["inputs"], PHONES[case["phone"]])
        assert case["kind"] == body[:3], body
        assert_shows(case, body)

    def test_cases_are_well_formed(self) -> None:
        """Unique labels, and every behaviour in both languages."""
        assert ([], []) == (duplicate_labels(CASES), one_language_only(CASES))


async def officials_report(gateway: Gateway, phone: str) -> str:
    """An official files a calo report about Pontang from the officials' menu; its receipt."""
    return receipt_on(await walk(gateway.client, OFFICIALS_REPORT, phone))


class TestOfficialsReport:
    @pytest.mark.parametrize(
        ("reporter", "reached", "never"),
        [
            (
                KADES_PONTANG,
                [CAMAT_PONTANG, KAPOLSEK_PONTANG, DISNAKER_KABID, DISNAKER_STAF],
                [KADES_PONTANG],
            ),
            (
                CAMAT_PONTANG,
                [KAPOLSEK_PONTANG, DISNAKER_KABID, DISNAKER_STAF],
                [CAMAT_PONTANG, KADES_PONTANG],
            ),
        ],
        ids=["kepala-desa", "camat"],
    )
    async def test_reaches_kecamatan_and_disnakertrans(
        self,
        gateway: Gateway,
        conn: asyncpg.Connection,
        reporter: str,
        reached: list[str],
        never: list[str],
    ) -> None:
        """An official's own report alerts the kecamatan tier and Disnakertrans at once, never
        the reporting official nor the desa tier."""
        await officials_report(gateway, reporter)
        found = await alerted(conn)
        assert (sorted(reached), []) == (
            sorted(p for p in reached if p in found),
            [p for p in never if p in found],
        )

    async def test_is_attributed_by_id_not_number(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """The tip names the official by id; the official's number is nowhere in it."""
        receipt = await officials_report(gateway, KADES_PONTANG)
        row = await conn.fetchrow("SELECT * FROM tips WHERE receipt = $1", receipt)
        kades = await conn.fetchval("SELECT id FROM officials WHERE phone = $1", KADES_PONTANG)
        assert row is not None and kades == row["reported_by_official_id"]
        assert KADES_PONTANG[3:] not in " ".join(str(v) for v in dict(row).values())

    async def test_a_residents_report_stays_anonymous(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A resident's report from the main menu carries no attribution."""
        inputs = ["2", "2", "pontang", "1", "1", "1", STORY, "1"]
        receipt = receipt_on(await walk(gateway.client, inputs, RESIDENT))
        by = "SELECT reported_by_official_id FROM tips WHERE receipt = $1"
        assert await conn.fetchval(by, receipt) is None

    async def test_is_marked_on_the_console(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """The console's tip page and list mark it 'Laporan aparat' with who filed it; a
        resident's tip is not marked."""
        receipt = await officials_report(gateway, KADES_PONTANG)
        await sign_in(gateway.client, conn, "investigator")
        page = await (await gateway.client.get(f"/console/tips/{receipt}")).text()
        listed = await (await gateway.client.get("/console/tips")).text()
        assert ("Laporan aparat", "Tatang Contoh") == (
            "Laporan aparat" if 'id="official-report"' in page else "",
            "Tatang Contoh" if "Tatang Contoh" in page else "",
        )
        assert "Laporan aparat" in listed

    async def test_a_residents_tip_is_not_marked(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A resident's tip page shows no official's report mark."""
        inputs = ["2", "2", "pontang", "1", "1", "1", STORY, "1"]
        receipt = receipt_on(await walk(gateway.client, inputs, RESIDENT))
        await sign_in(gateway.client, conn, "investigator")
        page = await (await gateway.client.get(f"/console/tips/{receipt}")).text()
        assert 'id="official-report"' not in page


async def replies(conn: asyncpg.Connection) -> list[str]:
    """The bodies of the SMS replies queued to senders, oldest first."""
    rows = await conn.fetch("SELECT body FROM outbox WHERE cause LIKE 'reply:%' ORDER BY id")
    return [r["body"] for r in rows]


class TestOfficialsSms:
    async def test_laporpetugas_files_an_attributed_report(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """LAPORPETUGAS from the kepala desa files a report attributed to them, routed to the
        kecamatan and Disnakertrans, and the receipt says it is attributed."""
        await send_sms(gateway.client, f"LAPORPETUGAS calo di Pontang: {STORY}", KADES_PONTANG)
        row = await conn.fetchrow("SELECT reported_by_official_id, receipt FROM tips")
        assert row is not None and row["reported_by_official_id"] is not None
        found = await alerted(conn)
        assert DISNAKER_KABID in found and KADES_PONTANG not in found
        assert "atas nama Anda" in (await replies(conn))[-1]

    @pytest.mark.parametrize("text", [f"LAPORPETUGAS {STORY}", "HUKUM", "ATURAN"])
    async def test_unknown_number_gets_the_residents_answer(
        self, gateway: Gateway, conn: asyncpg.Connection, text: str
    ) -> None:
        """An officials' keyword from a number in no directory is answered as any unknown word
        is (the residents' help), with no hint that it exists, and files nothing."""
        await send_sms(gateway.client, text, RESIDENT)
        assert [sms.say("help", "id")] == await replies(conn)
        assert 0 == await conn.fetchval("SELECT count(*) FROM tips")

    async def test_hukum_sends_the_law_reference(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """HUKUM (and ATURAN) from an official's number: the law reference, in 3 segments at
        most, with its sources and dates."""
        await send_sms(gateway.client, "HUKUM", KADES_PONTANG)
        await send_sms(gateway.client, "aturan", KADES_PONTANG)
        sent = await replies(conn)
        assert [law_sms("id")] * 2 == sent
        length, limit = sms_length(sent[0], ALERT_SEGMENTS)
        assert length <= limit
        for said in ("UU 18/2017 (22-11-2017)", "Ps 42", "Ps 13", "Kepmenaker", "KP2MI 0800-1000"):
            assert said in sent[0]

    async def test_the_law_by_ussd_is_queued_once(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """'Send by SMS' in the law menu queues the reference to the official's number."""
        await walk(gateway.client, ["6", "4", "6"], KADES_PONTANG)
        bodies = await conn.fetch("SELECT body FROM outbox WHERE cause LIKE 'info:%'")
        assert [law_sms("id")] == [r["body"] for r in bodies]


class TestLawReference:
    @pytest.mark.parametrize("lang", ["id", "en", "su"])
    def test_every_item_ends_with_its_sources_and_dates(self, lang: str) -> None:
        """Each item's last page names its sources with a date."""
        heads = {"id": ("Sumber:", "Nomor dicek:"), "en": ("Source:", "Numbers checked:")}
        heads["su"] = ("Sumberna:", "Nomer dicek:")
        for item in law_items():
            last = law_pages(item.key, lang, 120)[-1]
            assert any(h in last for h in heads[lang]) and DATED.search(last), (item.key, last)

    def test_every_item_rests_on_cited_facts(self) -> None:
        """Every fact an item rests on is in facts.toml with a citation and a date."""
        facts = {f.key: f for f in active().facts}
        cited = [k for item in law_items() for k in item.facts]
        assert [] == [k for k in cited if not (facts[k].cite and facts[k].verified_on)]

    @pytest.mark.parametrize("lang", ["id", "en", "su"])
    def test_the_sms_holds_every_item(self, lang: str) -> None:
        """The SMS reference is not cut: whom to call is its last sentence, in 3 segments."""
        text = law_sms(lang)
        length, limit = sms_length(text, ALERT_SEGMENTS)
        assert (True, True) == (length <= limit, text.endswith(t("law.kontak.sms", lang) + "."))

    async def test_the_pages_read_over_ussd_end_with_sources(self, gateway: Gateway) -> None:
        """Paging through the desa duties over USSD reaches the source and its date."""
        session = "ATUid_law_pages"
        path = ["6", "4", "1"]
        await hop(gateway.client, "", session, KADES_PONTANG)
        for n in range(1, len(path) + 1):
            body = await hop(gateway.client, "*".join(path[:n]), session, KADES_PONTANG)
        while "99 Lanjut" in body:
            path.append("99")
            body = await hop(gateway.client, "*".join(path), session, KADES_PONTANG)
        assert "Sumber: UU 18/2017 Ps 42, 22-11-2017." in body
