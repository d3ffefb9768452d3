"""
The main menu, the language choice and the goodbye screen.
"""

from __future__ import annotations

from ussd_menus import catalogue
from ussd_menus.model import ChoiceNode, Context, Frame, Option, Push, SetLang, View
from ussd_menus.officials import is_official
from ussd_menus.texts import t


class MainMenu(ChoiceNode):
    """The first screen; BACK here leaves the service. A caller the gateway found in the
    officials directory also sees the officials' menu (ussd_menus/officials.py)."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """Title and the journeys."""
        lang = ctx.lang
        residents = (
            Option(t("main.check", lang), Push(Frame("check"))),
            Option(t("main.report", lang), Push(Frame("report"))),
            Option(t("main.status", lang), Push(Frame("status"))),
            Option(t("main.info", lang), Push(Frame("info"))),
            Option(t("main.lang", lang), Push(Frame("lang"))),
        )
        if not is_official(ctx):
            return View(body=t("main.title", lang), options=residents, footer=t("main.exit", lang))
        # An official's number gets one more, last; the title is then a note, which a 'wrong
        # choice' line replaces, so the longer menu still fits one screen.
        officials = (Option(t("main.officer", lang), Push(Frame("officer"))),)
        return View(
            body="",
            note=t("main.title", lang),
            options=residents + officials,
            footer=t("main.exit", lang),
        )


class LanguageMenu(ChoiceNode):
    """Switch language for the rest of the session: every catalogue, each named in itself."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """The languages of catalogues/languages.toml, in their order."""
        return View(
            body=t("lang.title", ctx.lang),
            options=tuple(
                Option(language.name, SetLang(language.code))
                for language in catalogue.active().languages
            ),
        )


class Goodbye(ChoiceNode):
    """The final screen after BACK on the main menu."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """Thanks, and where to ask."""
        return View(body=t("goodbye", ctx.lang), end=True)
