"""
Which language a resident names by SMS: `BAHASA SUNDA`, `BASA SUNDA`, `LANGUAGE ENGLISH`,
`BAHASA ID`, and the language later replies use.

The languages are the catalogues' (catalogues/languages.toml): a resident may write a language's
code, its name with or without the word for "language" (Bahasa Indonesia, Indonesia), or one of its
aliases, in any case and with one typo in a word of five letters or more. Adding a language to
languages.toml makes it choosable by SMS with nothing else to change.

Precedence: a language the sender chose (stored under their keyed hash) wins over the keyword's
language, so REPORT answers in English only when no choice is stored; the BAHASA/LANGUAGE/BASA
keyword alone answers in its own language, since someone asking to change language may not read the
stored one.
"""

from __future__ import annotations

import re

from rapidfuzz.distance import DamerauLevenshtein

from ussd_menus import catalogue
from ussd_menus.model import Lang

# The language keyword in each language -> the language its own replies (list, refusal) are in.
# Matched exactly, never as a typo: "BAHAYA ..." (danger) must not become a language switch.
KEYWORDS: dict[str, Lang] = {"BAHASA": "id", "LANGUAGE": "en", "BASA": "su"}
_WORDS = re.compile(r"[A-Z0-9]+")
TYPO_FROM = 5  # a name this long may be written with one typo


def _words(text: str) -> list[str]:
    """The words of a text, upper case, without a leading word for 'language'."""
    words = _WORDS.findall(text.upper())
    while words and words[0] in KEYWORDS:
        words.pop(0)
    return words


def shown_name(language: catalogue.Language) -> str:
    """What a resident writes after BAHASA for a language: its name without the word for
    'language' (INDONESIA, ENGLISH, SUNDA), or its code."""
    return " ".join(_words(language.name)) or language.code.upper()


def _names(language: catalogue.Language) -> set[str]:
    names = {language.code.upper(), shown_name(language)}
    return names | {" ".join(_words(alias)) for alias in language.aliases}


def choices() -> str:
    """The languages as a resident writes them, in menu order: 'INDONESIA, ENGLISH, SUNDA'."""
    return ", ".join(shown_name(language) for language in catalogue.active().languages)


def named(text: str) -> Lang | None:
    """The language a resident wrote after the keyword, or None when it names none (or two)."""
    wanted = " ".join(_words(text))
    if not wanted:
        return None
    languages = catalogue.active().languages
    exact = [lang.code for lang in languages if wanted in _names(lang)]
    if exact:
        return exact[0]
    close = {
        lang.code
        for lang in languages
        for name in _names(lang)
        if len(name) >= TYPO_FROM and DamerauLevenshtein.distance(wanted, name) <= 1
    }
    return close.pop() if len(close) == 1 else None


def known(lang: str | None) -> Lang | None:
    """The code if it is a language of the catalogues (a stored choice may outlive one)."""
    return lang if lang in catalogue.active().codes else None


def reply_language(keyword_lang: Lang, stored: str | None) -> Lang:
    """The language of a reply: the sender's stored choice, else the keyword's, else the source."""
    return known(stored) or known(keyword_lang) or catalogue.SOURCE
