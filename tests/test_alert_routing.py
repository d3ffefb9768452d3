"""Routing a new tip to officials: who is alerted, once each, with what text, decided by data."""

from __future__ import annotations

import re
from datetime import timedelta

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import Gateway
from tests.sms_client import send_sms
from tests.ussd_client import RESIDENT, walk
from ussd_menus.receipts import show_receipt
from ussd_menus.sms_catalogue import is_gsm7, sms_length

STORY = "Calo minta uang 10 juta untuk ke Taiwan"
CHOICES = {
    "bahaya": "1",
    "calo": "2",
    "biaya": "3",
    "dokumen": "4",
    "visa": "5",
    "tujuan": "6",
    "lainnya": "7",
}
# Sample officials (storage/sample/officials.csv) by their numbers.
CAMAT_KRAMATWATU = "+6281199000001"
CAMAT_PONTANG = "+6281199000007"
KADES_PONTANG = "+6281199000030"
KAPOLSEK_PONTANG = "+6281199000031"
DISNAKER_KABID = "+6281199000036"
DISNAKER_STAF = "+6281199000037"
POLRES_PPA = "+6281199000038"
BP3MI = "+6281199000039"
IMIGRASI = "+6281199000040"


def receipt_on(screen: str) -> str:
    """The receipt code shown on a screen, as 9 digits."""
    match = re.search(r"(\d{4})-(\d{4})-(\d)\b", screen)
    assert match is not None, screen
    return "".join(match.groups())


async def file_tip(
    client: TestClient,
    category: str,
    kecamatan: str = "pontang",
    desa: tuple[str, ...] = ("1",),
    agency: str = "1",
    story: str = STORY,
    phone: str = RESIDENT,
) -> str:
    """File a tip over USSD (BAHAYA: add details; the typed kecamatan confirmed; '1' skips desa
    and agency, a desa typed is confirmed with '1'); its receipt."""
    details = ["2"] if category == "bahaya" else []
    inputs = ["2", CHOICES[category], *details, kecamatan, "1", *desa, agency, story, "1"]
    return receipt_on(await walk(client, inputs, phone))


async def drain(gateway: Gateway) -> None:
    """Send everything that is due now; no delivery reports (these tests look at what was sent,
    and none is then in flight when the test ends)."""
    gateway.fake.report_url = None
    while await gateway.worker.drain_once():
        pass


def sent_to(gateway: Gateway) -> list[str]:
    """The numbers the gateway accepted messages for, sorted."""
    return sorted(m["to"] for m in gateway.fake.messages)


async def alerted(conn: asyncpg.Connection) -> list[str]:
    """The numbers of the officials with an alert row, sorted."""
    rows = await conn.fetch(
        "SELECT f.phone FROM alerts a JOIN officials f ON f.id = a.official_id ORDER BY f.phone"
    )
    return [r["phone"] for r in rows]


async def alert_bodies(conn: asyncpg.Connection) -> list[str]:
    """The bodies of the queued alerts."""
    rows = await conn.fetch("SELECT body FROM outbox WHERE recipient_kind = 'official'")
    return [r["body"] for r in rows]


ROUTES = [
    # (id, category, kecamatan typed, who gets one SMS each)
    ("calo-pontang", "calo", "pontang", [CAMAT_PONTANG, KADES_PONTANG, KAPOLSEK_PONTANG]),
    ("dokumen-pontang", "dokumen", "pontang", [CAMAT_PONTANG, KADES_PONTANG]),
    ("biaya-kramatwatu", "biaya", "kramatwatu", [CAMAT_KRAMATWATU]),
    (
        "bahaya-pontang",
        "bahaya",
        "pontang",
        [CAMAT_PONTANG, KAPOLSEK_PONTANG, DISNAKER_KABID, DISNAKER_STAF, POLRES_PPA, BP3MI],
    ),
    (
        "bahaya-kramatwatu",
        "bahaya",
        "kramatwatu",
        [CAMAT_KRAMATWATU, DISNAKER_KABID, DISNAKER_STAF, POLRES_PPA, BP3MI],
    ),
]


