"""
Types shared by the engine and the menus: screens, frames, actions and the injected lookups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

Lang = Literal["id", "en"]
LANGS: tuple[Lang, ...] = ("id", "en")

# Reserved keys. Options are numbered 1..MAX_OPTIONS, so these can never collide with one.
BACK = "0"
HOME = "00"
MORE = "99"
MAX_OPTIONS = 7

# Every screen, prefix excluded, fits this many GSM-7 characters (several telcos cut at 160).
SCREEN_LIMIT = 160


@dataclass(frozen=True, slots=True)
class Continue:
    """A screen that waits for the caller's answer."""

    text: str


@dataclass(frozen=True, slots=True)
class End:
    """A final screen: the session closes."""

    text: str


Screen = Continue | End


@dataclass(frozen=True, slots=True)
class Frame:
    """One step on the caller's way: a node, its argument (a query, a key) and a page."""

    node: str
    arg: str = ""
    page: int = 0


@dataclass(frozen=True, slots=True)
class Push:
    """Go one step deeper; BACK returns to the current step."""

    frame: Frame


@dataclass(frozen=True, slots=True)
class SetLang:
    """Switch language and return to the main menu."""

    lang: Lang


@dataclass(frozen=True, slots=True)
class Stay:
    """Stay on the current step and show a short problem first."""

    problem: str


Action = Push | SetLang | Stay


@dataclass(frozen=True, slots=True)
class Option:
    """A numbered choice on a screen."""

    label: str
    action: Action


@dataclass(frozen=True, slots=True)
class View:
    """What a step shows, and what its keys do."""

    body: str
    options: tuple[Option, ...] = ()
    more: Action | None = None
    end: bool = False
    free_text: bool = False
    footer: str | None = None


class AgencyRecord(Protocol):
    """What the menus need to know of an agency."""

    @property
    def licence_number(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def status_since(self) -> date | None: ...
    @property
    def status_until(self) -> date | None: ...
    @property
    def valid_until(self) -> date | None: ...
    @property
    def head_office_city(self) -> str: ...
    @property
    def has_serang_branch(self) -> bool: ...
    def effective_status(self, today: date) -> str: ...


class AgencyLookup(Protocol):
    """The registry as the menus see it."""

    def search(self, query: str) -> Sequence[AgencyRecord]: ...
    def get(self, licence_number: str) -> AgencyRecord | None: ...


@dataclass(frozen=True, slots=True)
class Env:
    """Everything from outside that a hop may read."""

    agencies: AgencyLookup
    today: date


@dataclass(frozen=True, slots=True)
class Context:
    """A hop's language and environment, handed to every node."""

    lang: Lang
    env: Env


class Node(Protocol):
    """One kind of step in the menu tree."""

    def view(self, frame: Frame, ctx: Context) -> View: ...
    def on_text(self, frame: Frame, text: str, ctx: Context) -> Action: ...


class ChoiceNode:
    """Base for steps answered with a number: they never receive free text."""

    def on_text(self, frame: Frame, text: str, ctx: Context) -> Action:
        """Choice steps are never asked to handle free text."""
        raise TypeError(f"{type(self).__name__} takes no free text")
