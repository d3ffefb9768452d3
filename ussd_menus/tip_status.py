"""
"Check my report": a receipt code shows the tip's status and the officials' latest message, and
lets the reporter answer an official's question, without ever identifying them.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ussd_menus.model import (
    Action,
    AnswerQuestion,
    ChoiceNode,
    Context,
    Do,
    Frame,
    Option,
    Push,
    Stay,
    View,
)
from ussd_menus.receipts import parse_receipt, show_receipt
from ussd_menus.texts import plain, t


@runtime_checkable
class TipView(Protocol):
    """What a reporter may see of a tip."""

    @property
    def status(self) -> str: ...
    @property
    def latest_message(self) -> str | None: ...
    @property
    def open_question_id(self) -> int | None: ...
    @property
    def open_question(self) -> str | None: ...


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
    """Status, latest message, and the open question if there is one."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """The tip as its reporter sees it."""
        tip = ctx.env.fact("tip", frame.arg)
        shown = show_receipt(frame.arg)
        if tip is None:
            return View(
                body=t("status.unknown", ctx.lang, receipt=shown),
                options=(Option(t("status.again", ctx.lang), Push(Frame("status"))),),
            )
        assert isinstance(tip, TipView)  # the gateway loads storage.tips.TipStatus
        status = t(f"status.{tip.status}", ctx.lang)
        body = t("status.line", ctx.lang, receipt=shown, status=status)
        if tip.open_question_id is not None:
            question = t("status.question", ctx.lang, question=plain(tip.open_question or "", 50))
            answer = Frame("status_answer", f"{frame.arg}:{tip.open_question_id}")
            return View(
                body=body,
                note=question,
                options=(Option(t("status.answer", ctx.lang), Push(answer)),),
            )
        message = tip.latest_message
        note = t("status.message", ctx.lang, message=plain(message, 80)) if message else ""
        return View(body=body, note=note)


class StatusAnswer:
    """The reporter's answer, as free text."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """Ask for the answer."""
        return View(body=t("status.answer_prompt", ctx.lang), free_text=True)

    def on_text(self, frame: Frame, text: str, ctx: Context) -> Action:
        """Send the answer to the thread."""
        receipt, _, question = frame.arg.partition(":")
        answer = text.strip()
        if not answer:
            return Stay("problem.choice")
        return Do(AnswerQuestion(receipt, int(question), answer[:1000]), Frame("status_answered"))


class StatusAnswered(ChoiceNode):
    """Thanks for the answer."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """The END screen."""
        ctx.env.fact("outcome")
        return View(body=t("status.answered", ctx.lang), end=True)