class TestWhoIsAlerted:
    @pytest.mark.parametrize(
        ("category", "kecamatan", "expected"),
        [r[1:] for r in ROUTES],
        ids=[r[0] for r in ROUTES],
    )
    async def test_each_matching_official_gets_one_sms(
        self, gateway: Gateway, category: str, kecamatan: str, expected: list[str]
    ) -> None:
        """The officials covering the tip's kecamatan and category each get exactly one SMS."""
        await file_tip(gateway.client, category, kecamatan)
        await drain(gateway)
        assert sorted(expected) == sent_to(gateway)

    async def test_calo_tip_alerts_tier_one_only(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A calo tip in Pontang has alert rows for tier 1 only, reason 'new'."""
        await file_tip(gateway.client, "calo")
        rows = await conn.fetch("SELECT tier, reason FROM alerts ORDER BY id")
        assert [(1, "new")] * 3 == [(r["tier"], r["reason"]) for r in rows]

    async def test_bahaya_tip_alerts_every_tier_at_once(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A 'bahaya' tip has alerts at tiers 1, 2 and 3 as soon as it is filed."""
        await file_tip(gateway.client, "bahaya")
        tiers = await conn.fetch("SELECT DISTINCT tier FROM alerts ORDER BY tier")
        assert [1, 2, 3] == [r["tier"] for r in tiers]

    async def test_alerted_tip_is_forwarded(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A tip that alerted someone moves to 'diteruskan'."""
        receipt = await file_tip(gateway.client, "calo")
        assert "diteruskan" == await conn.fetchval(
            "SELECT status FROM tips WHERE receipt = $1", receipt
        )

    async def test_alerts_point_at_their_outbox_rows(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """Each alert has its own queued SMS to the same official, for the same tip."""
        await file_tip(gateway.client, "calo")
        rows = await conn.fetch(
            "SELECT a.official_id = o.official_id AND a.tip_id = o.tip_id AS same"
            " FROM alerts a JOIN outbox o ON o.id = a.outbox_id"
        )
        assert [True, True, True] == [r["same"] for r in rows]


class TestNoTierOne:
    async def test_deactivated_camat_passes_to_tier_two(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """With the only tier-1 official of a kecamatan inactive, tier 2 is alerted instead."""
        await conn.execute("UPDATE officials SET active = false WHERE phone = $1", CAMAT_KRAMATWATU)
        await file_tip(gateway.client, "biaya", "kramatwatu")
        await drain(gateway)
        assert [DISNAKER_KABID, DISNAKER_STAF] == sent_to(gateway)

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("LAPOR calo minta uang 10 juta", [DISNAKER_KABID, DISNAKER_STAF, POLRES_PPA]),
            ("LAPOR biaya penempatan 30 juta", [DISNAKER_KABID, DISNAKER_STAF]),
        ],
        ids=["calo", "biaya"],
    )
    async def test_sms_tip_without_kecamatan_goes_to_tier_two(
        self, gateway: Gateway, conn: asyncpg.Connection, text: str, expected: list[str]
    ) -> None:
        """An SMS LAPOR tip has no kecamatan, so no Camat: tier 2 of its category is alerted."""
        await send_sms(gateway.client, text)
        assert expected == await alerted(conn)

    async def test_tip_nobody_covers_stays_received(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """With no active official at all, no alert is queued and the tip stays 'baru'."""
        await conn.execute("UPDATE officials SET active = false")
        receipt = await file_tip(gateway.client, "calo")
        status = await conn.fetchval("SELECT status FROM tips WHERE receipt = $1", receipt)
        assert ("baru", []) == (status, await alerted(conn))


# The longest desa name of the kecamatan with the longest name, typed and confirmed.
LONG_DESA = ("cokopsulanjana", "1")
LONG_AGENCY = "Pak Haji Sanusi bin Abdullah Sponsor Tenaga Kerja"
LONG_STORY = "Calo datang ke rumah, minta uang 25 juta, janji kerja di pabrik Taiwan. " * 4
TEXT_CASES = [
    # (id, category, kecamatan, desa, agency, story)
    ("calo-short", "calo", "pontang", ("1",), "1", STORY),
    ("lainnya-long-story", "lainnya", "pontang", ("1",), "1", LONG_STORY),
    ("tujuan-long-everything", "tujuan", "waringinkurung", LONG_DESA, LONG_AGENCY, LONG_STORY),
    ("bahaya-long-story", "bahaya", "pontang", ("1",), "1", LONG_STORY),
    ("bahaya-long-desa", "bahaya", "waringinkurung", LONG_DESA, "1", LONG_STORY),
    ("bahaya-long-everything", "bahaya", "waringinkurung", LONG_DESA, LONG_AGENCY, LONG_STORY),
]
LABELS = [
    ("bahaya", "BAHAYA sekarang"),
    ("calo", "Calo/sponsor"),
    ("biaya", "Diminta bayar mahal"),
    ("dokumen", "Dokumen ditahan"),
    ("visa", "Visa turis"),
    ("tujuan", "Ke negara terlarang"),
    ("lainnya", "Lainnya"),
]


def number_pieces(phone: str) -> list[str]:
    """Every run of six digits of a number's national part: 'anything of it'."""
    national = re.sub(r"\D", "", phone).removeprefix("62")
    return [national[i : i + 6] for i in range(len(national) - 5)]


class TestAlertText:
    @pytest.mark.parametrize(
        ("category", "kecamatan", "desa", "agency", "story"),
        [c[1:] for c in TEXT_CASES],
        ids=[c[0] for c in TEXT_CASES],
    )
    async def test_fits_three_segments(
        self,
        gateway: Gateway,
        conn: asyncpg.Connection,
        category: str,
        kecamatan: str,
        desa: tuple[str, ...],
        agency: str,
        story: str,
    ) -> None:
        """The alert fits one concatenated SMS of 3 x 153 GSM-7 characters, however long the
        tip's fields are."""
        await file_tip(gateway.client, category, kecamatan, desa, agency, story)
        body = (await alert_bodies(conn))[0]
        assert (True, True) == (is_gsm7(body), sms_length(body, 3)[0] <= 459), body

    @pytest.mark.parametrize(("category", "label"), LABELS, ids=[c for c, _ in LABELS])
    async def test_names_category(
        self, gateway: Gateway, conn: asyncpg.Connection, category: str, label: str
    ) -> None:
        """The alert names the tip's category by its label."""
        await file_tip(gateway.client, category)
        assert label in (await alert_bodies(conn))[0]

    async def test_shows_receipt(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """The alert shows the tip's receipt as residents see it."""
        receipt = await file_tip(gateway.client, "calo")
        assert show_receipt(receipt) in (await alert_bodies(conn))[0]

    async def test_tells_how_to_acknowledge(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """The alert says how to acknowledge: 'OK <receipt>'."""
        receipt = await file_tip(gateway.client, "calo")
        assert f"OK {receipt}" in (await alert_bodies(conn))[0]

    async def test_every_official_gets_the_same_text(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """All alerts of one tip carry one text, and that text is what the gateway got."""
        await file_tip(gateway.client, "calo")
        await drain(gateway)
        bodies = set(await alert_bodies(conn))
        assert (1, bodies) == (len(bodies), {m["message"] for m in gateway.fake.messages})

    @pytest.mark.parametrize(
        "phone", ["+6281234567890", "+6285799887766"], ids=["telkomsel", "indosat"]
    )
    async def test_holds_nothing_of_the_reporters_number(
        self, gateway: Gateway, conn: asyncpg.Connection, phone: str
    ) -> None:
        """No six digits in a row of the reporter's number appear in the alert."""
        await file_tip(gateway.client, "calo", phone=phone)
        body = (await alert_bodies(conn))[0]
        assert [] == [piece for piece in number_pieces(phone) if piece in body]


class TestRoutingIsData:
    @pytest.mark.parametrize(
        ("rule", "category", "expected"),
        [
            (
                "INSERT INTO routing_rules VALUES ('calo', true, 60)",
                "calo",
                [
                    CAMAT_PONTANG,
                    KADES_PONTANG,
                    KAPOLSEK_PONTANG,
                    DISNAKER_KABID,
                    DISNAKER_STAF,
                    POLRES_PPA,
                    BP3MI,
                ],
            ),
            (
                "UPDATE routing_rules SET all_tiers = false WHERE category = 'bahaya'",
                "bahaya",
                [CAMAT_PONTANG, KAPOLSEK_PONTANG],
            ),
            (
                "UPDATE routing_rules SET all_tiers = true WHERE category = '*'",
                "visa",
                [
                    CAMAT_PONTANG,
                    KADES_PONTANG,
                    DISNAKER_KABID,
                    DISNAKER_STAF,
                    POLRES_PPA,
                    BP3MI,
                    IMIGRASI,
                ],
            ),
        ],
        ids=["calo-all-tiers", "bahaya-tier-one-only", "default-all-tiers"],
    )
    async def test_rule_decides_the_tiers(
        self,
        gateway: Gateway,
        conn: asyncpg.Connection,
        rule: str,
        category: str,
        expected: list[str],
    ) -> None:
        """Changing routing_rules changes who is alerted, with no code change."""
        await conn.execute(rule)
        await file_tip(gateway.client, category)
        await drain(gateway)
        assert sorted(expected) == sent_to(gateway)

    @pytest.mark.parametrize(
        ("rule", "category", "minutes"),
        [
            (None, "calo", 1440),
            (None, "bahaya", 30),
            ("INSERT INTO routing_rules VALUES ('calo', false, 90)", "calo", 90),
        ],
        ids=["default-rule", "bahaya-rule", "new-calo-rule"],
    )
    async def test_rule_decides_time_to_acknowledge(
        self,
        gateway: Gateway,
        conn: asyncpg.Connection,
        rule: str | None,
        category: str,
        minutes: int,
    ) -> None:
        """Each alert is due for acknowledgement after its category rule's minutes."""
        if rule:
            await conn.execute(rule)
        await file_tip(gateway.client, category)
        rows = await conn.fetch("SELECT DISTINCT ack_due_at - created_at AS wait FROM alerts")
        assert [timedelta(minutes=minutes)] == [r["wait"] for r in rows]

    async def test_directory_change_changes_who_is_alerted(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A new tier-1 official for a kecamatan is alerted for the next tip there."""
        await conn.execute(
            "INSERT INTO officials (name, phone, kecamatan_codes, categories, tier)"
            " VALUES ('Petugas Baru', '+6281199000099', '{36.04.05}', '{biaya}', 1)"
        )
        await file_tip(gateway.client, "biaya", "kramatwatu")
        await drain(gateway)
        assert [CAMAT_KRAMATWATU, "+6281199000099"] == sent_to(gateway)
