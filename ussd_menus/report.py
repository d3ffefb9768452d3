"""
The confidential report journey: category -> kecamatan -> desa -> agency or person -> what
happened -> confirm -> receipt on screen -> (only if asked) the receipt by SMS. The confirm screen
also asks, as one yes/no step, whether a village official is involved: such a tip is never
alerted to the village officials (storage.alerts), who may be the ones the report is about.

Danger comes first: choosing BAHAYA shows the emergency numbers on the very next screen and lets
the caller send at once; every later step is optional. The first screen says the reporter's number
is never kept. The receipt is shown on screen to write down before an SMS is offered, because an
SMS stays in the phone's inbox where whoever holds the phone may read it.

The report being built travels in each step's frame (a small JSON object), so replay rebuilds it.
The gateway keeps the frames as a draft under the reporter's key: a dropped session can resume.
Once filed, replay still walks the same steps: the gateway keeps what the session resumed from,
counts the limit without the session's own tip, and reads the filed receipt back (ReportContext).
Nothing here asks for, shows or stores who the reporter is. An official's own report (from the
officials' menu, ussd_menus/officials.py) walks the same steps carrying `p`: the gateway files it
attributed to the official it found for the caller's number, and only then.
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import lru_cache
from typing import Any

from ussd_menus import catalogue
from ussd_menus.machine import problems_for, render
from ussd_menus.model import (
    MAX_OPTIONS,
    SCREEN_LIMIT,
    Action,
    ChoiceNode,
    Context,
    Desa,
    Do,
    Frame,
    Kecamatan,
    Lang,
    Needed,
    Option,
    Push,
    ReceiptSent,
    ReportContext,
    ReportFiled,
    ReportLimited,
    Restore,
    SendReceipt,
    Stay,
    SubmitReport,
    View,
)
from ussd_menus.places import match_desa
from ussd_menus.receipts import show_receipt
from ussd_menus.texts import plain, t, way_back

# Most urgent first: a resident in a hurry sees it at once.
CATEGORIES = ("bahaya", "calo", "biaya", "dokumen", "visa", "tujuan", "lainnya")
KECAMATAN_PAGE = 6  # at most, where the names fit on one screen (kecamatan_pages)
# What officials read as the story of a BAHAYA report sent before any question (Indonesian, the
# officials' language; the reporter never sees it).
DANGER_STORY = "BAHAYA: pelapor memilih kirim segera, tanpa cerita. Segera tindak lanjuti."
MIN_DESCRIPTION = 10
MAX_DESCRIPTION = 1000
REPORT_NODES = frozenset(
    {
        "report_cat",
        "report_danger",
        "report_kec",
        "report_kec_ok",
        "report_kec_pick",
        "report_desa",
        "report_desa_ok",
        "report_desa_pick",
        "report_agency",
        "report_agency_pick",
        "report_desc",
        "report_confirm",
        "report_official",
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


def _after_category(report: dict[str, Any], key: str) -> Action:
    """BAHAYA goes to the emergency numbers first; every other category to the kecamatan."""
    following = "report_danger" if key == "bahaya" else "report_kec"
    return Push(Frame(following, dump_report(report, c=key)))


def _category_view(report: dict[str, Any], ctx: Context) -> View:
    # The notice is a note: a 'wrong choice' line takes its place, so the re-prompt still fits.
    # An official's own report ('p') is attributed: it does not promise anonymity.
    notice = "report.category_officer" if report.get("p") else "report.category"
    return View(
        body="",
        note=t(notice, ctx.lang),
        options=tuple(
            Option(t(f"cat.{key}", ctx.lang), _after_category(report, key)) for key in CATEGORIES
        ),
    )


class ReportEntry(ChoiceNode):
    """Start a report: refuse politely when over the limit, offer to resume a dropped one."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """The limit, the (neutrally worded) resume question, or the categories."""
        context = ctx.env.fact("report")
        assert isinstance(context, ReportContext)
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


class ReportDanger(ChoiceNode):
    """BAHAYA: who to call now, before any question; then send at once or add details."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """Police and SAPA 129, then the two ways on."""
        report = load_report(frame.arg)
        now = dump_report(report, t=report.get("t") or DANGER_STORY)
        return View(
            body=t("report.danger", ctx.lang),
            options=(
                Option(
                    t("report.danger_send", ctx.lang),
                    Do(SubmitReport(now), Frame("report_done", now)),
                ),
                Option(t("report.danger_more", ctx.lang), Push(Frame("report_kec", frame.arg))),
            ),
        )


def _after_kecamatan(report: dict[str, Any], code: str | None) -> Action:
    return Push(Frame("report_desa", dump_report(report, k=code, q=None)))


@lru_cache(maxsize=64)
def _pages(names: tuple[str, ...], lang: Lang, content: int) -> tuple[tuple[int, int], ...]:
    """(start, count) of each kecamatan page: up to KECAMATAN_PAGE names, as many as fit one
    screen with the 'don't know' option, paging and the longest problem line (`content` is the
    catalogue's identity: a new catalogue packs anew)."""
    pages: list[tuple[int, int]] = []
    start = 0
    while start < len(names):
        count = min(KECAMATAN_PAGE, len(names) - start)
        while count > 1:
            more = start + count < len(names)
            view = _kecamatan_view(names[start : start + count], 99, 99, more, lang)
            texts = (render(view, lang, p).text for p in (None, *problems_for(view)))
            if all(len(text) <= SCREEN_LIMIT for text in texts):
                break
            count -= 1
        pages.append((start, count))
        start += count
    return tuple(pages)


