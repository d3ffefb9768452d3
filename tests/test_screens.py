"""
Every USSD screen a caller can reach, walked breadth-first with the pure machine and sample data.

Each screen must fit one USSD page (SCREEN_LIMIT GSM-7 characters), use only GSM-safe
characters, and, while the session goes on, end with a way back. The walk replays input paths
exactly as the gateway does, loading the facts the machine asks for from a fixed scenario.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache

import pytest

from gateway.agency_index import AgencyIndex
from gateway.ussd import menu_desa
from storage.migrate import available
from storage.sample import sample_agencies
from storage.tips import TipStatus
from ussd_menus import catalogue, destinations
from ussd_menus.machine import Hop, Machine, Need
from ussd_menus.model import (
    SCREEN_LIMIT,
    CheckSigning,
    Context,
    Continue,
    Env,
    Frame,
    Kecamatan,
    Lang,
    ReceiptSent,
    ReportContext,
    ReportFiled,
    ReportLimited,
    ReportSigning,
    SendReceipt,
    SigningChecked,
    SigningReported,
)
from ussd_menus.receipts import check_digit
from ussd_menus.rekap import OUTCOMES, Figures, rekap_text
from ussd_menus.report import CATEGORIES, dump_report, kecamatan_pages
from ussd_menus.signing import check_before_signing
from ussd_menus.texts import t
from ussd_menus.tree import build_machine, build_nodes, is_gsm_safe

LANGS = catalogue.active().codes

TODAY = date(2026, 11, 30)
MAX_DEPTH = 7  # inputs: the longest journey (a report, from the main menu to its receipt)
# The back/menu, previous-page, exit and home lines of every language ("0 Kembali 00 Menu", ...).
NAVIGATION = tuple(
    t(key, lang) for lang in LANGS for key in ("nav.footer", "nav.footer_previous", "main.exit")
) + tuple("\n" + t("nav.home", lang) for lang in LANGS)


def _kecamatan() -> tuple[Kecamatan, ...]:
    """Kabupaten Serang's kecamatan as the migration seeds them, by name as the gateway loads."""
    sql = next(m.sql for m in available() if m.name.endswith("_kecamatan.sql"))
    found = re.findall(r"\('(36\.04\.\d\d)', '([^']+)'", sql)
    return tuple(sorted((Kecamatan(code, name) for code, name in found), key=lambda k: k.name))


def _receipt(body: str) -> str:
    """A valid receipt code for an 8-digit body."""
    return body + check_digit(body)


KECAMATAN = _kecamatan()
DESA = menu_desa()
AGENCIES = sample_agencies()
INDEX = AgencyIndex(AGENCIES)
FILED = _receipt("12345678")
UNKNOWN_TIP = _receipt("87654321")
TIP_WITH_QUESTION = _receipt("23456789")
TIP_WITH_MESSAGE = _receipt("34567891")
TIP_ANSWERED = _receipt("45678912")
TIPS: dict[str, TipStatus | None] = {
    UNKNOWN_TIP: None,
    TIP_WITH_QUESTION: TipStatus(
        receipt=TIP_WITH_QUESTION,
        status="diteruskan",
        category="calo",
        latest_message=None,
        open_question_id=7,
        open_question="Di desa mana calo itu biasa datang, siapa namanya, dan kapan terakhir? " * 2,
    ),
    TIP_WITH_MESSAGE: TipStatus(
        receipt=TIP_WITH_MESSAGE,
        status="diterima",
        category="biaya",
        latest_message="Terima kasih. Laporan Anda sudah kami teruskan ke Disnakertrans. " * 3,
        open_question_id=None,
        open_question=None,
    ),
    TIP_ANSWERED: TipStatus(
        receipt=TIP_ANSWERED,
        status="selesai_ditindak",
        category="calo",
        latest_message="Siapa nama calo yang datang ke rumah Anda, dan kapan dia datang lagi? " * 3,
        open_question_id=None,
        open_question=None,
        answered_question_id=9,
    ),
}
# A name in no registry: 60 characters, accented letters and a curly quote.
NOT_FOUND = "PT Ç’est Lémbaga Pénempatan Kérja Tidak Terdaftar Nusantara!"  # noqa: RUF001
STORY = "Saya diminta bayar Rp 5 juta oleh calo*sponsor #1 di desa, paspor saya ditahan."
# What is typed at each free-text step; a free-text step not listed here gets GENERIC_TEXT.
FREE_TEXT: dict[str, list[str]] = {
    "check": [
        *(a.name for a in AGENCIES),
        *(a.licence_number for a in AGENCIES),
        "contoh",
        "sampel",
        "fiktif",
        NOT_FOUND,
        "ab",
        "zz*top",
    ],
    "report_kec": ["pontang", "an", "xyz", NOT_FOUND],
    # A desa of no kecamatan on page 1, several desa of Anyar, one with a typo, too few letters.
    "report_desa": ["Sukamaju", NOT_FOUND, "sindang", "mekarsri", "ab"],
    "report_agency": ["PT Contoh Samudra Karya", "contoh", NOT_FOUND],
    "report_desc": ["ab", STORY, NOT_FOUND],
    "status": [
        UNKNOWN_TIP,
        TIP_WITH_QUESTION,
        TIP_WITH_MESSAGE,
        TIP_ANSWERED,
        "1234-5678-1",
        "ab",
    ],
    "status_answer": ["Namanya Pak Budi, datang tiap Jumat*malam", "   "],
    "officer_cekizin": ["ab", "PT Contoh Samudra Karya"],
    "officer_cekizin_country": ["Atlantis", "Arab Saudi"],
}
GENERIC_TEXT = ["ab", NOT_FOUND, STORY]
# The check before signing at its wordiest: a licensed agency, a closed destination, no job order.
STOPPED = SigningChecked(
    check_before_signing(
        "PT Contoh Samudra Karya",
        AGENCIES[0],
        destinations.active().countries[0],
        destinations.active().jobs[0],
        destinations.active().bans,
        (),
        TODAY,
    ),
    TODAY,
)


