"""
The confidential report journey: category -> kecamatan -> desa -> agency or person -> what
happened -> confirm -> receipt.

The report being built travels in each step's frame (a small JSON object), so replay rebuilds it.
The gateway keeps the frames as a draft under the reporter's key: a dropped session can resume.
Nothing here asks for, shows or stores who the reporter is.
"""

from __future__ import annotations

import json
from typing import Any

from ussd_menus.model import (
    Action,
    ChoiceNode,
    Context,
    Do,
    Frame,
    Option,
    Push,
    ReportContext,
    ReportFiled,
    ReportLimited,
    Restore,
    Stay,
    SubmitReport,
    View,
)
from ussd_menus.receipts import show_receipt
from ussd_menus.texts import plain, t

# Most urgent first: a resident in a hurry sees it at once.
CATEGORIES = ("bahaya", "calo", "biaya", "dokumen", "visa", "tujuan", "lainnya")
KECAMATAN_PAGE = 4
MIN_DESCRIPTION = 10
MAX_DESCRIPTION = 1000
REPORT_NODES = frozenset(
    {
        "report_cat",
        "report_kec",
        "report_kec_pick",
        "report_desa",
        "report_agency",
        "report_agency_pick",
        "report_desc",
        "report_confirm",
    }
)


def load_report(arg: str) -> dict[str, Any]:
    """The report carried in a frame."""
    value = json.loads(arg) if arg else {}
    return value if isinstance(value, dict) else {}


def dump_report(report: dict[str, Any], **changes: Any) -> str:
    """A report with changes, ready for a frame."""
    merged = {**report, **changes}
    return json.dumps({k: v for k, v in merged.items() if v is not None}, sort_keys=True)


def frames_to_json(frames: tuple[Frame, ...]) -> list[list[Any]]:
    """Frames as stored in a draft."""
    return [[f.node, f.arg, f.page] for f in frames]


def frames_from_json(data: Any) -> tuple[Frame, ...] | None:
    """Frames from a stored draft; None if the data is not a list of report frames."""
    if not isinstance(data, list) or not data:
        return None
    frames = []
    for item in data:
        if not (isinstance(item, list) and len(item) == 3 and item[0] in REPORT_NODES):
            return None
        frames.append(Frame(str(item[0]), str(item[1]), int(item[2])))
    return tuple(frames)


def resume_frames(
    draft_session: str, base_state: Any, state: Any, session_id: str
) -> tuple[Frame, ...] | None:
    """What this session may resume: a draft from an earlier session, or, once this session
    has saved its own progress, what it resumed from when it began (replay must not move)."""
    return frames_from_json(state if draft_session != session_id else base_state)


def report_frames(stack: tuple[Frame, ...]) -> tuple[Frame, ...] | None:
    """The report steps of a stack, to save as a draft; None outside the journey."""
    for i, frame in enumerate(stack):
        if frame.node == "report":
            steps = stack[i + 1 :]
            return steps if steps and steps[-1].node in REPORT_NODES else None
    return None


def _category_view(report: dict[str, Any], ctx: Context) -> View:
    return View(
        body=t("report.category", ctx.lang),
        options=tuple(
            Option(t(f"cat.{key}", ctx.lang), Push(Frame("report_kec", dump_report(report, c=key))))
            for key in CATEGORIES
        ),
    )


