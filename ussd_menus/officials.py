"""
The officials' menu: what a number of the officials directory gets besides the residents' menu.

Whether the caller is an official is the gateway's business (it looks the caller's number up in
the directory once per session): the menus read it as the `official` fact (True or not), so a
resident's main menu is exactly the one residents always had, and no step here shows anything to
a caller who is not one. The menu opens:
- a report as themselves: the residents' report steps, carrying the `p` mark (the gateway files
  it attributed to the official, never anonymously, and only for a caller who is one);
- REKAP of their area on paged screens (the `rekap` fact: the digest's words, from gateway/);
- the check before signing (by SMS CEKIZIN for now: one small screen the integrator replaces);
- the law in the official's pocket (ussd_menus/law.py), paged, and sendable by SMS.
"""

from __future__ import annotations

from ussd_menus.law import LAW_TOPIC, law_items, law_pages
from ussd_menus.model import (
    ChoiceNode,
    Context,
    Do,
    Frame,
    Option,
    Push,
    SendInfo,
    View,
)
from ussd_menus.paging import page_of, room_for, split_pages
from ussd_menus.report import dump_report
from ussd_menus.texts import t

OFFICIAL_FACT = "official"
REKAP_FACT = "rekap"
# The mark an official's report carries in its frames ('p' for petugas).
OFFICER_MARK = "p"


def is_official(ctx: Context) -> bool:
    """Whether the gateway found the caller's number in the officials directory (active)."""
    return ctx.env.fact(OFFICIAL_FACT) is True


def _not_for_residents(ctx: Context) -> View:
    """What a step of this menu shows a caller who is not an official: the goodbye, nothing
    about the menu (no resident reaches it from the main menu; a forged path ends here)."""
    return View(body=t("goodbye", ctx.lang), end=True)


class OfficerMenu(ChoiceNode):
    """The officials' entry: report as themselves, REKAP, the check before signing, the law."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """The four tools."""
        if not is_official(ctx):
            return _not_for_residents(ctx)
        lang = ctx.lang
        report = dump_report({}, **{OFFICER_MARK: True})
        return View(
            body=t("officer.title", lang),
            options=(
                Option(t("officer.report", lang), Push(Frame("report", report))),
                Option(t("officer.rekap", lang), Push(Frame("officer_rekap"))),
                Option(t("officer.cekizin", lang), Push(Frame("officer_cekizin"))),
                Option(t("officer.law", lang), Push(Frame("officer_law"))),
            ),
        )


class OfficerRekap(ChoiceNode):
    """The REKAP digest of the official's area (the last 7 days), paged: 99 on, 0 back."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """One page of the digest; the gateway words it as the SMS REKAP does."""
        if not is_official(ctx):
            return _not_for_residents(ctx)
        digest = ctx.env.fact(REKAP_FACT)
        if not isinstance(digest, str) or not digest:
            return View(body=t("officer.rekap_none", ctx.lang))
        room = room_for(View(body=""), ctx.lang)
        page, following = page_of(split_pages(digest, room, room), frame)
        return View(body=page, more=following)


class OfficerCekizin(ChoiceNode):
    """The check before signing: by SMS CEKIZIN for now (the USSD steps come with the check)."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """How to ask by SMS."""
        if not is_official(ctx):
            return _not_for_residents(ctx)
        return View(body=t("officer.cekizin_sms", ctx.lang))


class LawMenu(ChoiceNode):
    """The law in the official's pocket: its items, and sending it all by SMS."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """The items' titles, then 'send by SMS'."""
        if not is_official(ctx):
            return _not_for_residents(ctx)
        lang = ctx.lang
        items = tuple(
            Option(t(f"law.{item.key}.title", lang), Push(Frame("officer_law_page", item.key)))
            for item in law_items()
        )
        send = Option(
            t("info.send_sms", lang), Do(SendInfo(LAW_TOPIC), Frame("info_sent", LAW_TOPIC))
        )
        # The title is a note: a 'wrong choice' line takes its place, so the re-prompt fits.
        return View(body="", note=t("officer.law_title", lang), options=(*items, send))


class LawPage(ChoiceNode):
    """One item of the law, paged; its last page names the source and the date of each fact."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """One page of the item."""
        if not is_official(ctx):
            return _not_for_residents(ctx)
        room = room_for(View(body=""), ctx.lang)
        page, following = page_of(law_pages(frame.arg, ctx.lang, room), frame)
        return View(body=page, more=following)
