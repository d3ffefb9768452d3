"""
"Check my report": a receipt code shows the tip's status, the officials' open question or
latest message in full (paged) and the case's public history (one dated line per step), lets the
reporter answer the question below its own words, and then says it was answered; without ever
identifying the reporter or showing their own words, an internal note or who holds the case
beyond its agency's kind. `public_line` is the one wording of a step, for USSD and SMS alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol, runtime_checkable

from ussd_menus.cases import holder_kinds
from ussd_menus.model import (
    Action,
    AnswerQuestion,
    AnswerStored,
    ChoiceNode,
    Context,
    Do,
    Frame,
    Lang,
    Option,
    Push,
    Stay,
    View,
)
from ussd_menus.paging import page_of, room_for, split_pages
from ussd_menus.receipts import parse_receipt, show_receipt
from ussd_menus.texts import t


@runtime_checkable
class TipView(Protocol):
    """What a reporter may see of a tip: only officials' words, never the reporter's own."""

    @property
    def receipt(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def latest_message(self) -> str | None: ...
    @property
    def answered_question_id(self) -> int | None: ...
    @property
    def open_question_id(self) -> int | None: ...
    @property
    def open_question(self) -> str | None: ...
    @property
    def holder(self) -> str: ...
    @property
    def steps(self) -> Sequence[tuple[date, str, str]]: ...


def public_line(status: str, holder: str, lang: Lang) -> str:
    """A status as its reporter reads it; a handover names the kind of agency it went to."""
    kinds = [t(f"kind.{k}", lang) for k in holder_kinds(holder)] if status == "diteruskan" else []
    if not kinds:
        return t(f"status.{status}", lang)
    to = kinds[0] if len(kinds) == 1 else t("kind.and", lang, first=kinds[0], second=kinds[1])
    return t("status.diteruskan_ke", lang, to=to)


def public_steps(steps: Sequence[tuple[date, str, str]], lang: Lang) -> list[str]:
    """Each public step of a case, oldest first, as 'dd/mm <line>'."""
    return [f"{on:%d/%m} {public_line(status, holder, lang)}" for on, status, holder in steps]


def _tip(receipt: str, ctx: Context) -> TipView | None:
    tip = ctx.env.fact("tip", receipt)
    assert tip is None or isinstance(tip, TipView)  # the gateway loads storage.tips.TipStatus
    return tip


def _question(tip: TipView | None, question_id: str) -> str | None:
    """The words of the tip's question with this id, if the reporter may see it."""
    if tip is None:
        return None
    if str(tip.open_question_id) == question_id:
        return tip.open_question or ""
    if str(tip.answered_question_id) == question_id:
        return tip.latest_message or ""
    return None


class StatusPrompt:
    """Ask for the receipt code."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """The prompt."""
        return View(body=t("status.prompt", ctx.lang), free_text=True)

    def on_text(self, frame: Frame, text: str, ctx: Context) -> Action:
        """A mistyped code is told apart from an unknown one by its check digit."""
        receipt = parse_receipt(text)
        if receipt is None:
            return Stay("problem.receipt_typo")
        return Push(Frame("status_view", receipt))


class StatusView(ChoiceNode):
    """Status, then the officials' open question, or their latest message, in full, then the
    public history: paged (99 on, 0 back), never cut. The status line heads the first page
    only."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """One page of the tip as its reporter sees it."""
        tip = _tip(frame.arg, ctx)
        lang = ctx.lang
        shown = show_receipt(frame.arg)
        if tip is None:
            return View(
                body=t("status.unknown", lang, receipt=shown),
                options=(Option(t("status.again", lang), Push(Frame("status"))),),
            )
        now = public_line(tip.status, tip.holder, lang)
        head = t("status.line", lang, receipt=shown, status=now)
        history = t("status.history", lang, steps="; ".join(public_steps(tip.steps, lang)))
        options: tuple[Option, ...] = ()
        if tip.open_question_id is not None:
            said = t("status.question", lang, question=tip.open_question or "")
            answer = Frame("status_answer", f"{frame.arg}:{tip.open_question_id}")
            options = (Option(t("status.answer", lang), Push(answer)),)
        elif tip.latest_message and tip.answered_question_id is not None:
            # Answered already: the reporter may add to the answer (and a resent answering
            # hop still finds its way to the answer step).
            said = t("status.question_answered", lang, question=tip.latest_message)
            more = Frame("status_answer", f"{frame.arg}:{tip.answered_question_id}")
            options = (Option(t("status.answer_more", lang), Push(more)),)
        elif tip.latest_message:
            said = t("status.message", lang, message=tip.latest_message)
        else:
            said = ""
        if len(tip.steps) > 1:  # filed and nothing since: the status line says it all
            said = f"{said} {history}" if said else history
        if not said:
            return View(body=head)
        first = room_for(View(body=head, options=options), lang)
        rest = room_for(View(body="", options=options), lang)
        page, following = page_of(split_pages(said, first, rest), frame)
        body = f"{head}\n{page}" if frame.page == 0 else page
        return View(body=body, options=options, more=following)


class StatusAnswer:
    """The reporter's answer, as free text, below the question it answers (paged like the
    status: 99 reads on, and the answer may be typed on any page)."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """The question again, and the prompt."""
        receipt, _, question_id = frame.arg.partition(":")
        prompt = t("status.answer_prompt", ctx.lang)
        question = _question(_tip(receipt, ctx), question_id)
        if question is None:  # withdrawn meanwhile: the answer will say so
            return View(body=prompt, free_text=True)
        asked = t("status.question", ctx.lang, question=question)
        room = room_for(View(body=prompt, free_text=True), ctx.lang)
        page, following = page_of(split_pages(asked, room, room), frame)
        return View(body=f"{page}\n{prompt}", more=following, free_text=True)

    def on_text(self, frame: Frame, text: str, ctx: Context) -> Action:
        """Send the answer to the thread."""
        receipt, _, question = frame.arg.partition(":")
        answer = text.strip()
        if not answer:
            return Stay("problem.choice")
        return Do(AnswerQuestion(receipt, int(question), answer[:1000]), Frame("status_answered"))


class StatusAnswered(ChoiceNode):
    """Thanks for the answer; or, when the question was withdrawn meanwhile, that it was not
    sent."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """The END screen."""
        outcome = ctx.env.fact("outcome")
        lost = isinstance(outcome, AnswerStored) and not outcome.stored
        return View(body=t("status.answer_lost" if lost else "status.answered", ctx.lang), end=True)
