"""
Subscribing to SMS broadcasts (sosialisasi) from the USSD menu (the last option of every
information topic): the prompt says what it means and how to stop; the kecamatan or desa typed on
this phone (or SEMUA / ALL for the whole regency) is the number's own confirmation, and the
gateway subscribes the caller's number (gateway/usecases/broadcasts.py resolves the place).
Stopping is by SMS BERHENTI.
"""

from __future__ import annotations

from ussd_menus.model import (
    Action,
    ChoiceNode,
    Context,
    Do,
    Frame,
    Stay,
    Subscribe,
    Subscribed,
    View,
)
from ussd_menus.texts import t


class SubscribePrompt:
    """Ask for the place."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """The prompt."""
        return View(body=t("subscribe.prompt", ctx.lang), free_text=True)

    def on_text(self, frame: Frame, text: str, ctx: Context) -> Action:
        """The place typed on this phone, after the prompt said what subscribing means, is the
        number's confirmation: the gateway subscribes it."""
        typed = " ".join(text.split())[:60]
        if not any(ch.isalnum() for ch in typed):
            return Stay("problem.too_short")
        return Do(Subscribe(typed), Frame("subscribe_done"))


class SubscribeDone(ChoiceNode):
    """Subscribed (and how to stop), or the place was not found."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """The END screen."""
        outcome = ctx.env.fact("outcome")
        place = outcome.place if isinstance(outcome, Subscribed) else ""
        if not place:
            return View(body=t("subscribe.unknown", ctx.lang), end=True)
        return View(body=t("subscribe.done", ctx.lang, place=place), end=True)
