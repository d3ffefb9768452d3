"""
The USSD engine: a pure function from (menu tree, AT's '*'-joined input path) to the next screen.

Africa's Talking resends the whole path on every hop, so replaying it rebuilds the caller's place
without stored state. The one ambiguity is free text containing '*'. Every typed text is recorded
where it ends (`spans`, one write on the hop that typed it), so any later replay, in any process,
keeps it whole; a process that served the previous hop also knows where this hop's input starts
(`current_start`) and needs no read. Facts from the database are asked for (`Needed`), not guessed.
Effects such as filing a report are returned, carried out by the gateway, and their outcome read
back on a second replay.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ussd_menus.model import (
    BACK,
    HOME,
    MORE,
    SCREEN_LIMIT,
    Action,
    Context,
    Continue,
    Do,
    Effect,
    End,
    Env,
    Frame,
    Lang,
    Needed,
    Node,
    Push,
    Restore,
    Screen,
    SetLang,
    Stay,
    View,
)
from ussd_menus.texts import t

ROOT = Frame("main")


@dataclass(frozen=True, slots=True)
class Hop:
    """The answer to one hop, and what the gateway must do besides showing it."""

    screen: Screen
    node: str
    stack: tuple[Frame, ...]
    lang: Lang
    new_span: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Need:
    """Replay stopped for something only the gateway can load; load it and replay again."""

    kind: str
    key: str = ""


SPANS = Need("spans")


@dataclass(frozen=True, slots=True)
class Act:
    """This hop asks for an effect; carry it out, add its outcome as the 'outcome' fact, replay.

    A retried hop asks again, so effects must be idempotent per session (they are keyed by it).
    """

    effect: Effect
    lang: Lang
    new_span: tuple[int, int] | None = None


@dataclass(slots=True)
class _State:
    stack: list[Frame]
    lang: Lang
    problem: str | None = None
    effect: Effect | None = None


class Machine:
    """Replays input paths against a menu tree."""

    def __init__(self, nodes: Mapping[str, Node], default_lang: Lang = "id") -> None:
        self.nodes = nodes
        self.default_lang = default_lang

    def hop(
        self,
        text: str,
        env: Env,
        spans: Mapping[int, int] | None = None,
        *,
        spans_complete: bool = False,
        current_start: int | None = None,
    ) -> Hop | Need | Act:
        """Answer a hop whose full input path is `text`.

        `current_start` is where this hop's own input begins, when the gateway knows it; without
        it, an unrecorded span can only be ruled out by the complete stored spans.
        """
        if current_start is None and "*" not in text:
            current_start = 0
        try:
            return self._replay(text, env, spans or {}, spans_complete, current_start)
        except Needed as needed:
            return Need(needed.kind, needed.key)

    def _replay(
        self,
        text: str,
        env: Env,
        spans: Mapping[int, int],
        spans_complete: bool,
        current_start: int | None,
    ) -> Hop | Need | Act:
        state = _State([ROOT], self.default_lang)
        new_span: tuple[int, int] | None = None
        pos = 0
        while text and pos <= len(text):
            frame = state.stack[-1]
            ctx = Context(state.lang, env)
            view = self.nodes[frame.node].view(frame, ctx)
            last = False
            if view.free_text:
                end = _free_text_end(text, pos, view, spans, spans_complete, current_start)
                if end is None:
                    return SPANS
                token = text[pos:end]
                last = end == len(text)
                typed = self._apply(state, view, frame, token, ctx)
                if last and typed and pos not in spans:
                    new_span = (pos, end)
            else:
                end = text.find("*", pos)
                end = len(text) if end < 0 else end
                last = end == len(text)
                self._apply(state, view, frame, text[pos:end], ctx)
            if not last:
                state.effect = None  # done on the hop that asked for it
            pos = end + 1
        if state.effect is not None and not env.knows("outcome"):
            return Act(state.effect, state.lang, new_span)
        frame = state.stack[-1]
        view = self.nodes[frame.node].view(frame, Context(state.lang, env))
        return Hop(
            screen=render(view, state.lang, state.problem, later=frame.page > 0),
            node=frame.node,
            stack=tuple(state.stack),
            lang=state.lang,
            new_span=new_span,
        )

    def _apply(self, state: _State, view: View, frame: Frame, token: str, ctx: Context) -> bool:
        """Apply one input; True when it was taken as typed text."""
        state.problem = None
        if view.end:
            return False
        key = token.strip()
        if key == HOME:
            state.stack = [ROOT]
        elif key == BACK:
            if len(state.stack) > 1:
                state.stack.pop()
            else:
                state.stack.append(Frame("exit"))
        elif key == MORE and view.more is not None:
            self._act(state, view.more)
        elif key.isdigit() and 1 <= int(key) <= len(view.options):
            self._act(state, view.options[int(key) - 1].action)
        elif view.free_text:
            self._act(state, self.nodes[frame.node].on_text(frame, token, ctx))
            return True
        else:
            state.problem = "problem.choice"
        return False

    @staticmethod
    def _act(state: _State, action: Action) -> None:
        if isinstance(action, Push):
            state.stack.append(action.frame)
        elif isinstance(action, SetLang):
            state.lang = action.lang
            state.stack = [ROOT]
        elif isinstance(action, Stay):
            state.problem = action.problem
        elif isinstance(action, Restore):
            state.stack.extend(action.frames)
        elif isinstance(action, Do):
            state.effect = action.effect
            state.stack.append(action.then)


def _is_key(token: str, view: View) -> bool:
    key = token.strip()
    if key in (BACK, HOME) or (key == MORE and view.more is not None):
        return True
    return key.isdigit() and 1 <= int(key) <= len(view.options)


def _free_text_end(
    text: str,
    pos: int,
    view: View,
    spans: Mapping[int, int],
    spans_complete: bool,
    current_start: int | None,
) -> int | None:
    """Where the input starting at pos on a free-text step ends; None if only stored spans tell."""
    stored = spans.get(pos)
    if stored is not None and stored <= len(text):
        return stored
    following = text.find("*", pos)
    if following < 0:
        return len(text)
    if current_start is not None:
        # This hop's own input starts at current_start and holds no '*' (else the gateway
        # would not know where it starts); an unrecorded earlier input was a key.
        return len(text) if pos >= current_start else following
    if not spans_complete:
        return None
    # Every typed text is recorded on its hop, so an unrecorded input here was a key (a choice
    # or navigation) followed by more input; anything else is this hop's own text, '*' and all.
    first = text[pos:following]
    return following if _is_key(first, view) else len(text)


def render(view: View, lang: Lang, problem: str | None = None, *, later: bool = False) -> Screen:
    """A view as the caller sees it: problem, body, numbered options, paging and navigation.

    Paging pushes each page as a step, so BACK on a `later` page (page 2 onwards) turns back one
    page; its footer says so ("0 Sebelumnya") where the screen has room for the longer words,
    else it keeps the plain "0 Kembali", which does the same.
    """
    lines = [t(problem, lang)] if problem else []
    lines.append(view.body)
    if not problem:
        lines.append(view.note)
    lines += [f"{n} {option.label}" for n, option in enumerate(view.options, start=1)]
    if view.more is not None:
        lines.append(t("nav.more", lang))
    if view.end:
        return End(_joined(lines))
    if view.footer is not None:
        return Continue(_joined([*lines, view.footer]))
    plain = _joined([*lines, t("nav.footer", lang)])
    if later:
        previous = _joined([*lines, t("nav.footer_previous", lang)])
        return Continue(previous if len(previous) <= SCREEN_LIMIT else plain)
    return Continue(plain)


def _joined(lines: list[str]) -> str:
    return "\n".join(line for line in lines if line)


# Problem lines a typed-text step may show; screens are held to the longest.
TEXT_PROBLEMS = (
    "problem.choice",
    "problem.too_short",
    "problem.describe",
    "problem.receipt_typo",
    "problem.country",
    "report.kecamatan_none",
    "report.desa_none",
)


def problems_for(view: View) -> tuple[str, ...]:
    """The problem lines a screen may carry above its body."""
    return TEXT_PROBLEMS if view.free_text else ("problem.choice",)


__all__ = [
    "ROOT",
    "SPANS",
    "TEXT_PROBLEMS",
    "Act",
    "Hop",
    "Machine",
    "Need",
    "problems_for",
    "render",
]
