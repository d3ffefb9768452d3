"""
The whole menu tree, assembled and checked once at start-up.

The check fails start-up when an option leads nowhere or a fixed screen is too long, so a broken
menu never reaches a caller. Screens with registry data are walked by the test suite.
"""

from __future__ import annotations

import re
from datetime import date

from ussd_menus import catalogue
from ussd_menus.agency_check import CheckDetail, CheckList, CheckNone, CheckPrompt
from ussd_menus.machine import Machine, problems_for, render
from ussd_menus.main_menu import Goodbye, LanguageMenu, MainMenu
from ussd_menus.model import (
    MAX_OPTIONS,
    SCREEN_LIMIT,
    Context,
    Desa,
    Do,
    Env,
    Frame,
    Kecamatan,
    Lang,
    Needed,
    NoAgencies,
    Node,
    Push,
    ReportContext,
    ReportFiled,
    Restore,
    View,
)
from ussd_menus.officials import (
    LawMenu,
    LawPage,
    OfficerCekizin,
    OfficerCekizinCountry,
    OfficerCekizinJob,
    OfficerCekizinReported,
    OfficerCekizinResult,
    OfficerMenu,
    OfficerRekap,
)
from ussd_menus.report import (
    ReportAgency,
    ReportAgencyPick,
    ReportBye,
    ReportCategory,
    ReportConfirm,
    ReportDanger,
    ReportDesa,
    ReportDesaOk,
    ReportDesaPick,
    ReportDescription,
    ReportDone,
    ReportEntry,
    ReportKecamatan,
    ReportKecamatanOk,
    ReportKecamatanPick,
    ReportOfficial,
    ReportSms,
)
from ussd_menus.safe_migration import InfoMenu, InfoPage, InfoSent, load_topics
from ussd_menus.subscribe import SubscribeDone, SubscribePrompt
from ussd_menus.tip_status import StatusAnswer, StatusAnswered, StatusPrompt, StatusView


class MenuError(Exception):
    """The menu tree is inconsistent."""


def build_nodes() -> dict[str, Node]:
    """Every node of the tree by name."""
    topics = load_topics()
    return {
        "main": MainMenu(),
        "lang": LanguageMenu(),
        "exit": Goodbye(),
        "check": CheckPrompt(),
        "check_list": CheckList(),
        "check_detail": CheckDetail(),
        "check_none": CheckNone(),
        "info": InfoMenu(topics),
        "info_page": InfoPage(topics),
        "info_sent": InfoSent(),
        "report": ReportEntry(),
        "report_cat": ReportCategory(),
        "report_danger": ReportDanger(),
        "report_kec": ReportKecamatan(),
        "report_kec_ok": ReportKecamatanOk(),
        "report_kec_pick": ReportKecamatanPick(),
        "report_desa": ReportDesa(),
        "report_desa_ok": ReportDesaOk(),
        "report_desa_pick": ReportDesaPick(),
        "report_agency": ReportAgency(),
        "report_agency_pick": ReportAgencyPick(),
        "report_desc": ReportDescription(),
        "report_confirm": ReportConfirm(),
        "report_official": ReportOfficial(),
        "report_done": ReportDone(),
        "report_bye": ReportBye(),
        "report_sms": ReportSms(),
        "status": StatusPrompt(),
        "status_view": StatusView(),
        "status_answer": StatusAnswer(),
        "status_answered": StatusAnswered(),
        "officer": OfficerMenu(),
        "officer_rekap": OfficerRekap(),
        "officer_cekizin": OfficerCekizin(),
        "officer_cekizin_country": OfficerCekizinCountry(),
        "officer_cekizin_job": OfficerCekizinJob(),
        "officer_cekizin_result": OfficerCekizinResult(),
        "officer_cekizin_reported": OfficerCekizinReported(),
        "officer_law": LawMenu(),
        "officer_law_page": LawPage(),
        "subscribe": SubscribePrompt(),
        "subscribe_done": SubscribeDone(),
    }


# The walks already passed, by what they depend on: the texts of every language and the places.
# The tree is code, so a walk that passed once passes again; with 326 desa pages a walk costs
# seconds, and every app start (each test's too) loads its content anew and builds a machine.
_WALKED: set[tuple[object, tuple[Kecamatan, ...], tuple[Desa, ...]]] = set()


def build_machine(kecamatan: tuple[Kecamatan, ...] = (), desa: tuple[Desa, ...] = ()) -> Machine:
    """The checked machine; raises MenuError if the tree is inconsistent."""
    nodes = build_nodes()
    content = catalogue.active()
    texts = tuple((lang, tuple(content.texts[lang].items())) for lang in content.codes)
    key = (texts, kecamatan, desa)
    if key not in _WALKED:
        check(nodes, kecamatan, desa)
        _WALKED.add(key)
    return Machine(nodes)


# Facts for the start-up walk: no limit reached, nothing to resume, a filed report; an
# official's number, so the officials' menu is walked too (its REKAP needs data: not walked).
_WALK_FACTS = {
    ("official", ""): True,
    ("report", ""): ReportContext(resume=None, filed_receipt=None, limited_at=None),
    ("outcome", ""): ReportFiled("123456780"),
}


def check(
    nodes: dict[str, Node], kecamatan: tuple[Kecamatan, ...] = (), desa: tuple[Desa, ...] = ()
) -> None:
    """Walk every screen reachable without registry or tip data, in every language (every
    kecamatan's desa pages too)."""
    env = Env(
        agencies=NoAgencies(),
        today=date(2000, 1, 1),
        kecamatan=kecamatan,
        desa=desa,
        facts=_WALK_FACTS,
    )
    for lang in catalogue.active().codes:
        ctx = Context(lang, env)
        seen: set[Frame] = set()
        todo = [Frame("main"), Frame("exit")]
        while todo:
            frame = todo.pop()
            if frame in seen:
                continue
            seen.add(frame)
            if frame.node not in nodes:
                raise MenuError(f"an option leads to unknown step {frame.node!r}")
            try:
                view = nodes[frame.node].view(frame, ctx)
            except Needed:  # needs a tip or an agency: the test suite walks those
                continue
            _check_view(frame, view, lang)
            actions = [o.action for o in view.options] + ([view.more] if view.more else [])
            todo += [a.frame for a in actions if isinstance(a, Push)]
            todo += [a.then for a in actions if isinstance(a, Do)]
            todo += [f for a in actions if isinstance(a, Restore) for f in a.frames]


def _check_view(frame: Frame, view: View, lang: Lang) -> None:
    if len(view.options) > MAX_OPTIONS:
        raise MenuError(f"{frame} has more than {MAX_OPTIONS} options")
    for problem in (None, *problems_for(view)):
        text = render(view, lang, problem, later=frame.page > 0).text
        if len(text) > SCREEN_LIMIT or not is_gsm_safe(text):
            raise MenuError(f"{frame} in {lang}: {len(text)} chars, limit {SCREEN_LIMIT} GSM-7")


# Anything but newlines and printable ASCII, or one of GSM-7's two-slot characters.
_NOT_GSM_SAFE = re.compile(r"[^\n -~]|[\[\]{}|^~\\`]")


def is_gsm_safe(text: str) -> bool:
    """Plain printable ASCII and newlines only, without GSM-7's two-slot characters."""
    return _NOT_GSM_SAFE.search(text) is None
