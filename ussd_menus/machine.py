"""
The USSD engine: a pure function from (menu tree, AT's '*'-joined input path) to the next screen.

Africa's Talking resends the whole path on every hop, so replaying it rebuilds the caller's place
without stored state. The one ambiguity is free text containing '*': the gateway records where each
free-text input ended (`spans`) and the replay honours those boundaries. When the replay meets a
free-text step whose end it cannot know, it asks for the stored spans instead of guessing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ussd_menus.model import (
    BACK,
    HOME,
    MORE,
    Action,
    Context,
    Continue,
    End,
    Env,
    Frame,
    Lang,
    Node,
    Push,
    Screen,
    SetLang,
    Stay,
    View,
)
from ussd_menus.texts import t

ROOT = Frame("main")


@dataclass(frozen=True, slots=True)
class Hop:
    """The answer to one hop."""

    screen: Screen
    node: str
    new_span: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class NeedSpans:
    """The path holds free text whose end only the stored spans can tell; fetch them and rerun."""


@dataclass(slots=True)
class _State:
    stack: list[Frame]
    lang: Lang
    problem: str | None = None


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
        lang: Lang | None = None,
    ) -> Hop | NeedSpans:
        """Answer a hop whose full input path is `text`."""
        state = _State([ROOT], lang or self.default_lang)
        spans = spans or {}
        new_span: tuple[int, int] | None = None
        pos = 0
        while pos <= len(text) and text:
            frame = state.stack[-1]
            ctx = Context(state.lang, env)
            view = self.nodes[frame.node].view(frame, ctx)
            if view.free_text:
                end = self._free_text_end(text, pos, spans, spans_complete)
                if end is None:
                    return NeedSpans()
                token = text[pos:end]
                if end == len(text) and pos not in spans and token.strip() not in (BACK, HOME):
                    new_span = (pos, end)
            else:
                end = text.find("*", pos)
                end = len(text) if end < 0 else end
                token = text[pos:end]
            self._apply(state, view, frame, token, ctx)
            pos = end + 1
        return self._render(state, env, new_span)

    @staticmethod
    def _free_text_end(
        text: str, pos: int, spans: Mapping[int, int], spans_complete: bool
    ) -> int | None:
        """Where the free-text input starting at pos ends, or None if only stored spans can tell."""
        stored = spans.get(pos)
        if stored is not None and stored <= len(text):
            return stored
        remainder = text[pos:]
        if "*" not in remainder:
            return len(text)
        if not spans_complete:
            return None
        # Nothing was recorded here, so this was no free text that moved on: a navigation key
        # followed by more input, or else the current hop's own text, '*' and all.
        first = remainder.split("*", 1)[0]
        return pos + len(first) if first.strip() in (BACK, HOME) else len(text)

    def _apply(self, state: _State, view: View, frame: Frame, token: str, ctx: Context) -> None:
        state.problem = None
        if view.end:
            return
        stripped = token.strip()
        if stripped == HOME:
            state.stack = [ROOT]
        elif stripped == BACK:
            if len(state.stack) > 1:
                state.stack.pop()
            else:
                state.stack.append(Frame("exit"))
        elif view.free_text:
            self._act(state, self.nodes[frame.node].on_text(frame, token, ctx))
        elif stripped == MORE and view.more is not None:
            self._act(state, view.more)
        elif stripped.isdigit() and 1 <= int(stripped) <= len(view.options):
            self._act(state, view.options[int(stripped) - 1].action)
        else:
            state.problem = "problem.choice"

    @staticmethod
    def _act(state: _State, action: Action) -> None:
        if isinstance(action, Push):
            state.stack.append(action.frame)
        elif isinstance(action, SetLang):
            state.lang = action.lang
            state.stack = [ROOT]
        elif isinstance(action, Stay):
            state.problem = action.problem

    def _render(self, state: _State, env: Env, new_span: tuple[int, int] | None) -> Hop:
        frame = state.stack[-1]
        view = self.nodes[frame.node].view(frame, Context(state.lang, env))
        return Hop(render(view, state.lang, state.problem), frame.node, new_span)


def render(view: View, lang: Lang, problem: str | None = None) -> Screen:
    """A view as the caller sees it: problem, body, numbered options, paging and navigation."""
    lines = [t(problem, lang)] if problem else []
    lines.append(view.body)
    lines += [f"{n} {option.label}" for n, option in enumerate(view.options, start=1)]
    if view.more is not None:
        lines.append(t("nav.more", lang))
    if not view.end:
        lines.append(view.footer if view.footer is not None else t("nav.footer", lang))
    body = "\n".join(line for line in lines if line)
    return End(body) if view.end else Continue(body)


__all__ = ["ROOT", "Hop", "Machine", "NeedSpans", "render"]
