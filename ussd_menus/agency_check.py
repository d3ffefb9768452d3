"""
The agency check: type a name or licence number, choose among matches, read the licence status.

Search itself is injected (AgencyLookup); this module only decides what a resident sees.
"""

from __future__ import annotations

from ussd_menus.machine import render
from ussd_menus.model import (
    SCREEN_LIMIT,
    Action,
    AgencyRecord,
    ChoiceNode,
    Context,
    Frame,
    Lang,
    Option,
    Push,
    Stay,
    View,
)
from ussd_menus.report import dump_report
from ussd_menus.texts import day, plain, t, tidy, words

PAGE_SIZE = 3
MIN_QUERY = 3
QUERY_ECHO = 24  # a typed name shown back, at most
REPORTED_NAME = 200  # a typed name carried into a report, at most (as the report's own step)


class CheckPrompt:
    """Ask for a name or a licence number."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """The prompt."""
        return View(body=t("check.prompt", ctx.lang), free_text=True)

    def on_text(self, frame: Frame, text: str, ctx: Context) -> Action:
        """One match opens it, several give a list, none says so."""
        query = " ".join(text.split())
        if sum(ch.isalnum() for ch in query) < MIN_QUERY:
            return Stay("problem.too_short")
        matches = ctx.env.agencies.search(query)
        if not matches:
            return Push(Frame("check_none", query))
        if len(matches) == 1:
            return Push(Frame("check_detail", matches[0].licence_number))
        return Push(Frame("check_list", query))


class CheckList(ChoiceNode):
    """Matches, best first, a page at a time."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """One page of matches."""
        matches = ctx.env.agencies.search(frame.arg)
        pages = max(1, -(-len(matches) // PAGE_SIZE))
        start = frame.page * PAGE_SIZE
        shown = matches[start : start + PAGE_SIZE]
        following = Frame(frame.node, frame.arg, frame.page + 1)
        return View(
            body=t("check.list", ctx.lang, page=frame.page + 1, pages=pages),
            options=tuple(
                Option(
                    plain(_without_pt(a.name), 32), Push(Frame("check_detail", a.licence_number))
                )
                for a in shown
            ),
            more=Push(following) if start + PAGE_SIZE < len(matches) else None,
        )


class CheckDetail(ChoiceNode):
    """One agency's licence in words: what to do about it first, then where it is."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """Name, status, the advice that goes with it, head office and Serang branch as room
        allows, the registry's date, and a way to report the agency."""
        agency = ctx.env.agencies.get(frame.arg)
        if agency is None:  # removed by an import while the caller was reading
            return View(body=t("check.none", ctx.lang, query=plain(frame.arg, 20)))
        lang = ctx.lang
        report = Frame("report", dump_report({}, l=agency.licence_number, a=agency.name))
        options = (Option(t("detail.report", lang), Push(report)),)
        note = as_of(ctx)
        lines = _core_lines(agency, ctx, note, options)
        label = t("detail.head_office", lang, city="")
        room = _room(lines, note, options, lang) - 1 - len(label)  # a new line, then the label
        city = _city_within(place(agency.head_office_city), room)
        lines += [t("detail.head_office", lang, city=city)] if city else []
        branch = "detail.branch_yes" if agency.has_serang_branch else "detail.branch_no"
        if _room(lines, note, options, lang) > len(t(branch, lang)):
            lines.append(t(branch, lang))
        return View(body="\n".join(lines), note=note, options=options)


def _core_lines(
    agency: AgencyRecord, ctx: Context, note: str, options: tuple[Option, ...]
) -> list[str]:
    """Name, status and advice: the fullest wording that fits, the name cut between words last."""
    advice = t("detail.reminder" if _usable(agency, ctx) else "detail.stop", ctx.lang)
    statuses = (status_line(agency, ctx), status_line(agency, ctx, brief=True))
    lines: list[str] = []
    for cap in (34, 30, 26, 22, 18):
        for status in statuses:
            lines = [words(agency.name, cap) or plain(agency.name, cap), status, advice]
            if _room(lines, note, options, ctx.lang) >= 0:
                return lines
    return lines


def _room(lines: list[str], note: str, options: tuple[Option, ...], lang: Lang) -> int:
    """Characters left on the screen these lines make, wrong-key line included."""
    view = View(body="\n".join(lines), note=note, options=options)
    used = max(len(render(view, lang, problem).text) for problem in (None, "problem.choice"))
    return SCREEN_LIMIT - used


_PREFIXES = frozenset({"Kab", "Kab.", "Kota", "Kabupaten"})


def place(city: str) -> str:
    """A head office as residents say it: 'Kab.' for 'Kabupaten' (the word is long, not hard)."""
    cleaned = plain(city, 10_000)
    return "Kab." + cleaned[len("Kabupaten") :] if cleaned.startswith("Kabupaten ") else cleaned


def _city_within(city: str, room: int) -> str:
    """The city whole, else cut between words; '' when only 'Kab.' or 'Kota' would be left."""
    if not city or room <= 0:
        return ""
    shown = words(city, room)
    return "" if shown.removesuffix("..") in _PREFIXES else shown


def _without_pt(name: str) -> str:
    """The list's title says PT already; every character counts on a list screen."""
    return name[3:] if name[:3].upper() == "PT " else name


def _usable(agency: AgencyRecord, ctx: Context) -> bool:
    """Whether the agency may recruit today."""
    return agency.effective_status(ctx.env.today) == "aktif"


def as_of(ctx: Context) -> str:
    """How old the registry is ('Data per <date>.'); nothing rather than a wrong date."""
    snapshot = ctx.env.agencies.snapshot_date
    return t("check.as_of", ctx.lang, day=day(snapshot)) if snapshot else ""


def status_line(agency: AgencyRecord, ctx: Context, *, brief: bool = False) -> str:
    """The licence status in words, with the dates that matter for it: since when a licence is
    revoked, suspended or expired and, for a suspension, until when. `brief` leaves out the
    start date where something says more (a suspension's end; that an expired agency may no
    longer recruit), for a screen without room for both."""
    status = agency.effective_status(ctx.env.today)
    lang = ctx.lang
    if status == "aktif":
        if agency.valid_until is None:
            return t("status.aktif_open", lang)
        return t("status.aktif", lang, valid_until=day(agency.valid_until))
    start = agency.valid_until if status == "kedaluwarsa" else None
    start = start or agency.status_since
    since = t("status.since", lang, day=day(start)) if start else ""
    until = ""
    if status == "dihentikan_sementara" and agency.status_until:
        until = t("status.until", lang, day=day(agency.status_until))
    if brief and (until or status == "kedaluwarsa"):  # 'until' or 'no longer recruit' stays
        since = ""
    return tidy(t(f"status.{status}", lang, since=since, until=until))


class CheckNone(ChoiceNode):
    """Nothing matched: the most important answer. Say so plainly with the registry's date,
    warn, give the hotline, and offer to report the typed name right here (0 searches again)."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """The typed name as far as it fits, the warning and the report."""
        lang = ctx.lang
        report = Frame("report", dump_report({}, a=frame.arg[:REPORTED_NAME]))
        options = (Option(t("detail.report", lang), Push(report)),)
        note = t("check.warning", lang)
        dated = as_of(ctx)
        room = min(QUERY_ECHO, _room([_none_line("", dated, lang)], note, options, lang))
        query = words(frame.arg, room) or plain(frame.arg, room)
        return View(body=_none_line(query, dated, lang), note=note, options=options)


def _none_line(query: str, dated: str, lang: Lang) -> str:
    return tidy(f"{t('check.none', lang, query=query)} {dated}")
