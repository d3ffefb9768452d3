"""
Place detection in SMS tips (ussd_menus/places.py): measured on a labelled set of realistic SMS
(tests/data/sms_places.json), and routing: an SMS tip naming a desa, like a USSD tip whose caller
chose it, alerts that desa's official and not another desa's.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway.metrics import METRICS
from gateway.usecases.tips import TipReport, TipRules, file_tip
from gateway.ussd import menu_desa
from storage.migrate import available
from tests.conftest import Gateway
from tests.sms_client import send_sms
from tests.ussd_client import walk
from ussd_menus.model import Kecamatan
from ussd_menus.places import Place, find_place

CASES = json.loads((Path(__file__).parent / "data" / "sms_places.json").read_text("utf-8"))
# Floors the labelled set reaches (the figures are printed by test_figures with -s).
PRECISION_FLOOR = 0.97
RECALL_FLOOR = 0.95
STORY = "calo minta uang 10 juta untuk ke Taiwan"
# Two desa of Kecamatan Pontang (36.04.12), each with a village official of its own.
LINDUK = "36.04.12.2003"
DOMAS = "36.04.12.2009"
KADES_LINDUK = "+6281199000091"
KADES_DOMAS = "+6281199000092"
CAMAT_PONTANG = "+6281199000007"
KADES_PONTANG = "+6281199000030"  # a village official of the sample directory, no desa codes


def _kecamatan() -> tuple[Kecamatan, ...]:
    """The 29 kecamatan as the migration seeds them."""
    sql = next(m.sql for m in available() if m.name.endswith("_kecamatan.sql"))
    found = re.findall(r"\('(36\.04\.\d\d)', '([^']+)'", sql)
    return tuple(Kecamatan(code, name) for code, name in found)


KECAMATAN = _kecamatan()
DESA = menu_desa()


def expected(case: dict[str, str | None]) -> Place | None:
    """The place a labelled case names, or None."""
    kec = case["kecamatan"]
    return Place(kec, case["desa"]) if kec else None


def figures() -> tuple[float, float, list[str]]:
    """Precision (found places that are right), recall (labelled places found right) and the
    cases missed or wrong."""
    found = right = labelled = 0
    wrong = []
    for case in CASES:
        got, want = find_place(case["sms"], KECAMATAN, DESA), expected(case)
        found += got is not None
        labelled += want is not None
        right += got is not None and got == want
        if got != want:
            wrong.append(f"{case['sms']!r}: got {got}, want {want}")
    return right / found, right / labelled, wrong


class TestLabelledSet:
    def test_the_set_is_large_and_varied(self) -> None:
        """At least 60 SMS: with a desa, with only a kecamatan, and with no place at all."""
        desa = sum(1 for c in CASES if c["desa"])
        only_kec = sum(1 for c in CASES if c["kecamatan"] and not c["desa"])
        none = sum(1 for c in CASES if not c["kecamatan"])
        assert (len(CASES) >= 60, desa >= 20, only_kec >= 15, none >= 15) == (True,) * 4

    def test_every_label_is_a_real_place(self) -> None:
        """Every labelled desa is a shipped desa of the labelled kecamatan."""
        desa = {d.code: d.kecamatan_code for d in DESA}
        kec = {k.code for k in KECAMATAN}
        bad = [
            c["sms"]
            for c in CASES
            if (c["kecamatan"] and c["kecamatan"] not in kec)
            or (c["desa"] and desa.get(c["desa"]) != c["kecamatan"])
        ]
        assert [] == bad

    def test_precision_floor(self) -> None:
        """Places found are right at least PRECISION_FLOOR of the time."""
        precision, _, wrong = figures()
        assert precision >= PRECISION_FLOOR, wrong

    def test_recall_floor(self) -> None:
        """At least RECALL_FLOOR of the labelled places are found, and right."""
        _, recall, wrong = figures()
        assert recall >= RECALL_FLOOR, wrong

    def test_figures(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The figures for the closing note (shown with -s)."""
        precision, recall, wrong = figures()
        with capsys.disabled():
            print(
                f"\nplace detection over {len(CASES)} SMS: precision {precision:.3f},"
                f" recall {recall:.3f}; not as labelled: {wrong}"
            )
        assert 0 < precision <= 1


