"""
The officials' menu: what a number of the officials directory gets besides the residents' menu.

Whether the caller is an official is the gateway's business (it looks the caller's number up in
the directory once per session): the menus read it as the `official` fact (True or not), so a
resident's main menu is exactly the one residents always had, and no step here shows anything to
a caller who is not one. The menu opens:
- a report as themselves: the residents' report steps, carrying the `p` mark (the gateway files
  it attributed to the official, never anonymously, and only for a caller who is one);
- REKAP of their area on paged screens (the `rekap` fact: the digest's words, from gateway/);
- the check before signing: agency, country, job, then the answer of ussd_menus/signing.py on
  one screen (the gateway gathers its data and records the check); a red answer offers to file
  it as the official's report in one step (as SMS CEKIZIN and LAPORKAN do);
- the law in the official's pocket (ussd_menus/law.py), paged, and sendable by SMS.
"""

from __future__ import annotations

from ussd_menus import destinations
from ussd_menus.agency_check import MIN_QUERY
from ussd_menus.law import LAW_TOPIC, law_items, law_pages
from ussd_menus.model import (
    Action,
    CheckSigning,
    ChoiceNode,
    Context,
    Do,
    Frame,
    Option,
    Push,
    ReportSigning,
    SendInfo,
    SigningChecked,
    SigningReported,
    Stay,
    View,
)
from ussd_menus.paging import page_of, room_for, split_pages
from ussd_menus.receipts import show_receipt
from ussd_menus.report import dump_report
from ussd_menus.signing import SigningResult, render
from ussd_menus.texts import t

OFFICIAL_FACT = "official"
REKAP_FACT = "rekap"
# The mark an official's report carries in its frames ('p' for petugas).
OFFICER_MARK = "p"
AGENCY_CAP = 60  # characters of a typed agency or country read


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


class OfficerCekizin:
    """The check before signing, step 1: the agency's name or licence number."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """The prompt."""
        if not is_official(ctx):
            return _not_for_residents(ctx)
        return View(body=t("officer.cekizin_agency", ctx.lang), free_text=True)

    def on_text(self, frame: Frame, text: str, ctx: Context) -> Action:
        """At least the letters or digits an agency check needs."""
        agency = " ".join(text.split())[:AGENCY_CAP]
        if sum(ch.isalnum() for ch in agency) < MIN_QUERY:
            return Stay("problem.too_short")
        return Push(Frame("officer_cekizin_country", agency))


class OfficerCekizinCountry:
    """Step 2: the destination country, as people write it ('Arab', 'KSA', 'Hongkong')."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """The prompt."""
        if not is_official(ctx):
            return _not_for_residents(ctx)
        return View(body=t("officer.cekizin_country", ctx.lang), free_text=True)

    def on_text(self, frame: Frame, text: str, ctx: Context) -> Action:
        """A country the destinations table knows, else a re-prompt."""
        found = destinations.country(text[:AGENCY_CAP])
        if found is None:
            return Stay("problem.country")
        return Push(Frame("officer_cekizin_job", f"{found.code}|{frame.arg}"))


class OfficerCekizinJob(ChoiceNode):
    """Step 3: the job, from the job kinds; choosing one runs the check."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """The job kinds, numbered."""
        if not is_official(ctx):
            return _not_for_residents(ctx)
        country, _, agency = frame.arg.partition("|")
        return View(
            body=t("officer.cekizin_job", ctx.lang),
            options=tuple(
                Option(
                    job.label(ctx.lang),
                    Do(CheckSigning(agency, country, job.key), Frame("officer_cekizin_result")),
                )
                for job in destinations.active().jobs
            ),
        )


class OfficerCekizinResult(ChoiceNode):
    """The answer on one screen; a red one offers to file it as the official's report."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """Sign or stop, and why; several matches: type the name more fully."""
        lang = ctx.lang
        report = Option(
            t("officer.cekizin_report", lang),
            Do(ReportSigning(), Frame("officer_cekizin_reported")),
        )
        outcome = ctx.env.fact("outcome") if ctx.env.knows("outcome") else None
        if not isinstance(outcome, SigningChecked):
            # A later hop replaying through this step: the answer was shown on its own hop,
            # only the way on is needed (filing finds the red check itself, or says none).
            return View(body="", options=(report,))
        if not (outcome.result or outcome.names):
            return View(body=t("officer.cekizin_failed", lang), end=True)
        if outcome.names:
            names = "; ".join(outcome.names)
            return View(body=t("officer.cekizin_many", lang, names=names), end=True)
        result = outcome.result
        assert isinstance(result, SigningResult)
        report = Option(
            t("officer.cekizin_report", lang),
            Do(ReportSigning(), Frame("officer_cekizin_reported")),
        )
        options = () if result.green else (report,)
        room = room_for(View(body="", options=options), lang, paged=False)
        body = render(result, lang, as_of=outcome.as_of, offer_report="", limit=room)
        return View(body=body, options=options, end=result.green)


class OfficerCekizinReported(ChoiceNode):
    """The red check filed as the official's own report: its receipt."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """The receipt, or that there was nothing to file."""
        outcome = ctx.env.fact("outcome")
        if isinstance(outcome, SigningReported) and outcome.receipt:
            shown = show_receipt(outcome.receipt)
            return View(body=t("officer.cekizin_reported", ctx.lang, receipt=shown), end=True)
        return View(body=t("officer.cekizin_failed", ctx.lang), end=True)


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
