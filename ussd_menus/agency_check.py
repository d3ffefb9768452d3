"""
The agency check: type a name or licence number, choose among matches, read the licence status.

Search itself is injected (AgencyLookup); this module only decides what a resident sees.
"""

from __future__ import annotations

from ussd_menus.model import (
    Action,
    AgencyRecord,
    ChoiceNode,
    Context,
    Frame,
    Option,
    Push,
    Stay,
    View,
)
from ussd_menus.report import dump_report
from ussd_menus.texts import day, plain, t

PAGE_SIZE = 3
MIN_QUERY = 3


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
    """One agency's licence in words."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """Name, status, head office, Serang branch and the reminder."""
        agency = ctx.env.agencies.get(frame.arg)
        if agency is None:  # removed by an import while the caller was reading
            return View(body=t("check.none", ctx.lang, query=plain(frame.arg, 20)))
        lang = ctx.lang
        lines = [
            plain(agency.name, 34),
            status_line(agency, ctx),
            t("detail.head_office", lang, city=plain(agency.head_office_city or "-", 13)),
            t("detail.branch_yes" if agency.has_serang_branch else "detail.branch_no", lang),
        ]
        report = Frame("report", dump_report({}, l=agency.licence_number, a=agency.name))
        return View(
            body="\n".join(lines),
            note=t("detail.reminder", lang),
            options=(Option(t("detail.report", lang), Push(report)),),
        )


def _without_pt(name: str) -> str:
    """The list's title says PT already; every character counts on a list screen."""
    return name[3:] if name[:3].upper() == "PT " else name


def status_line(agency: AgencyRecord, ctx: Context) -> str:
    """The licence status in words, with the date that matters for it."""
    status = agency.effective_status(ctx.env.today)
    lang = ctx.lang
    if status == "aktif":
        if agency.valid_until is None:
            return t("status.aktif_open", lang)
        return t("status.aktif", lang, valid_until=day(agency.valid_until))
    if status == "dihentikan_sementara":
        until = t("status.until", lang, day=day(agency.status_until)) if agency.status_until else ""
        return t("status.dihentikan_sementara", lang, until=until).strip()
    if status == "dicabut":
        since = day(agency.status_since) if agency.status_since else ""
        return t("status.dicabut", lang, since=since).strip()
    expired = agency.valid_until or agency.status_since
    return t("status.kedaluwarsa", lang, valid_until=day(expired) if expired else "").strip()


class CheckNone(ChoiceNode):
    """Nothing matched: say so plainly, warn, and give the hotline."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """The warning, and a way to search again."""
        return View(
            body=t("check.none", ctx.lang, query=plain(frame.arg, 24)),
            note=t("check.warning", ctx.lang),
            options=(Option(t("check.again", ctx.lang), Push(Frame("check"))),),
        )
