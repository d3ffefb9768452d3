"""
Every text residents read, in every language, with the facts it states filled in.

Texts live in gettext catalogues (catalogues/<code>.po, one per language, monolingual: the msgid is
the text's key) so that translators' tools read them; Indonesian (id.po) is the source and the
reference for every other language. Facts are data with a source and the date someone checked
them: content/facts.toml (dates, rules) and content/hotlines.toml (numbers, which an operator adds
to or corrects in their own file, HOTLINE_HOTLINES_FILE). A text names a fact as `{key}`; the
fact's value is put in when the catalogue loads, so a number or date is written once, next to its
source. Any other `{name}` is a value the code passes at run time.

Adding a language is one catalogue plus one line in catalogues/languages.toml.
A catalogue with a missing key, a placeholder the source text does not have, or a fact without
source or date is refused with every problem named (`hotline content check`, and start-up).
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

SOURCE = "id"  # the language every other catalogue translates


class ContentError(Exception):
    """The catalogues or facts are not usable; one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("Content:\n  " + "\n  ".join(problems))


@dataclass(frozen=True, slots=True)
class Language:
    """A language residents can choose: its code, its own name, whether it awaits review, and
    other names residents may write for it (BAHASA <name> by SMS)."""

    code: str
    name: str
    draft: bool = False
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Fact:
    """Something a text states: the words put in (per language, Indonesian when a language has
    none) or only the claim a text makes, where it comes from and when it was checked."""

    key: str
    claim: str
    source: str
    verified_on: date | None
    values: Mapping[str, str]
    origin: str
    # How a screen cites the fact's source in a few words ("UU 18/2017 Ps 42"); "" if never cited.
    cite: str = ""

    def value(self, lang: str) -> str:
        """The fact's words in lang."""
        return self.values.get(lang) or self.values.get(SOURCE, "")


@dataclass(frozen=True, slots=True)
class Hotline:
    """A number residents may call or write to: whose, what for, and who says so."""

    key: str
    number: str
    names: Mapping[str, str]
    purposes: Mapping[str, str]
    source: str
    verified_on: date | None
    origin: str

    def name(self, lang: str) -> str:
        """The office's name in lang."""
        return self.names.get(lang) or self.names[SOURCE]

    def purpose(self, lang: str) -> str:
        """What the number is for, in lang."""
        return self.purposes.get(lang) or self.purposes[SOURCE]