class TestDetection:
    @pytest.mark.parametrize(
        ("text", "want"),
        [
            ("LAPOR calo di desa margasana kramatwatu", Place("36.04.05", "36.04.05.2002")),
            ("lapor di puloampel", Place("36.04.08")),
            ("lapor di pulo ampel", Place("36.04.08")),
            ("lapor ds. sukamaju", None),
            ("lapor ds. sukamaju kec. cikeusal", Place("36.04.23", "36.04.23.2004")),
            ("lapor ds cemplang jawilan", Place("36.04.26", "36.04.26.2003")),
            ("kirim lamaran ke pt bumi jaya", None),
            ("lapor calo di kopong", None),
            ("", None),
            ("x" * 500, None),
        ],
        ids=[
            "desa-and-kecamatan",
            "without-space",
            "with-space",
            "shared-desa-ambiguous",
            "shared-desa-resolved",
            "shared-desa-in-one-kecamatan",
            "common-words-and-agency",
            "inside-another-word",
            "empty",
            "long-nonsense",
        ],
    )
    def test_finds(self, text: str, want: Place | None) -> None:
        """What a text yields, as the module docstring promises."""
        assert want == find_place(text, KECAMATAN, DESA)


async def add_desa_officials(conn: asyncpg.Connection) -> None:
    """Two village officials of Pontang, each for one desa by its code."""
    await conn.executemany(
        "INSERT INTO officials (name, role, phone, office, kecamatan_codes, categories, tier,"
        " active, is_sample, agency, desa_codes) VALUES ($1, 'Kepala Desa', $2, $3,"
        " '{36.04.12}', '{*}', 1, true, true, 'DESA', $4)",
        [
            ("Kades Linduk", KADES_LINDUK, "Desa Linduk", [LINDUK]),
            ("Kades Domas", KADES_DOMAS, "Desa Domas", [DOMAS]),
        ],
    )


async def alerted(conn: asyncpg.Connection) -> list[str]:
    """The numbers of the officials with an alert row, sorted."""
    rows = await conn.fetch(
        "SELECT f.phone FROM alerts a JOIN officials f ON f.id = a.official_id ORDER BY f.phone"
    )
    return [r["phone"] for r in rows]


class TestRouting:
    async def test_sms_tip_naming_a_desa_alerts_its_official(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """LAPOR naming desa Linduk, Pontang: the tip has its codes and Linduk's official is
        alerted with the kecamatan's, Domas's is not."""
        await add_desa_officials(conn)
        await send_sms(gateway.client, f"LAPOR {STORY} di ds. linduk kec pontang")
        tip = await conn.fetchrow("SELECT kecamatan_code, desa_code, desa FROM tips")
        assert (("36.04.12", LINDUK, "Linduk"), [CAMAT_PONTANG, KADES_PONTANG, KADES_LINDUK]) == (
            tuple(tip.values()),
            [p for p in await alerted(conn) if p != "+6281199000031"],  # and the Kapolsek
        )

    async def test_sms_tip_naming_no_place_stays_with_the_regency(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """An SMS tip naming no place has no kecamatan and alerts no desa official."""
        await add_desa_officials(conn)
        await send_sms(gateway.client, f"LAPOR {STORY}")
        tip = await conn.fetchrow("SELECT kecamatan_code, desa_code FROM tips")
        alerts = await alerted(conn)
        assert ((None, None), False) == (tuple(tip.values()), KADES_LINDUK in alerts)

    async def test_ussd_tip_with_a_desa_code_alerts_its_official(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A USSD tip whose caller typed 'linduk' and confirmed it alerts Linduk's official,
        not Domas's."""
        await add_desa_officials(conn)
        await walk(gateway.client, ["2", "2", "pontang", "1", "linduk", "1", "1", STORY, "1"])
        tip = await conn.fetchrow("SELECT kecamatan_code, desa_code, desa FROM tips")
        alerts = await alerted(conn)
        assert (("36.04.12", LINDUK, "Linduk"), True, False) == (
            tuple(tip.values()),
            KADES_LINDUK in alerts,
            KADES_DOMAS in alerts,
        )

    async def test_tip_without_desa_code_alerts_every_desa_official_of_the_kecamatan(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A USSD tip in Pontang with the desa skipped reaches both desa officials, as before."""
        await add_desa_officials(conn)
        await walk(gateway.client, ["2", "2", "pontang", "1", "1", "1", STORY, "1"])
        alerts = await alerted(conn)
        assert (True, True) == (KADES_LINDUK in alerts, KADES_DOMAS in alerts)

    async def test_a_forged_desa_code_is_not_kept(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """Only a shipped desa of the tip's kecamatan is stored as its code."""
        rules = TipRules(per_hour=5, agency_flag_per_day=100, draft_minutes=30)
        report = TipReport(
            "ussd", "forged", None, "calo", STORY, "id", "36.04.05", desa_code=LINDUK
        )
        await file_tip(conn, report, rules, client.server.app[METRICS])
        assert (None, None) == tuple(
            (await conn.fetchrow("SELECT desa_code, desa FROM tips")).values()
        )