class ReportEntry(ChoiceNode):
    """Start a report: refuse politely when over the limit, offer to resume a dropped one."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """The receipt (a retried final hop), the limit, the resume question, or categories."""
        context = ctx.env.fact("report")
        assert isinstance(context, ReportContext)
        if context.filed_receipt:  # this session filed already: the final hop came again
            return _receipt_view(context.filed_receipt, None, ctx)
        if context.limited_at:
            return View(body=t("report.limited", ctx.lang, limit=context.limited_at), end=True)
        report = load_report(frame.arg)
        resume = None if report else context.resume  # from an agency check: a fresh report
        if resume:
            return View(
                body=t("report.resume", ctx.lang),
                options=(
                    Option(t("report.continue", ctx.lang), Restore(resume)),
                    Option(t("report.restart", ctx.lang), Push(Frame("report_cat"))),
                ),
            )
        return _category_view(report, ctx)


class ReportCategory(ChoiceNode):
    """What happened, as one of the stable category keys."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """The categories."""
        return _category_view(load_report(frame.arg), ctx)


def _after_kecamatan(report: dict[str, Any], code: str) -> Action:
    return Push(Frame("report_desa", dump_report(report, k=code, q=None)))


class ReportKecamatan:
    """A paged list of the 29 kecamatan; typing part of a name finds it faster."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """One page of kecamatan."""
        report = load_report(frame.arg)
        all_kec = ctx.env.kecamatan
        pages = max(1, -(-len(all_kec) // KECAMATAN_PAGE))
        start = frame.page * KECAMATAN_PAGE
        shown = all_kec[start : start + KECAMATAN_PAGE]
        following = Frame(frame.node, frame.arg, frame.page + 1)
        return View(
            body=t("report.kecamatan", ctx.lang, page=frame.page + 1, pages=pages),
            options=tuple(Option(k.name, _after_kecamatan(report, k.code)) for k in shown),
            more=Push(following) if start + KECAMATAN_PAGE < len(all_kec) else None,
            free_text=True,
        )

    def on_text(self, frame: Frame, text: str, ctx: Context) -> Action:
        """Find kecamatan whose name contains what was typed."""
        report = load_report(frame.arg)
        typed = "".join(text.split()).casefold()
        found = [
            k for k in ctx.env.kecamatan if typed and typed in "".join(k.name.split()).casefold()
        ]
        if len(found) == 1:
            return _after_kecamatan(report, found[0].code)
        if not found:
            return Stay("report.kecamatan_none")
        return Push(Frame("report_kec_pick", dump_report(report, q=plain(text, 30))))


class ReportKecamatanPick(ChoiceNode):
    """Several kecamatan matched what was typed."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """The matches."""
        report = load_report(frame.arg)
        typed = "".join(str(report.get("q", "")).split()).casefold()
        found = [k for k in ctx.env.kecamatan if typed in "".join(k.name.split()).casefold()]
        return View(
            body=t("report.kecamatan", ctx.lang, page=1, pages=1),
            options=tuple(Option(k.name, _after_kecamatan(report, k.code)) for k in found[:7]),
        )


def _after_desa(report: dict[str, Any], desa: str | None) -> Action:
    following = "report_desc" if report.get("a") else "report_agency"
    return Push(Frame(following, dump_report(report, d=desa)))


class ReportDesa:
    """The village, typed; or skipped."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """Ask for the desa."""
        report = load_report(frame.arg)
        return View(
            body=t("report.desa", ctx.lang),
            options=(Option(t("report.skip", ctx.lang), _after_desa(report, None)),),
            free_text=True,
        )

    def on_text(self, frame: Frame, text: str, ctx: Context) -> Action:
        """Keep the typed name."""
        desa = " ".join(text.split())[:100]
        return _after_desa(load_report(frame.arg), desa or None)


class ReportAgency:
    """Who recruited: typed, matched against the registry; or skipped."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """Ask for the agency or person."""
        return View(
            body=t("report.agency", ctx.lang),
            options=(Option(t("report.skip", ctx.lang), Push(Frame("report_desc", frame.arg))),),
            free_text=True,
        )

    def on_text(self, frame: Frame, text: str, ctx: Context) -> Action:
        """Offer registry matches, else keep the typed name."""
        report = load_report(frame.arg)
        name = " ".join(text.split())[:200]
        if not name:
            return Stay("problem.choice")
        if ctx.env.agencies.search(name):
            return Push(Frame("report_agency_pick", dump_report(report, q=name)))
        return Push(Frame("report_desc", dump_report(report, a=name)))


class ReportAgencyPick(ChoiceNode):
    """The registry matches for a typed name, or the name as typed."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """Up to three matches and the typed name."""
        report = load_report(frame.arg)
        typed = str(report.get("q", ""))
        matches = ctx.env.agencies.search(typed)[:3]
        options = [
            Option(
                plain(a.name, 30),
                Push(
                    Frame("report_desc", dump_report(report, l=a.licence_number, a=a.name, q=None))
                ),
            )
            for a in matches
        ]
        options.append(
            Option(
                t("report.agency_typed", ctx.lang, name=plain(typed, 24)),
                Push(Frame("report_desc", dump_report(report, a=typed, q=None))),
            )
        )
        return View(body=t("report.agency_pick", ctx.lang), options=tuple(options))


class ReportDescription:
    """What happened, in the resident's own words; '*', '#' and digits arrive intact."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """Ask for the story."""
        return View(body=t("report.describe", ctx.lang), free_text=True)

    def on_text(self, frame: Frame, text: str, ctx: Context) -> Action:
        """Keep the text; too short asks for a little more."""
        story = text.strip()
        if sum(ch.isalnum() for ch in story) < MIN_DESCRIPTION:
            return Stay("problem.describe")
        report = load_report(frame.arg)
        return Push(Frame("report_confirm", dump_report(report, t=story[:MAX_DESCRIPTION])))


class ReportConfirm(ChoiceNode):
    """A short summary, then send (optionally with the receipt by SMS)."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """Summary and the two ways to send."""
        report = load_report(frame.arg)
        names = {k.code: k.name for k in ctx.env.kecamatan}
        parts = [
            t(f"cat.{report.get('c', 'lainnya')}", ctx.lang),
            names.get(str(report.get("k", "")), ""),
            plain(str(report.get("a", "")), 24),
        ]
        summary = ", ".join(p for p in parts if p)
        return View(
            body=t("report.confirm", ctx.lang, summary=summary),
            options=(
                Option(
                    t("report.send", ctx.lang),
                    Do(SubmitReport(frame.arg, send_sms=False), Frame("report_done", frame.arg)),
                ),
                Option(
                    t("report.send_sms", ctx.lang),
                    Do(SubmitReport(frame.arg, send_sms=True), Frame("report_done", frame.arg)),
                ),
            ),
        )


class ReportDone(ChoiceNode):
    """The receipt (or, if the limit was reached meanwhile, the polite refusal)."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """The END screen."""
        outcome = ctx.env.fact("outcome")
        if isinstance(outcome, ReportLimited):
            return View(body=t("report.limited", ctx.lang, limit=outcome.limit), end=True)
        assert isinstance(outcome, ReportFiled)
        return _receipt_view(outcome.receipt, load_report(frame.arg).get("c"), ctx)


def _receipt_view(receipt: str, category: object, ctx: Context) -> View:
    key = "report.done_urgent" if category == "bahaya" else "report.done"
    return View(body=t(key, ctx.lang, receipt=show_receipt(receipt)), end=True)