# The REKAP digest as the officials' menu shows it: the SMS wording, with the longest values.
REKAP = rekap_text(
    "a" * 40,
    date(2026, 11, 23),
    date(2026, 11, 29),
    Figures(99999, 99999, 99999, {o: 99999 for o in OUTCOMES}, ("n" * 40,) * 3, ("n" * 40,) * 3),
)


@dataclass(frozen=True, slots=True)
class Scenario:
    """What the gateway would load for the machine: the reporter's report context, an outcome,
    and whether the caller's number is an official's (the officials' menu)."""

    report: ReportContext
    outcome: ReportFiled | ReportLimited
    official: bool = False

    def fact(self, kind: str, key: str) -> object:
        """The fact the machine asked for."""
        if kind == "official":
            return self.official
        if kind == "rekap":
            return REKAP if self.official else None
        if kind == "report":
            return self.report
        if kind == "tip":
            return TIPS.get(key)
        if kind == "outcome":
            return self.outcome
        raise AssertionError(f"the machine asks for an unknown fact {kind!r}: teach this test")


DRAFT = (
    Frame("report_kec", dump_report({}, c="calo")),
    Frame("report_desa", dump_report({}, c="calo", k=KECAMATAN[0].code)),
)
NOTHING = ReportContext(resume=None, filed_receipt=None, limited_at=None)
SCENARIOS = {
    "new-reporter": Scenario(NOTHING, ReportFiled(FILED)),
    "draft-to-resume": Scenario(
        ReportContext(resume=DRAFT, filed_receipt=None, limited_at=None), ReportFiled(FILED)
    ),
    "over-the-limit": Scenario(
        ReportContext(resume=None, filed_receipt=None, limited_at=3), ReportFiled(FILED)
    ),
    "already-filed": Scenario(
        ReportContext(resume=None, filed_receipt=FILED, limited_at=None), ReportFiled(FILED)
    ),
    "limit-reached-on-sending": Scenario(NOTHING, ReportLimited(3)),
    "official": Scenario(NOTHING, ReportFiled(FILED), official=True),
}


@dataclass(frozen=True, slots=True)
class Seen:
    """One screen met on the walk, and the inputs that led there."""

    inputs: tuple[str, ...]
    hop: Hop

    @property
    def text(self) -> str:
        """The screen text."""
        return self.hop.screen.text

    def where(self) -> str:
        """The screen with its path, for a failure message."""
        return f"{self.hop.node} via {list(self.inputs)} ({len(self.text)} chars):\n{self.text}"


def answer(
    machine: Machine, text: str, spans: Mapping[int, int], fact: Callable[[str, str], object]
) -> tuple[Hop, Env]:
    """One hop as the gateway answers it: replay, load each fact asked for, replay again."""
    facts: dict[tuple[str, str], object] = {}
    for _ in range(8):
        env = Env(agencies=INDEX, today=TODAY, kecamatan=KECAMATAN, desa=DESA, facts=facts)
        result = machine.hop(text, env, spans, spans_complete=True)
        if isinstance(result, Hop):
            return result, env
        if isinstance(result, Need):
            assert "spans" != result.kind, f"replay of {text!r} needs spans it was given"
            facts[(result.kind, result.key)] = fact(result.kind, result.key)
        elif isinstance(result.effect, SendReceipt):  # the receipt SMS is queued
            facts[("outcome", "")] = ReceiptSent(True)
        elif isinstance(result.effect, CheckSigning):  # the longest kind of answer: stop
            facts[("outcome", "")] = STOPPED
        elif isinstance(result.effect, ReportSigning):
            facts[("outcome", "")] = SigningReported(FILED)
        else:  # an effect to carry out: its outcome becomes a fact
            facts[("outcome", "")] = fact("outcome", "")
    raise AssertionError(f"replay of {text!r} did not settle")


