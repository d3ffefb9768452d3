"""
Safe-migration information: short paged topics, worded in the catalogues (topic.<topic>.*) with
their facts from content/facts.toml and content/hotlines.toml.
"""

from __future__ import annotations

from dataclasses import dataclass

from ussd_menus import catalogue
from ussd_menus.model import ChoiceNode, Context, Frame, Option, Push, View
from ussd_menus.texts import t


@dataclass(frozen=True, slots=True)
class Topic:
    """One information topic: its key, its title and page texts per language."""

    key: str
    title: dict[str, str]
    pages: dict[str, tuple[str, ...]]


def load_topics() -> tuple[Topic, ...]:
    """The topics of the catalogues (topic.<topic>.title, topic.<topic>.<n>), in catalogue order."""
    content = catalogue.active()
    topics = []
    for title_key in content.keys("topic."):
        if not title_key.endswith(".title"):
            continue
        key = title_key.removeprefix("topic.").removesuffix(".title")
        page_keys = [k for k in content.keys(f"topic.{key}.") if k != title_key]
        topics.append(
            Topic(
                key=key,
                title={lang: content.text(title_key, lang) for lang in content.codes},
                pages={
                    lang: tuple(content.text(k, lang) for k in page_keys) for lang in content.codes
                },
            )
        )
    return tuple(topics)


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