def kecamatan_pages(all_kec: tuple[Kecamatan, ...], lang: Lang) -> tuple[tuple[int, int], ...]:
    """The kecamatan pages in lang: (start, count) each."""
    return _pages(tuple(k.name for k in all_kec), lang, id(catalogue.active())) or ((0, 0),)


def _kecamatan_view(
    names: tuple[str, ...],
    page: int,
    pages: int,
    more: bool,
    lang: Lang = "id",
    report: dict[str, Any] | None = None,
    codes: tuple[str, ...] = (),
    following: Frame | None = None,
) -> View:
    carried = report or {}
    keys = codes or names  # packing pages needs only the names
    options = [Option(n, _after_kecamatan(carried, c)) for n, c in zip(names, keys, strict=True)]
    options.append(Option(t("report.kecamatan_unknown", lang), _after_kecamatan(carried, None)))
    return View(
        body=t("report.kecamatan", lang, page=page, pages=pages),
        note=t("report.kecamatan_type", lang),
        options=tuple(options),
        more=Push(following or Frame("report_kec")) if more else None,
        free_text=True,
    )


class ReportKecamatan:
    """The 29 kecamatan, paged, with 'don't know / outside Kab. Serang'; typing part of a name
    finds it faster, and a name found from typing is echoed back before moving on."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """One page of kecamatan."""
        all_kec = ctx.env.kecamatan
        pages = kecamatan_pages(all_kec, ctx.lang)
        page = min(frame.page, len(pages) - 1)
        start, count = pages[page]
        shown = all_kec[start : start + count]
        return _kecamatan_view(
            tuple(k.name for k in shown),
            page + 1,
            len(pages),
            page + 1 < len(pages),
            ctx.lang,
            load_report(frame.arg),
            tuple(k.code for k in shown),
            Frame(frame.node, frame.arg, page + 1),
        )

    def on_text(self, frame: Frame, text: str, ctx: Context) -> Action:
        """Find kecamatan whose name contains what was typed; one found is asked about first."""
        report = load_report(frame.arg)
        typed = "".join(text.split()).casefold()
        found = [
            k for k in ctx.env.kecamatan if typed and typed in "".join(k.name.split()).casefold()
        ]
        if len(found) == 1:
            return Push(Frame("report_kec_ok", dump_report(report, k=found[0].code, q=None)))
        if not found:
            return Stay("report.kecamatan_none")
        return Push(Frame("report_kec_pick", dump_report(report, q=plain(text, 30))))


class ReportKecamatanOk(ChoiceNode):
    """'Tanara?' 1 Ya 2 Bukan: the kecamatan found from what was typed, to confirm."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """The name found, yes or no."""
        report = load_report(frame.arg)
        names = {k.code: k.name for k in ctx.env.kecamatan}
        code = str(report.get("k", ""))
        return View(
            body=t("report.kecamatan_echo", ctx.lang, name=names.get(code, code)),
            options=(
                Option(t("report.yes", ctx.lang), _after_kecamatan(report, code)),
                Option(
                    t("report.no", ctx.lang), Push(Frame("report_kec", dump_report(report, k=None)))
                ),
            ),
        )


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


def _after_desa(report: dict[str, Any], desa: str | None, code: str | None = None) -> Action:
    following = "report_desc" if report.get("a") else "report_agency"
    return Push(Frame(following, dump_report(report, d=desa, dc=code, q=None)))


def _desa_of(report: dict[str, Any], ctx: Context) -> tuple[Desa, ...]:
    """The desa of the kecamatan chosen, by name (none when no kecamatan was)."""
    code = report.get("k")
    return tuple(d for d in ctx.env.desa if code and d.kecamatan_code == code)


@lru_cache(maxsize=64)
def _desa_pages(
    names: tuple[str, ...], kecamatan: str, lang: Lang, content: int
) -> tuple[tuple[int, int], ...]:
    """(start, count) of each page of a kecamatan's desa: as many as fit one screen with 'skip',
    paging and the longest problem line, at most MAX_OPTIONS - 1 (`content`: as _pages)."""
    body = t("report.desa_list", lang, kecamatan=kecamatan, page=99, pages=99)
    pages: list[tuple[int, int]] = []
    start = 0
    while start < len(names):
        count = min(MAX_OPTIONS - 1, len(names) - start)
        more = Push(Frame("report_desa"))
        while count > 1:
            shown = [(n, n) for n in names[start : start + count]]
            view = _desa_view(shown, body, lang, {}, more if start + count < len(names) else None)
            if _fits(view, lang, later=True):
                break
            count -= 1
        pages.append((start, count))
        start += count
    return tuple(pages) or ((0, 0),)


def _desa_view(
    shown: list[tuple[str, str]], body: str, lang: Lang, report: dict[str, Any], more: Action | None
) -> View:
    """'Skip', then desa (name, code) to choose, under `body`; typing is welcome."""
    options = [Option(t("report.skip", lang), _after_desa(report, None))]
    options += [Option(name, _after_desa(report, name, code)) for name, code in shown]
    return View(
        body=body,
        note=t("report.kecamatan_type", lang),
        options=tuple(options),
        more=more,
        free_text=True,
    )


class ReportDesa:
    """The village: with a kecamatan chosen, its desa, paged, with 'skip' first; typing part of
    a name (one typo forgiven) finds it faster, and a name found from typing is echoed back (or,
    when several match, offered as choices). Without a kecamatan, typed as the caller says it."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """One page of the kecamatan's desa, or the question for a typed name."""
        report = load_report(frame.arg)
        desa = _desa_of(report, ctx)
        if not desa:
            return View(
                body=t("report.desa", ctx.lang),
                options=(Option(t("report.skip", ctx.lang), _after_desa(report, None)),),
                free_text=True,
            )
        kecamatan = _kecamatan_name(report, ctx)
        names = tuple(d.name for d in desa)
        pages = _desa_pages(names, kecamatan, ctx.lang, id(catalogue.active()))
        page = min(frame.page, len(pages) - 1)
        start, count = pages[page]
        body = t("report.desa_list", ctx.lang, kecamatan=kecamatan, page=page + 1, pages=len(pages))
        following = Push(Frame(frame.node, frame.arg, page + 1))
        return _desa_view(
            [(d.name, d.code) for d in desa[start : start + count]],
            body,
            ctx.lang,
            report,
            following if page + 1 < len(pages) else None,
        )

    def on_text(self, frame: Frame, text: str, ctx: Context) -> Action:
        """Without a kecamatan, keep the typed name; with one, find its desa by what was typed."""
        report = load_report(frame.arg)
        desa = _desa_of(report, ctx)
        if not desa:
            typed = " ".join(text.split())[:100]
            return _after_desa(report, typed or None)
        found = match_desa(text, desa)
        if len(found) == 1:
            return Push(Frame("report_desa_ok", dump_report(report, dc=found[0].code, q=None)))
        if not found:
            short = len("".join(text.split())) < 3
            return Stay("problem.too_short" if short else "report.desa_none")
        return Push(Frame("report_desa_pick", dump_report(report, q=plain(text, 30))))


