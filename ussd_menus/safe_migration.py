"""
Safe-migration information: short paged topics, worded in the catalogues (topic.<topic>.*) with
their facts from content/facts.toml and content/hotlines.toml.

A topic ends with two ways on: "Kirim info ini lewat SMS" (the caller keeps the topic in their
inbox: an effect the gateway carries out through the outbox) and "Lapor" (the report journey).
They sit on the last page when it has room for them, else on a short closing page after it, so
rewording a topic never breaks its screen.

The hotlines topic is built from the hotline data, not typed pages, so that a number an operator
adds or corrects (HOTLINE_HOTLINES_FILE) is the number residents read, with whose it is and what
it is for; the catalogue's pages for that topic follow the list.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from dataclasses import dataclass

from ussd_menus import catalogue
from ussd_menus.catalogue import Content, Hotline
from ussd_menus.model import (
    ChoiceNode,
    Context,
    Do,
    Frame,
    InfoQueued,
    Option,
    Push,
    SendInfo,
    View,
)
from ussd_menus.paging import room_for
from ussd_menus.texts import t

HOTLINES_TOPIC = "kontak"  # the topic that lists every hotline
PAGE_LIMIT = 110  # a page with "99 Lanjut", the footer and a problem line stays <= 160
LAST_PAGE_LIMIT = 90  # a topic's last page also carries the topic's options


@dataclass(frozen=True, slots=True)
class Topic:
    """One information topic: its key, its title and page texts per language."""

    key: str
    title: dict[str, str]
    pages: dict[str, tuple[str, ...]]


def load_topics(content: Content | None = None) -> tuple[Topic, ...]:
    """The topics of the catalogues (topic.<topic>.title, topic.<topic>.<n>), in catalogue order;
    the hotlines topic starts with the hotlines. The content in use unless one is given."""
    content = content or catalogue.active()
    topics = []
    for title_key in content.keys("topic."):
        if not title_key.endswith(".title"):
            continue
        key = title_key.removeprefix("topic.").removesuffix(".title")
        page_keys = [k for k in content.keys(f"topic.{key}.") if k != title_key]
        listed = content.hotlines if key == HOTLINES_TOPIC else ()
        topics.append(
            Topic(
                key=key,
                title={lang: content.text(title_key, lang) for lang in content.codes},
                pages={
                    lang: hotline_pages(listed, lang)
                    + tuple(content.text(k, lang) for k in page_keys)
                    for lang in content.codes
                },
            )
        )
    return tuple(topics)


def hotline_line(hotline: Hotline, lang: str) -> str:
    """One hotline as residents read it: whose, the number, what for."""
    return f"{hotline.name(lang)}: {hotline.number} ({hotline.purpose(lang)})"


def hotline_pages(hotlines: Iterable[Hotline], lang: str) -> tuple[str, ...]:
    """The hotlines' lines packed into pages of at most PAGE_LIMIT characters, one line never
    split over two pages unless it is longer than a page by itself."""
    pages: list[str] = []
    for hotline in hotlines:
        for line in textwrap.wrap(hotline_line(hotline, lang), PAGE_LIMIT):
            if pages and len(pages[-1]) + 1 + len(line) <= PAGE_LIMIT:
                pages[-1] += "\n" + line
            else:
                pages.append(line)
    return tuple(pages)


class InfoMenu(ChoiceNode):
    """The list of topics."""

    def __init__(self, topics: tuple[Topic, ...]) -> None:
        self.topics = topics

    def view(self, frame: Frame, ctx: Context) -> View:
        """Topic titles."""
        return View(
            body=t("info.title", ctx.lang),
            options=tuple(
                Option(topic.title[ctx.lang], Push(Frame("info_page", topic.key)))
                for topic in self.topics
            ),
        )


def closing_options(topic: str, ctx: Context) -> tuple[Option, ...]:
    """What a topic ends with: SMS it to me, report, subscribe to SMS news
    (ussd_menus/subscribe.py)."""
    return (
        Option(t("info.send_sms", ctx.lang), Do(SendInfo(topic), Frame("info_sent", topic))),
        Option(t("info.report", ctx.lang), Push(Frame("report"))),
        Option(t("info.subscribe", ctx.lang), Push(Frame("subscribe"))),
    )


class InfoPage(ChoiceNode):
    """One page of a topic; MORE turns the page, BACK turns it back. The last page carries the
    closing options (as its note, which a problem line may replace) when they fit beside it;
    otherwise one more page, after the last, holds them."""

    def __init__(self, topics: tuple[Topic, ...]) -> None:
        self.topics = {topic.key: topic for topic in topics}

    def view(self, frame: Frame, ctx: Context) -> View:
        """The page text, and the closing options on the last step."""
        topic = self.topics[frame.arg]
        pages = topic.pages[ctx.lang]
        following = Push(Frame(frame.node, frame.arg, frame.page + 1))
        if frame.page + 1 < len(pages):
            return View(body=pages[frame.page], more=following)
        options = closing_options(topic.key, ctx)
        if frame.page >= len(pages):  # the closing page
            return View(body=t("info.end", ctx.lang, title=topic.title[ctx.lang]), options=options)
        if len(pages[-1]) <= room_for(
            View(body="", options=options), ctx.lang, paged=False, as_note=True
        ):
            return View(body="", note=pages[-1], options=options)
        return View(body=pages[-1], more=following)


class InfoSent(ChoiceNode):
    """The topic is on its way by SMS (or could not be sent)."""

    def view(self, frame: Frame, ctx: Context) -> View:
        """The END screen."""
        outcome = ctx.env.fact("outcome")
        refused = isinstance(outcome, InfoQueued) and not outcome.queued
        return View(body=t("info.sms_refused" if refused else "info.sms_sent", ctx.lang), end=True)
