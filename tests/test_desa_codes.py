"""
Desa codes: the USSD desa step (a kecamatan's desa, paged, or typed with one typo forgiven, or
skipped; dialogues in tests/data/desa_dialogues.json), every desa screen within one USSD page,
the officials directory's desa codes, what a desa account sees, and the tips-per-desa chart.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway.console.auth import hash_password
from gateway.phones import normalize
from storage.areas import area_of, desa_in
from storage.cases import case_in_area
from storage.errors import InvalidCsv
from storage.officials import format_officials, parse_officials
from storage.tips import CATEGORIES
from storage.users import add_user
from tests.console_helpers import PASSWORD, post_login
from tests.dialogues import assert_shows, duplicate_labels, one_language_only
from tests.test_screens import DESA, KECAMATAN, LANGS, SCENARIOS, Seen, dial, pick_kecamatan
from tests.ussd_client import walk
from ussd_menus.machine import Machine
from ussd_menus.model import SCREEN_LIMIT, Lang
from ussd_menus.tree import build_machine, is_gsm_safe

DIALOGUES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "desa_dialogues.json").read_text("utf-8")
)
PONTANG = "36.04.12"
LINDUK = "36.04.12.2003"
DOMAS = "36.04.12.2009"
MARGASANA = "36.04.05.2002"  # Kramatwatu
HEADER = "name,role,phone,office,kecamatan_codes,categories,tier,active,agency,desa_codes"


class TestDialogues:
    @pytest.mark.parametrize("case", DIALOGUES, ids=[c["label"] for c in DIALOGUES])
    async def test_dialogue(self, client: TestClient, case: dict[str, Any]) -> None:
        """Each sequence of inputs, sent hop by hop as AT does, ends on the expected screen."""
        body = await walk(client, case["inputs"])
        assert case["kind"] == body[:3], body
        assert_shows(case, body)

    def test_labels_are_unique_and_in_both_languages(self) -> None:
        """Every behaviour is specified once in Indonesian and once in English."""
        assert ([], []) == (duplicate_labels(DIALOGUES), one_language_only(DIALOGUES))


def to_desa(kecamatan: int, lang: Lang) -> list[str]:
    """From the main menu to the desa step of the kecamatan at this index (picked from its
    page)."""
    return ["2", "2", *pick_kecamatan(kecamatan, lang)]


def too_long(screens: list[Seen]) -> list[str]:
    """The screens over one USSD page or with a character outside plain GSM-7."""
    return [s.where() for s in screens if len(s.text) > SCREEN_LIMIT or not is_gsm_safe(s.text)]


class TestEveryDesaScreen:
    @pytest.mark.parametrize("lang", LANGS)
    def test_every_page_of_every_kecamatan_fits(self, lang: Lang) -> None:
        """Each page of each kecamatan's desa list, with each problem line, fits one page; the
        pages together list every desa of the kecamatan once."""
        machine = Machine(build_machine(KECAMATAN, DESA).nodes, default_lang=lang)
        scenario = SCENARIOS["new-reporter"]
        screens, missing = [], []
        for k, kec in enumerate(KECAMATAN):
            listed: list[str] = []
            for page in range(5):
                for typed in ([], ["ab"], ["zzzz"]):
                    path = [*to_desa(k, lang), *["99"] * page, *typed]
                    screens.append(Seen(tuple(path), dial(machine, path, scenario)))
                names = re.findall(r"^[2-7] (.+)$", screens[-3].text, re.M)
                listed += names if f"({page + 1}/" in screens[-3].text else []
            missing += sorted({d.name for d in desa_in(kec.code)} ^ set(listed))
        assert ({"report_desa"}, [], []) == (
            {s.hop.node for s in screens},
            too_long(screens),
            missing,
        )

    @pytest.mark.parametrize("lang", LANGS)
    def test_every_typed_answer_fits(self, lang: Lang) -> None:
        """The echo of every desa, and the choices for the first three letters of every desa
        name, fit one page."""
        machine = Machine(build_machine(KECAMATAN, DESA).nodes, default_lang=lang)
        scenario = SCENARIOS["new-reporter"]
        screens = [
            Seen(tuple(path), dial(machine, path, scenario))
            for k, kec in enumerate(KECAMATAN)
            for d in desa_in(kec.code)
            for typed in (d.name, d.name[:3])
            for path in [[*to_desa(k, lang), typed]]
        ]
        assert ([], True) == (
            too_long(screens),
            {"report_desa_ok", "report_desa_pick"} <= {s.hop.node for s in screens},
        )


def directory(*rows: str) -> str:
    """An officials file with the optional columns."""
    return "".join(f"{line}\n" for line in (HEADER, *rows))


KADES_LINDUK = f"Kades Linduk,Kepala Desa,+6281199000091,Desa Linduk,{PONTANG},*,1,true,DESA,"


def parse(text: str) -> list[Any]:
    """Parse with the real kecamatan codes and categories."""
    return parse_officials(text, normalize, {k.code for k in KECAMATAN}, CATEGORIES)


def problems(text: str) -> list[tuple[int, str, str]]:
    """(line, field, message) of every problem the parser reports."""
    with pytest.raises(InvalidCsv) as refused:
        parse(text)
    return [(p.line, p.field, p.message) for p in refused.value.problems]


class TestOfficialsDesaCodes:
    def test_desa_codes_are_read(self) -> None:
        """A ';'-separated desa_codes column gives the official those desa."""
        (official,) = parse(directory(KADES_LINDUK + f"{LINDUK};{DOMAS}"))
        assert (LINDUK, DOMAS) == official.desa_codes

    def test_no_desa_codes_is_the_whole_kecamatan(self) -> None:
        """An empty desa_codes cell (and an older file without the column) gives none."""
        (official,) = parse(directory(KADES_LINDUK))
        assert () == official.desa_codes

    def test_an_unknown_code_is_refused_naming_the_line(self) -> None:
        """A code that is no desa of Kabupaten Serang is an error on its line."""
        found = problems(directory(KADES_LINDUK + LINDUK, KADES_LINDUK + "36.04.12.2999"))
        assert [(3, "desa_codes")] == [(line, field) for line, field, _ in found]
        assert "36.04.12.2999" in found[0][2]

    def test_a_desa_outside_the_kecamatan_is_refused(self) -> None:
        """A desa of another kecamatan than the official's is an error on its line."""
        found = problems(directory(KADES_LINDUK + MARGASANA))
        assert [(2, "desa_codes")] == [(line, field) for line, field, _ in found]
        assert "outside" in found[0][2]

    def test_export_reads_back(self) -> None:
        """The exported directory parses back to the same desa codes."""
        officials = parse(directory(KADES_LINDUK + f"{LINDUK};{DOMAS}"))
        assert officials == parse(format_officials(officials))


