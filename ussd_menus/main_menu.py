"""
The main menu, the language choice and the goodbye screen.
"""

from __future__ import annotations

from ussd_menus.model import ChoiceNode, Context, Frame, Option, Push, SetLang, View
from ussd_menus.texts import t


class MainMenu(ChoiceNode):
    """The first screen; BACK here leaves the service."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """Title and the journeys."""
        lang = ctx.lang
        return View(
            body=t("main.title", lang),
            options=(
                Option(t("main.check", lang), Push(Frame("check"))),
                Option(t("main.report", lang), Push(Frame("report"))),
                Option(t("main.status", lang), Push(Frame("status"))),
                Option(t("main.info", lang), Push(Frame("info"))),
                Option(t("main.lang", lang), Push(Frame("lang"))),
            ),
            footer=t("main.exit", lang),
        )


class LanguageMenu(ChoiceNode):
    """Switch between Bahasa Indonesia and English for the rest of the session."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """Both languages, each named in itself."""
        lang = ctx.lang
        return View(
            body=t("lang.title", lang),
            options=(
                Option(t("lang.id", lang), SetLang("id")),
                Option(t("lang.en", lang), SetLang("en")),
            ),
        )


class Goodbye(ChoiceNode):
    """The final screen after BACK on the main menu."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """Thanks, and where to ask."""
        return View(body=t("goodbye", ctx.lang), end=True)