@dataclass(frozen=True, slots=True)
class Content:
    """Checked texts (language -> key -> text, facts filled in), and the facts behind them."""

    languages: tuple[Language, ...]
    texts: Mapping[str, Mapping[str, str]]
    facts: tuple[Fact, ...]
    hotlines: tuple[Hotline, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        """The language codes, in menu order."""
        return tuple(language.code for language in self.languages)

    def text(self, key: str, lang: str) -> str:
        """One text, facts filled in, run-time placeholders left for the caller."""
        return self.texts[lang][key]

    def keys(self, prefix: str) -> tuple[str, ...]:
        """The source catalogue's keys starting with prefix, in catalogue order."""
        return tuple(key for key in self.texts[SOURCE] if key.startswith(prefix))


BUNDLED: Traversable = resources.files("ussd_menus")


def load(hotlines_file: Path | None = None, root: Traversable = BUNDLED) -> Content:
    """The catalogues and facts under root (the package's own), with the operator's hotlines (if
    any) added or replacing bundled ones by key. Raises ContentError naming every problem."""
    problems: list[str] = []

    def read(*parts: str) -> dict[str, Any]:
        return tomllib.loads(root.joinpath(*parts).read_text("utf-8"))

    languages = _languages(read("catalogues", "languages.toml"), problems)
    facts = _facts(read("content", "facts.toml"), "facts.toml", problems)
    hotlines = {h.key: h for h in _hotlines(read("content", "hotlines.toml"), "hotlines.toml")}
    if hotlines_file is not None:
        try:
            raw = tomllib.loads(hotlines_file.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise ContentError([f"{hotlines_file}: cannot read ({error})"]) from error
        hotlines.update({h.key: h for h in _hotlines(raw, str(hotlines_file))})
    problems += _undated(facts, tuple(hotlines.values()))
    words = {f.key: f for f in facts}
    clash = sorted(words.keys() & hotlines.keys())
    problems += [f"{key}: both a fact and a hotline" for key in clash]
    texts: dict[str, dict[str, str]] = {}
    for language in languages:
        known = {k: f.value(language.code) for k, f in words.items()} | _numbers(hotlines)
        texts[language.code] = {}
        for key, text in _catalogue(root, language.code, problems).items():
            try:
                texts[language.code][key] = _fill(text, known)
            except ValueError as error:
                problems.append(f"catalogues/{language.code}.po: {key}: broken braces ({error})")
    problems += _mismatches(texts)
    if problems:
        raise ContentError(problems)
    return Content(languages, texts, facts, tuple(hotlines.values()))


def _numbers(hotlines: Mapping[str, Hotline]) -> dict[str, str]:
    return {key: hotline.number for key, hotline in hotlines.items()}


def _languages(raw: Mapping[str, Any], problems: list[str]) -> tuple[Language, ...]:
    out = []
    for code, entry in raw.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            problems.append(f"languages.toml: {code}: needs a name")
            continue
        aliases = entry.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            problems.append(f"languages.toml: {code}: aliases must be a list of names")
            aliases = []
        out.append(Language(code, entry["name"], bool(entry.get("draft", False)), tuple(aliases)))
    if not out or out[0].code != SOURCE:
        problems.append(f"languages.toml: the first language must be the source, {SOURCE}")
    return tuple(out)


def _catalogue(root: Traversable, code: str, problems: list[str]) -> dict[str, str]:
    path = root.joinpath("catalogues", f"{code}.po")
    try:
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=None, abort_invalid=True)
    except Exception as error:  # babel raises several kinds for a broken file
        problems.append(f"catalogues/{code}.po: cannot read ({error})")
        return {}
    texts = {}
    for message in catalog:
        if message.id and isinstance(message.id, str) and isinstance(message.string, str):
            if message.fuzzy or not message.string:
                problems.append(f"catalogues/{code}.po: {message.id}: not translated")
            texts[message.id] = message.string
    return texts


def _date(value: object) -> date | None:
    return value if isinstance(value, date) else None


def _facts(raw: Mapping[str, Any], origin: str, problems: list[str]) -> tuple[Fact, ...]:
    out = []
    for key, entry in raw.items():
        if not isinstance(entry, dict):
            problems.append(f"{origin}: {key}: must be a table")
            continue
        values = entry.get("value", {})
        out.append(
            Fact(
                key=key,
                claim=str(entry.get("claim", "")),
                source=str(entry.get("source", "")),
                verified_on=_date(entry.get("verified_on")),
                values=values if isinstance(values, dict) else {SOURCE: str(values)},
                origin=origin,
                cite=str(entry.get("cite", "")),
            )
        )
    return tuple(out)


def _hotlines(raw: Mapping[str, Any], origin: str) -> tuple[Hotline, ...]:
    out = []
    for entry in raw.get("hotline", []):
        out.append(
            Hotline(
                key=str(entry.get("key", "")),
                number=str(entry.get("number", "")),
                names=dict(entry.get("name", {})),
                purposes=dict(entry.get("for", {})),
                source=str(entry.get("source", "")),
                verified_on=_date(entry.get("verified_on")),
                origin=origin,
            )
        )
    return tuple(out)


def _undated(facts: tuple[Fact, ...], hotlines: tuple[Hotline, ...]) -> list[str]:
    """Every fact and hotline needs a source and the date it was checked."""
    problems = []
    items: tuple[Fact | Hotline, ...] = (*facts, *hotlines)
    for item in items:
        where = f"{item.origin}: {item.key or '(no key)'}"
        if not item.key:
            problems.append(f"{where}: needs a key")
        if not item.source.strip():
            problems.append(f"{where}: needs a source")
        if item.verified_on is None:
            problems.append(f"{where}: needs verified_on, the date it was checked (YYYY-MM-DD)")
    for hotline in hotlines:
        where = f"{hotline.origin}: {hotline.key}"
        if not hotline.number.strip():
            problems.append(f"{where}: needs a number")
        if SOURCE not in hotline.names or SOURCE not in hotline.purposes:
            problems.append(f"{where}: needs name.{SOURCE} and for.{SOURCE}")
    return problems


def _fill(text: str, facts: Mapping[str, str]) -> str:
    """The text with fact placeholders replaced and every other placeholder kept as it was."""
    out = []
    for literal, name, spec, conversion in string.Formatter().parse(text):
        out.append(literal.replace("{", "{{").replace("}", "}}"))
        if name is None:
            continue
        if name in facts and not spec and not conversion:
            out.append(facts[name].replace("{", "{{").replace("}", "}}"))
        else:
            kept = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            out.append("{" + kept + "}")
    return "".join(out)


def placeholders(text: str) -> frozenset[str]:
    """The run-time placeholders a (filled) text uses."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)


def _mismatches(texts: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Each language has exactly the source's keys, each with the source's placeholders."""
    problems = []
    source = texts.get(SOURCE, {})
    for code, catalogue in texts.items():
        for key in sorted(source.keys() - catalogue.keys()):
            problems.append(f"catalogues/{code}.po: {key}: missing")
        for key in sorted(catalogue.keys() - source.keys()):
            problems.append(f"catalogues/{code}.po: {key}: not in the source catalogue")
        for key in sorted(source.keys() & catalogue.keys()):
            try:
                theirs, ours = placeholders(catalogue[key]), placeholders(source[key])
            except ValueError as error:
                problems.append(f"catalogues/{code}.po: {key}: broken braces ({error})")
                continue
            if theirs != ours:
                problems.append(
                    f"catalogues/{code}.po: {key}: placeholders {sorted(theirs)}, the source"
                    f" has {sorted(ours)}"
                )
    return problems


# --- The content in use --------------------------------------------------------------------------

_active: list[Content] = [load()]  # the bundled content, checked on import


def active() -> Content:
    """The content every screen and SMS is worded from."""
    return _active[0]


def use(content: Content) -> None:
    """Word everything from now on from this (checked) content; set at start-up."""
    _active[0] = content
