"""
Long texts on small screens: cutting a text into pages that never end mid-word (and, where a
sentence ends late enough on the page, at that sentence's end), and how much room a screen leaves
for such a page.

Why: an official's question or closing note can be long, and a reporter must read all of it to
answer it; cutting it with ".." loses exactly the part they are asked about. Each page is a step
of its own (Frame.page), so 99 turns the page and 0 turns it back.
"""

from __future__ import annotations

from dataclasses import replace

from ussd_menus.machine import problems_for, render
from ussd_menus.model import SCREEN_LIMIT, Frame, Lang, Push, View
from ussd_menus.texts import plain

# Outside data longer than this is cut anyway (storage keeps at most 1000 characters).
LONGEST_TEXT = 2000
_SENTENCE_ENDS = ".?!"


def split_pages(text: str, first: int, rest: int) -> tuple[str, ...]:
    """`text` made screen-safe and cut into pages: the first at most `first` characters, the
    others at most `rest`. A page ends at a sentence end in its second half when there is one,
    else at a word end; only a word longer than a whole page is cut inside."""
    remaining = plain(text, LONGEST_TEXT)
    pages: list[str] = []
    while remaining:
        room = max(1, first if not pages else rest)
        if len(remaining) <= room:
            pages.append(remaining)
            break
        cut = _cut_at(remaining, room)
        pages.append(remaining[:cut].rstrip())
        remaining = remaining[cut:].lstrip()
    return tuple(pages) or ("",)


def _cut_at(text: str, room: int) -> int:
    """Where to end a page of `text` (longer than room): after a sentence, else a word."""
    sentence = _sentence_end(text, room)
    if sentence:
        return sentence
    window = text[: room + 1]  # a space just past the room still ends a word inside it
    spaces = [i for i, ch in enumerate(window) if ch == " "]
    return spaces[-1] if spaces and spaces[-1] > 0 else room


def _sentence_end(text: str, room: int) -> int | None:
    """The last sentence end within room and in its second half ("1." of a list is none)."""
    window = text[: room + 1]
    ends = [
        i
        for i, ch in enumerate(window)
        if ch == " "
        and i >= max(2, room // 2)
        and window[i - 1] in _SENTENCE_ENDS
        and not window[i - 2].isdigit()
    ]
    return ends[-1] if ends else None


def fit(text: str, room: int) -> str:
    """`text` made screen-safe in at most `room` characters: whole, else up to the last sentence
    end that fits, else up to the last whole word, marked '..' as cut."""
    cleaned = plain(text, LONGEST_TEXT)
    if len(cleaned) <= room:
        return cleaned
    sentence = _sentence_end(cleaned, room)
    if sentence:
        return cleaned[:sentence]
    return cleaned[: _cut_at(cleaned, room - 2)].rstrip() + ".."


def room_for(view: View, lang: Lang, *, paged: bool = True, as_note: bool = False) -> int:
    """Characters left for one more line on this screen, on any page (with the "previous page"
    footer and, when `paged`, "99 Lanjut"). The line goes in the body, under the longest problem
    line the screen may show; or, `as_note`, in the note, which a problem line replaces."""
    worst = replace(view, more=view.more or (Push(Frame("page")) if paged else None))
    problems = (None,) if as_note else (None, *problems_for(view))
    used = max(len(render(worst, lang, problem, later=True).text) for problem in problems)
    return SCREEN_LIMIT - used - 1  # the line's own newline


def page_of(pages: tuple[str, ...], frame: Frame) -> tuple[str, Push | None]:
    """The page a frame shows (the last one if pages grew fewer), and the way to the next."""
    index = min(frame.page, len(pages) - 1)
    following = Push(replace(frame, page=index + 1)) if index + 1 < len(pages) else None
    return pages[index], following
