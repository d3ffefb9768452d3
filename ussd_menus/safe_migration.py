"""
Safe-migration information: short paged topics from content/info.toml (facts from domain-id.md).

The content is data so that it can be corrected without touching code; it is checked at start-up.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources

from ussd_menus.model import LANGS, ChoiceNode, Context, Frame, Option, Push, View
from ussd_menus.texts import t


@dataclass(frozen=True, slots=True)
class Topic:
    """One information topic in both languages."""

    key: str
    title: dict[str, str]
    pages: dict[str, tuple[str, ...]]


def load_topics() -> tuple[Topic, ...]:
    """Read and check the bundled topics."""
    raw = tomllib.loads(
        (resources.files("ussd_menus") / "content" / "info.toml").read_text("utf-8")
    )
    topics = tuple(
        Topic(
            key=item["key"],
            title={lang: item["title"][lang] for lang in LANGS},
            pages={lang: tuple(item["pages"][lang]) for lang in LANGS},
        )
        for item in raw["topic"]
    )
    for topic in topics:
        if len({len(topic.pages[lang]) for lang in LANGS}) != 1:
            raise ValueError(f"info topic {topic.key}: languages have different page counts")
    return topics


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


class InfoPage(ChoiceNode):
    """One page of a topic; MORE turns the page."""

    def __init__(self, topics: tuple[Topic, ...]) -> None:
        self.topics = {topic.key: topic for topic in topics}

    def view(self, frame: Frame, ctx: Context) -> View:
        """The page text."""
        pages = self.topics[frame.arg].pages[ctx.lang]
        following = Frame(frame.node, frame.arg, frame.page + 1)
        return View(
            body=pages[frame.page],
            more=Push(following) if frame.page + 1 < len(pages) else None,
        )