async def add_tip(
    conn: asyncpg.Connection, receipt: str, desa_code: str | None, desa: str | None
) -> None:
    """A tip of Pontang with this desa code and name."""
    await conn.execute(
        "INSERT INTO tips (receipt, channel, source_ref, category, kecamatan_code, desa_code,"
        " desa, description) VALUES ($1, 'ussd', $1, 'calo', $2, $3, $4, 'Calo minta uang')",
        receipt,
        PONTANG,
        desa_code,
        desa,
    )


class TestDesaArea:
    @pytest.mark.parametrize(
        ("desa_code", "desa", "inside"),
        [
            (DOMAS, "Domas", True),
            (LINDUK, "Linduk", False),
            (None, " domas ", True),
            (None, "Linduk", False),
            (None, None, False),
        ],
        ids=["coded", "other-desa-coded", "old-by-name", "old-other-name", "no-desa"],
    )
    async def test_a_desa_account_sees_its_desa(
        self, conn: asyncpg.Connection, desa_code: str | None, desa: str | None, inside: bool
    ) -> None:
        """A Domas account finds tips coded Domas and older ones named Domas, nothing else."""
        await add_tip(conn, "100000001", desa_code, desa)
        found = await case_in_area(conn, "100000001", area_of(DOMAS))
        assert inside == (found is not None)


async def sign_in_area(client: TestClient, conn: asyncpg.Connection, area: str) -> None:
    """An operator account with this area, logged in."""
    name = f"operator-{area.replace('*', 'all').replace('.', '')}"
    await add_user(conn, name, "operator", hash_password(PASSWORD), area)
    response = await post_login(client, name)
    assert 303 == response.status, await response.text()


def desa_bars(page: str) -> dict[str, int]:
    """The tips-per-desa chart's bars (label: value); empty when the page has no such chart."""
    match = re.search(r'<svg [^>]*id="chart-desa".*?</svg>', page, re.S)
    if match is None:
        return {}
    found = re.findall(
        r'<g class="bar" data-key="[^"]*" data-label="([^"]*)" data-value="(\d+)">', match[0]
    )
    return {html.unescape(label): int(value) for label, value in found}


class TestDesaChart:
    async def test_a_kecamatan_account_sees_tips_per_desa(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A Pontang account's charts count coded tips per desa of Pontang, zeros included."""
        await add_tip(conn, "100000001", LINDUK, "Linduk")
        await add_tip(conn, "100000002", LINDUK, "Linduk")
        await add_tip(conn, "100000003", None, "Linduk")  # older, uncoded: not counted
        await sign_in_area(client, conn, PONTANG)
        bars = desa_bars(await (await client.get("/console/charts")).text())
        assert ({d.name for d in desa_in(PONTANG)}, 2, 0) == (
            set(bars),
            bars["Linduk"],
            bars["Domas"],
        )

    async def test_a_regency_account_has_no_desa_chart(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """326 bars say nothing: the regency's charts stop at kecamatan."""
        await add_tip(conn, "100000001", LINDUK, "Linduk")
        await sign_in_area(client, conn, "*")
        assert {} == desa_bars(await (await client.get("/console/charts")).text())