def _kecamatan_name(report: dict[str, Any], ctx: Context) -> str:
    code = str(report.get("k", ""))
    return next((k.name for k in ctx.env.kecamatan if k.code == code), code)


class ReportDesaOk(ChoiceNode):
    """'Desa Margasana?' 1 Ya 2 Bukan: the desa found from what was typed, to confirm."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """The name found, yes or no."""
        report = load_report(frame.arg)
        code = str(report.get("dc", ""))
        name = next((d.name for d in ctx.env.desa if d.code == code), code)
        return View(
            body=t("report.desa_echo", ctx.lang, name=name),
            options=(
                Option(t("report.yes", ctx.lang), _after_desa(report, name, code)),
                Option(
                    t("report.no", ctx.lang),
                    Push(Frame("report_desa", dump_report(report, dc=None))),
                ),
            ),
        )


class ReportDesaPick(ChoiceNode):
    """Several desa of the kecamatan matched what was typed: the first MAX_OPTIONS - 1, and
    'skip'."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """The matches."""
        report = load_report(frame.arg)
        found = match_desa(str(report.get("q", "")), _desa_of(report, ctx))
        options = [Option(t("report.skip", ctx.lang), _after_desa(report, None))]
        options += [Option(d.name, _after_desa(report, d.name, d.code)) for d in found]
        kecamatan = _kecamatan_name(report, ctx)
        view = View(body=t("report.desa_list", ctx.lang, kecamatan=kecamatan, page=1, pages=1))
        count = MAX_OPTIONS
        while count > 2 and not _fits(replace(view, options=tuple(options[:count])), ctx.lang):
            count -= 1
        return replace(view, options=tuple(options[:count]))


def _fits(view: View, lang: Lang, *, later: bool = False) -> bool:
    """Whether a screen fits with any problem line it may show (`later`: on a later page too,
    whose footer may be the longer 'previous page' one)."""
    texts = (
        render(view, lang, p, later=late).text
        for p in (None, *problems_for(view))
        for late in ((False, True) if later else (False,))
    )
    return all(len(text) <= SCREEN_LIMIT for text in texts)


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
    """A short summary, then send. The receipt SMS is offered only after the receipt is shown."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """Summary and send."""
        report = load_report(frame.arg)
        names = {k.code: k.name for k in ctx.env.kecamatan}
        parts = [
            t(f"cat.{report.get('c', 'lainnya')}", ctx.lang),
            names.get(str(report.get("k", "")), ""),
            plain(str(report.get("a", "")), 24),
        ]
        if report.get("o"):
            parts.append(t("report.official_marked", ctx.lang))
        summary = ", ".join(p for p in parts if p)
        title = "report.confirm_officer" if report.get("p") else "report.confirm"
        return View(
            body=t(title, ctx.lang, summary=summary),
            options=(
                Option(
                    t("report.send", ctx.lang),
                    Do(SubmitReport(frame.arg), Frame("report_done", frame.arg)),
                ),
                Option(
                    t("report.official_ask", ctx.lang), Push(Frame("report_official", frame.arg))
                ),
            ),
        )


class ReportOfficial(ChoiceNode):
    """Is a village official (kepala desa, perangkat desa) involved? Yes or no, back to the
    summary; yes keeps the report away from the village officials ('o' in the report)."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """The question, what yes means, and the two answers."""
        report = load_report(frame.arg)
        return View(
            body=t("report.official", ctx.lang),
            note=t("report.official_why", ctx.lang),  # a 'wrong choice' line takes its place
            options=(
                Option(
                    t("report.yes", ctx.lang),
                    Push(Frame("report_confirm", dump_report(report, o=True))),
                ),
                Option(
                    t("report.official_no", ctx.lang),
                    Push(Frame("report_confirm", dump_report(report, o=None))),
                ),
            ),
        )


def _filing(ctx: Context) -> ReportFiled | ReportLimited:
    """How filing went: the outcome on the hop that filed; on later hops, the receipt the
    gateway finds filed under this session (the 'report' fact)."""
    if ctx.env.knows("outcome"):
        outcome = ctx.env.fact("outcome")
        if isinstance(outcome, ReportFiled | ReportLimited):
            return outcome
    context = ctx.env.fact("report")
    if isinstance(context, ReportContext) and context.filed_receipt:
        return ReportFiled(context.filed_receipt)
    raise Needed("outcome")


class ReportDone(ChoiceNode):
    """The receipt on screen, to write down; then finish, or have it sent by SMS (or, if the
    limit was reached meanwhile, the polite refusal)."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """The receipt and the two ways to finish."""
        outcome = _filing(ctx)
        if isinstance(outcome, ReportLimited):
            return View(body=t("report.limited", ctx.lang, limit=outcome.limit), end=True)
        shown = show_receipt(outcome.receipt)
        urgent = load_report(frame.arg).get("c") == "bahaya"
        back = way_back(ctx.lang, ctx.env.service_code)
        write_down = t("report.write_down", ctx.lang)
        if urgent:  # who to call comes first; when to check again is on the END screens
            body, note = t("report.done_urgent", ctx.lang, receipt=shown), write_down
        else:
            body = t("report.done", ctx.lang, receipt=shown) + "\n" + write_down
            note = t("report.done_note", ctx.lang, back=back)
        return View(
            body=body,
            note=note,
            options=(
                Option(t("report.finish", ctx.lang), Push(Frame("report_bye", shown))),
                Option(
                    t("report.sms_offer", ctx.lang),
                    Do(SendReceipt(), Frame("report_sms", shown)),
                ),
            ),
            footer=t("nav.home", ctx.lang),
        )


class ReportBye(ChoiceNode):
    """The END after the receipt: the number again, when to check and how."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """Thanks, the receipt, when and how to check."""
        back = way_back(ctx.lang, ctx.env.service_code)
        return View(body=t("report.bye", ctx.lang, receipt=frame.arg, back=back), end=True)


class ReportSms(ChoiceNode):
    """The END after asking for the receipt by SMS: sent (delete it once noted), or not."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """Whether the SMS goes, when to check and how."""
        outcome = ctx.env.fact("outcome")
        sent = not isinstance(outcome, ReceiptSent) or outcome.sent
        key = "report.sms_sent" if sent else "report.sms_not_sent"
        back = way_back(ctx.lang, ctx.env.service_code)
        return View(body=t(key, ctx.lang, receipt=frame.arg, back=back), end=True)