def shape(frame: Frame) -> tuple[str, tuple[str, ...]]:
    """A step as the walk tells steps apart: its node and, for a report, which answers it holds."""
    try:
        carried = json.loads(frame.arg)
    except ValueError:
        carried = None
    return frame.node, tuple(sorted(carried)) if isinstance(carried, dict) else ()


def inputs_for(machine: Machine, hop: Hop, env: Env) -> list[str]:
    """Every option, paging, navigation, an invalid key and, at a free-text step, typed texts."""
    frame = hop.stack[-1]
    view = machine.nodes[frame.node].view(frame, Context(hop.lang, env))
    keys = [str(n) for n in range(1, len(view.options) + 1)]
    keys += ["99"] if view.more is not None else []
    keys += ["0", "00", "8"]
    return keys + (FREE_TEXT.get(frame.node, GENERIC_TEXT) if view.free_text else [])


@cache
def walk(lang: Lang, scenario: str) -> tuple[Seen, ...]:
    """Every distinct screen within MAX_DEPTH inputs, breadth-first."""
    machine = Machine(build_machine(KECAMATAN, DESA).nodes, default_lang=lang)
    fact = SCENARIOS[scenario]
    first, env = answer(machine, "", {}, fact.fact)
    todo: deque[tuple[tuple[str, ...], dict[int, int], Hop, Env]] = deque([((), {}, first, env)])
    seen: set[tuple[object, ...]] = set()
    screens: list[Seen] = []
    while todo:
        inputs, spans, hop, env = todo.popleft()
        key = (shape(hop.stack[-1]), hop.screen.text)
        if key in seen:
            continue
        seen.add(key)
        screens.append(Seen(inputs, hop))
        if not isinstance(hop.screen, Continue) or len(inputs) >= MAX_DEPTH:
            continue
        for typed in inputs_for(machine, hop, env):
            path = (*inputs, typed)
            child, child_env = answer(machine, "*".join(path), spans, fact.fact)
            child_spans = dict(spans)
            if child.new_span is not None:
                child_spans[child.new_span[0]] = child.new_span[1]
            todo.append((path, child_spans, child, child_env))
    return tuple(screens)


WALKS = [(lang, scenario) for lang in LANGS for scenario in SCENARIOS]
WALK_IDS = [f"{lang}-{scenario}" for lang, scenario in WALKS]


class TestEveryScreen:
    @pytest.mark.parametrize(("lang", "scenario"), WALKS, ids=WALK_IDS)
    def test_screens_fit_one_page(self, lang: Lang, scenario: str) -> None:
        """No reachable screen is longer than SCREEN_LIMIT characters."""
        screens = walk(lang, scenario)
        longest = max(screens, key=lambda s: len(s.text))
        too_long = [s.where() for s in screens if len(s.text) > SCREEN_LIMIT]
        assert [] == too_long, f"{len(too_long)} too long; the longest is {longest.where()}"

    @pytest.mark.parametrize(("lang", "scenario"), WALKS, ids=WALK_IDS)
    def test_screens_are_gsm_safe(self, lang: Lang, scenario: str) -> None:
        """Every reachable screen uses only GSM-7 single-slot characters."""
        assert [] == [s.where() for s in walk(lang, scenario) if not is_gsm_safe(s.text)]

    @pytest.mark.parametrize(("lang", "scenario"), WALKS, ids=WALK_IDS)
    def test_open_screens_end_with_navigation(self, lang: Lang, scenario: str) -> None:
        """Every screen that waits for an answer ends with its back/menu or exit line."""
        assert [] == [
            s.where()
            for s in walk(lang, scenario)
            if isinstance(s.hop.screen, Continue) and not s.text.endswith(NAVIGATION)
        ]

    @pytest.mark.parametrize("lang", LANGS)
    def test_walk_reaches_every_node(self, lang: Lang) -> None:
        """The walk meets every node of the tree, so no part of it goes unchecked."""
        reached = {s.hop.node for scenario in SCENARIOS for s in walk(lang, scenario)}
        assert sorted(build_nodes()) == sorted(reached)

    @pytest.mark.parametrize("lang", LANGS)
    def test_walk_shows_the_language(self, lang: Lang) -> None:
        """A walk started in a language shows its main menu in that language."""
        expected = {
            "id": "Layanan Info Kerja Luar Negeri",
            "en": "Work Abroad Information",
            "su": "Layanan Info Gawe di Luar Nagri",
        }
        assert walk(lang, "new-reporter")[0].text.startswith(expected[lang])


