"""
The agency check: type a name or licence number, choose among matches, read the licence status.

Search itself is injected (AgencyLookup); this module only decides what a resident sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ussd_menus import destinations
from ussd_menus.machine import render
from ussd_menus.model import (
    SCREEN_LIMIT,
    Action,
    AgencyLookup,
    AgencyRecord,
    ChoiceNode,
    Context,
    Frame,
    JobOrderRecord,
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
    """One agency's licence in words: what to do about it first, its valid job orders (once any were
    imported), then where it is."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """Name, status, the advice that goes with it, head office and Serang branch as room
        allows, the registry's date, and a way to report the agency."""
        agency = ctx.env.agencies.get(frame.arg)
        if agency is None:  # removed by an import while the caller was reading
            return View(body=t("check.none", ctx.lang, query=plain(frame.arg, 20)))
        lang = ctx.lang
        report = Frame("report", dump_report({}, l=agency.licence_number, a=agency.name))
        options = (Option(t("detail.report", lang), Push(report)),)
        orders = ctx.env.agencies.job_orders(agency.licence_number)
        shows_orders = orders is not None and _usable(agency, ctx)
        note = as_of(ctx, orders=shows_orders)
        lines = _core_lines(agency, ctx, note, options)
        if orders is not None and shows_orders:  # before the offices: it says more
            summary = order_summary(orders, agency.licence_number, ctx.env.today, lang, 60)
            for cap in (60, 30, 18, 0):  # then the count alone
                line = t("detail.job_orders", lang, **{**summary, "countries": _cut(summary, cap)})
                if _room([*lines, line], note, options, lang) >= 0:
                    lines.append(line)
                    break
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


def _cut(summary: dict[str, str], cap: int) -> str:
    """' (the countries)' as far as `cap` allows; '' when none fits or there are none."""
    shown = words(summary["countries"], cap) if cap and summary["countries"] != "-" else ""
    return f" ({shown})" if shown else ""


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


def as_of(ctx: Context, *, orders: bool = False) -> str:
    """How old the registry is ('Data per <date>.'), or with `orders` the older of the registry
    and the job orders; nothing rather than a wrong date."""
    snapshot = data_as_of(ctx.env.agencies, orders=orders)
    return t("check.as_of", ctx.lang, day=day(snapshot)) if snapshot else ""


def data_as_of(agencies: AgencyLookup, *, orders: bool) -> date | None:
    """The date of the oldest data an answer rests on: the registry snapshot, and the job
    orders' data date when the answer speaks of job orders."""
    known = [agencies.snapshot_date, agencies.job_orders_date if orders else None]
    dated = [d for d in known if d is not None]
    return min(dated) if dated else None


def order_summary(
    orders: Sequence[JobOrderRecord], licence: str, today: date, lang: Lang, cap: int
) -> dict[str, str]:
    """How many of an agency's job orders are valid today and to which countries (names cut
    to `cap` between words; '-': none)."""
    valid = [o for o in orders if o.licence_number == licence and o.valid_until >= today]
    table = destinations.active()
    names: list[str] = []
    for order in valid:
        found = table.country_by_code(order.country_code)
        name = found.name(lang) if found else order.country_code
        if name not in names:
            names.append(name)
    listed = words(", ".join(names), cap) or "-"
    return {"count": str(len(valid)), "countries": listed}


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