def dial(machine: Machine, inputs: list[str], scenario: Scenario) -> Hop:
    """Answer each input hop by hop, recording free-text spans as the gateway does; the last."""
    spans: dict[int, int] = {}
    hop, _ = answer(machine, "", spans, scenario.fact)
    for n in range(1, len(inputs) + 1):
        hop, _ = answer(machine, "*".join(inputs[:n]), spans, scenario.fact)
        if hop.new_span is not None:
            spans[hop.new_span[0]] = hop.new_span[1]
    return hop


def pick_kecamatan(kecamatan: int, lang: Lang) -> list[str]:
    """The keys that pick the kecamatan at this index from its page of the list."""
    pages = kecamatan_pages(KECAMATAN, lang)
    page = next(n for n, (start, count) in enumerate(pages) if kecamatan < start + count)
    return [*["99"] * page, str(kecamatan - pages[page][0] + 1)]


def to_confirm(category: int, kecamatan: int, lang: Lang) -> list[str]:
    """From the main menu to the report summary: a category (BAHAYA: add details), a kecamatan
    from its page, no desa, a long name."""
    details = ["2"] if CATEGORIES[category] == "bahaya" else []
    kecamatan_keys = pick_kecamatan(kecamatan, lang)
    return ["2", str(category + 1), *details, *kecamatan_keys, "1", NOT_FOUND, STORY]


class TestEveryReportSummary:
    """The walk meets one report summary per shape; its length depends on the answers chosen."""

    @pytest.mark.parametrize("lang", LANGS)
    def test_every_summary_fits_one_page(self, lang: Lang) -> None:
        """Every category with every kecamatan and a long typed name gives a summary that fits,
        with and without a village official marked as involved."""
        machine = Machine(build_machine(KECAMATAN, DESA).nodes, default_lang=lang)
        scenario = SCENARIOS["new-reporter"]
        screens = [
            Seen(tuple(path), dial(machine, path, scenario))
            for c in range(len(CATEGORIES))
            for k in range(len(KECAMATAN))
            for marked in ([], ["2", "1"])
            for path in [[*to_confirm(c, k, lang), *marked]]
        ]
        longest = max(screens, key=lambda s: len(s.text))
        assert ({"report_confirm"}, []) == (
            {s.hop.node for s in screens},
            [s.where() for s in screens if len(s.text) > SCREEN_LIMIT or not is_gsm_safe(s.text)],
        ), f"the longest is {longest.where()}"

    @pytest.mark.parametrize("lang", LANGS)
    def test_every_officials_summary_fits_one_page(self, lang: Lang) -> None:
        """An official's own report (main menu 6, then 1) asks to send it in their name: every
        category with every kecamatan, marked or not, still fits."""
        machine = Machine(build_machine(KECAMATAN).nodes, default_lang=lang)
        scenario = SCENARIOS["official"]
        screens = [
            Seen(tuple(path), dial(machine, path, scenario))
            for c in range(len(CATEGORIES))
            for k in range(len(KECAMATAN))
            for marked in ([], ["2", "1"])
            for path in [["6", "1", *to_confirm(c, k, lang)[1:], *marked]]
        ]
        asks = t("report.confirm_officer", lang, summary="").strip()
        assert ({"report_confirm"}, [], []) == (
            {s.hop.node for s in screens},
            [s.where() for s in screens if len(s.text) > SCREEN_LIMIT or not is_gsm_safe(s.text)],
            [s.where() for s in screens if asks not in s.text],
        )

    @pytest.mark.parametrize("lang", LANGS)
    @pytest.mark.parametrize("then", [[], ["1"], ["2"]], ids=["receipt", "done", "sms"])
    @pytest.mark.parametrize("scenario", ["new-reporter", "limit-reached-on-sending"])
    def test_every_receipt_fits_one_page(self, lang: Lang, then: list[str], scenario: str) -> None:
        """The screens after sending (the receipt, finishing, the SMS), urgent or not, fit."""
        machine = Machine(build_machine(KECAMATAN, DESA).nodes, default_lang=lang)
        screens = [
            Seen(tuple(path), dial(machine, path, SCENARIOS[scenario]))
            for c in range(len(CATEGORIES))
            for path in [[*to_confirm(c, 0, lang), "1", *then]]
        ]
        limited = scenario == "limit-reached-on-sending"  # the refusal ends the session
        after = {"1": "report_bye", "2": "report_sms"}
        node = "report_done" if limited or not then else after[then[0]]
        assert ({node}, []) == (
            {s.hop.node for s in screens},
            [s.where() for s in screens if len(s.text) > SCREEN_LIMIT or not is_gsm_safe(s.text)],
        )
