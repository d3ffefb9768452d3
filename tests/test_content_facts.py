"""
What residents read states only sourced facts, each office with its own number (issue 13, items
1 and 4-11): rules over every text of every language as rendered, and over the raw catalogues.

The rules' tables are tests/data/content_facts.json. Each rule holds for the bundled content, and
each can fail: putting an old (wrong) text back into a copy of the catalogues makes it report the
text (`old_texts` in the same file).
"""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from babel.messages.pofile import read_po, write_po

from gateway.app import create_app
from gateway.config import Config
from tests.test_content import HOTLINE
from tests.test_ussd import hop
from ussd_menus import catalogue
from ussd_menus.catalogue import BUNDLED, Content, load
from ussd_menus.safe_migration import (
    HOTLINES_TOPIC,
    LAST_PAGE_LIMIT,
    PAGE_LIMIT,
    hotline_pages,
    load_topics,
)

TABLES: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "content_facts.json").read_text("utf-8")
)
LANGS = catalogue.active().codes
MONTHS = (
    "Jan|Feb|Mar|Apr|Mei|May|Jun|Jul|Agu|Aug|Sep|Okt|Oct|Nov|Des|Dec|Januari|Februari|Maret|"
    "April|Juni|Juli|Agustus|September|Oktober|November|Desember"
)
# A day and month (and year), or a run of digits with the separators numbers are written with.
NUMBER_LIKE = re.compile(rf"\b\d{{1,2}}\s+(?:{MONTHS})[a-z]*(?:\s+\d{{4}})?|\+?\d(?:[\d\-/. ]*\d)?")


@dataclass(frozen=True, slots=True)
class Corpus:
    """The content as residents read it, and the catalogues as an editor wrote them."""

    content: Content
    raw: dict[str, dict[str, str]]  # language -> key -> msgstr, placeholders unfilled
    pages: dict[str, dict[str, tuple[str, ...]]]  # language -> topic -> pages as shown

    def texts(self) -> Iterator[tuple[str, str, str]]:
        """(language, key, text) of every catalogue text, then the hotline lines of the hotlines
        topic (which come from data, not from a catalogue text)."""
        for lang in self.content.codes:
            for key, text in self.content.texts[lang].items():
                yield lang, key, text
            for n, page in enumerate(hotline_pages(self.content.hotlines, lang), start=1):
                yield lang, f"topic.{HOTLINES_TOPIC} (hotline page {n})", page

    def all_pages(self, lang: str, topic: str | None = None) -> str:
        """The pages of one topic, or of all, in one language."""
        return "\n".join(
            page
            for key, pages in self.pages[lang].items()
            if topic in (None, key)
            for page in pages
        )


def corpus_of(root: Path | None = None, hotlines: Path | None = None) -> Corpus:
    """The corpus of the bundled content, or of a copy under root."""
    content = load(hotlines, root=root) if root else load(hotlines)
    base = root or Path(str(BUNDLED))
    raw = {}
    for lang in content.codes:
        with (base / "catalogues" / f"{lang}.po").open("rb") as handle:
            raw[lang] = {m.id: m.string for m in read_po(handle) if m.id}
    topics = load_topics(content)
    pages = {lang: {t.key: t.pages[lang] for t in topics} for lang in content.codes}
    return Corpus(content, raw, pages)


def digits_joined(text: str) -> str:
    """The text with the spaces and dashes inside numbers removed (0811-8080 -> 08118080)."""
    return re.sub(r"(?<=\d)[\s\-.](?=\d)", "", text)


def number_of(corpus: Corpus, key: str) -> str:
    """A hotline's number."""
    return next(h.number for h in corpus.content.hotlines if h.key == key)


# --- The rules: each returns its problems, "<lang> <key>: <what>" --------------------------------

Rule = Callable[[Corpus], list[str]]


def forbidden_rule(entry: dict[str, str]) -> Rule:
    """No text (or only the text named by `key`) matches the pattern."""

    def rule(corpus: Corpus) -> list[str]:
        pattern = re.compile(entry["pattern"])
        return [
            f"{lang} {key}: {entry['why']}"
            for lang, key, text in corpus.texts()
            if entry.get("key") in (None, key)
            and (pattern.search(text) or pattern.search(digits_joined(text)))
        ]

    return rule


def pages_rule(entry: dict[str, Any]) -> Rule:
    """The topic's pages (or all pages) say each phrase, in every language."""

    def rule(corpus: Corpus) -> list[str]:
        where = entry["topic"] or "the information pages"
        return [
            f"{lang} {where}: do not say {phrase!r}"
            for lang in corpus.content.codes
            for phrase in entry.get(lang, ())  # a language the table has no phrases for: skipped
            if phrase not in corpus.all_pages(lang, entry["topic"])
        ]

    return rule


def kp2mi_named(corpus: Corpus) -> list[str]:
    """Item 1: KP2MI's number is always labelled KP2MI, never another office (Disnaker)."""
    number = number_of(corpus, "kp2mi")
    problems = []
    for lang, key, text in corpus.texts():
        for found in re.finditer(re.escape(number), text):
            label = text[max(0, found.start() - 30) : found.start()]
            if "KP2MI" not in label or "Disnaker" in label:
                problems.append(f"{lang} {key}: {number} not labelled KP2MI ({label!r})")
    return problems


def sapa_where_trafficking(corpus: Corpus) -> list[str]:
    """Item 4: a text that speaks of trafficking names SAPA 129 with its number."""
    number = re.compile(rf"(?<!\d){re.escape(number_of(corpus, 'sapa129'))}(?!\d)")
    mentions = re.compile(r"(?i)perdagangan orang|trafficking|\bTPPO\b")
    return [
        f"{lang} {key}: speaks of trafficking without SAPA {number.pattern}"
        for lang, key, text in corpus.texts()
        if mentions.search(text) and not ("SAPA" in text and number.search(text))
    ]


def numbers_are_facts(corpus: Corpus) -> list[str]:
    """Item 5: the catalogues type no phone number or date; each is a fact placeholder, written
    once next to its source."""
    problems = []
    for lang, texts in corpus.raw.items():
        for key, text in texts.items():
            bare = re.sub(r"\{[^{}]*\}", " ", text)
            for found in NUMBER_LIKE.finditer(bare):
                token = found.group().strip()
                dated = any(ch.isalpha() for ch in token)
                phone_like = sum(ch.isdigit() for ch in token) >= 3
                if (dated or phone_like) and token not in TABLES["not_a_fact"]:
                    problems.append(f"{lang} {key}: {token!r} is typed in, not a fact placeholder")
    return problems


def qualified_payment_advice(corpus: Corpus) -> list[str]:
    """Item 9: 'do not pay' always says whom (a calo, a personal account, this agency), unless
    the whole text is about one agency it names (an agency-check answer, {query} or {name}) or
    is only ever shown under such a name (`about_one_agency`)."""
    advice = re.compile(r"(?i)\bjangan\b[^.?!]*\bbayar\b|\b(?:do not|don't|never)\b[^.?!]*\bpay\b")
    qualifiers = TABLES["payment_qualifiers"]
    problems = []
    for lang, key, text in corpus.texts():
        if "{query}" in text or "{name}" in text or key in TABLES["about_one_agency"]:
            continue
        for sentence in re.split(r"(?<=[.?!])\s", text):
            if advice.search(sentence) and not any(q in sentence for q in qualifiers):
                problems.append(f"{lang} {key}: unqualified {sentence.strip()!r}")
    return problems


def info_sms_matches_pages(corpus: Corpus) -> list[str]:
    """Item 10: the INFO SMS uses only facts the pages use, names no number they do not, and
    says what the pages say."""
    problems = []
    listed = (
        {h.key for h in corpus.content.hotlines} if HOTLINES_TOPIC in corpus.pages["id"] else set()
    )
    facts = {f.key for f in corpus.content.facts} | {h.key for h in corpus.content.hotlines}
    for lang in corpus.content.codes:
        raw = corpus.raw[lang]
        in_pages = listed | {
            name for key, text in raw.items() if key.startswith("topic.") for name in _names(text)
        }
        for name in sorted((_names(raw["sms.info"]) & facts) - in_pages):
            problems.append(f"{lang} sms.info: states {{{name}}}, the pages do not")
        pages = digits_joined(corpus.all_pages(lang))
        info = corpus.content.text("sms.info", lang)
        for found in NUMBER_LIKE.finditer(info):
            if digits_joined(found.group().strip()) not in pages:
                problems.append(f"{lang} sms.info: names {found.group()!r}, the pages do not")
        for phrase in TABLES["info_sms_says"].get(lang, ()):
            if phrase not in info or phrase not in corpus.all_pages(lang):
                problems.append(f"{lang} sms.info: {phrase!r} is not in both the SMS and the pages")
    return problems


def _names(text: str) -> set[str]:
    return {name.split("!")[0].split(":")[0] for name in re.findall(r"\{([^{}]+)\}", text)}


def pages_fit(corpus: Corpus) -> list[str]:
    """Every page fits its screen; a topic's last page leaves room for the topic's options."""
    problems = []
    for lang, topics in corpus.pages.items():
        for topic, pages in topics.items():
            for n, page in enumerate(pages, start=1):
                limit = LAST_PAGE_LIMIT if n == len(pages) else PAGE_LIMIT
                if len(page) > limit:
                    key = _page_key(corpus, lang, topic, page)
                    problems.append(f"{lang} {key}: {len(page)} characters, at most {limit}")
    return problems


def _page_key(corpus: Corpus, lang: str, topic: str, page: str) -> str:
    keys = [k for k, v in corpus.content.texts[lang].items() if k.startswith(f"topic.{topic}.")]
    return next((k for k in keys if corpus.content.texts[lang][k] == page), f"topic.{topic}")


RULES: dict[str, Rule] = {
    "item1-kp2mi-named": kp2mi_named,
    "item4-sapa-where-trafficking": sapa_where_trafficking,
    "item5-numbers-are-facts": numbers_are_facts,
    "item9-qualified-payment-advice": qualified_payment_advice,
    "item10-info-sms-matches-pages": info_sms_matches_pages,
    "pages-fit": pages_fit,
    **{entry["rule"]: forbidden_rule(entry) for entry in TABLES["forbidden"]},
    **{entry["rule"]: pages_rule(entry) for entry in TABLES["pages_must_say"]},
}
BUNDLED_CORPUS = corpus_of()


# --- Putting an old text back --------------------------------------------------------------------


def tree_with(tmp_path: Path, lang: str, key: str, text: str) -> Path:
    """A copy of the bundled catalogues and facts with one text replaced."""
    for part in ("catalogues", "content"):
        shutil.copytree(str(BUNDLED.joinpath(part)), tmp_path / part)
    po = tmp_path / "catalogues" / f"{lang}.po"
    with po.open("rb") as handle:
        messages = read_po(handle)
    assert key in messages, f"{key} is not in {lang}.po"
    messages[key].string = text
    with po.open("wb") as handle:
        write_po(handle, messages)
    return tmp_path


class TestRules:
    @pytest.mark.parametrize("name", sorted(RULES))
    def test_the_content_keeps_the_rule(self, name: str) -> None:
        """The bundled content, every language, breaks none of the rules."""
        assert [] == RULES[name](BUNDLED_CORPUS)

    @pytest.mark.parametrize(
        "case",
        TABLES["old_texts"],
        ids=[f"item{c['item']}-{c['lang']}-{c['key']}" for c in TABLES["old_texts"]],
    )
    def test_an_old_text_put_back_is_reported(self, tmp_path: Path, case: dict[str, Any]) -> None:
        """The rule catches the text it was written against, when that text is put back."""
        root = tree_with(tmp_path, case["lang"], case["key"], case["old"])
        problems = RULES[case["rule"]](corpus_of(root))
        assert any(case["reports"] in p for p in problems), problems

    def test_every_item_has_an_old_text(self) -> None:
        """Items 1 and 4-11 each have at least one old text that a rule catches."""
        items = {case["item"] for case in TABLES["old_texts"]}
        assert {1, 4, 5, 6, 7, 8, 9, 10, 11} <= items


class TestFactsAndHotlines:
    def test_every_hotline_and_fact_is_sourced_and_dated(self) -> None:
        """Each bundled hotline and fact names a source and the date it was checked."""
        items = (*BUNDLED_CORPUS.content.hotlines, *BUNDLED_CORPUS.content.facts)
        assert [] == [i.key for i in items if not i.source.strip() or i.verified_on is None]

    def test_every_fact_value_is_used(self) -> None:
        """A fact with a value is stated by some text (else it is stale or misnamed)."""
        used = {
            name
            for texts in BUNDLED_CORPUS.raw.values()
            for t in texts.values()
            for name in _names(t)
        }
        valued = {f.key for f in BUNDLED_CORPUS.content.facts if f.values}
        assert set() == valued - used

    def test_used_in_names_existing_texts(self) -> None:
        """facts.toml's editor's note `used_in` names catalogue keys or hotlines that exist."""
        raw = tomllib.loads(BUNDLED.joinpath("content", "facts.toml").read_text("utf-8"))
        keys = set(BUNDLED_CORPUS.content.texts["id"])
        hotlines = {f"hotline: {h.key}" for h in BUNDLED_CORPUS.content.hotlines}
        named = {where for fact in raw.values() for where in fact.get("used_in", [])}
        assert set() == named - keys - hotlines

    def test_the_offices_residents_need_have_their_numbers(self) -> None:
        """KP2MI, the police and SAPA 129 (call and WhatsApp) are hotline data (items 1, 4)."""
        hotlines = {h.key: h for h in BUNDLED_CORPUS.content.hotlines}
        assert {"kp2mi", "police", "sapa129", "sapa129_wa"} <= hotlines.keys()
        assert ("0800-1000", "110", "129") == tuple(
            hotlines[k].number for k in ("kp2mi", "police", "sapa129")
        )


class TestHotlinesTopic:
    @pytest.mark.parametrize("lang", LANGS)
    def test_the_topic_lists_every_hotline(self, lang: str) -> None:
        """Each hotline appears as name: number (what for), then the topic's own last page."""
        pages = BUNDLED_CORPUS.pages[lang][HOTLINES_TOPIC]
        shown = "\n".join(pages)
        for hotline in BUNDLED_CORPUS.content.hotlines:
            line = f"{hotline.name(lang)}: {hotline.number} ({hotline.purpose(lang)})"
            assert line in shown
        assert pages[-1] == BUNDLED_CORPUS.content.text(f"topic.{HOTLINES_TOPIC}.1", lang)

    def test_a_long_hotline_line_is_wrapped_not_cut(self, tmp_path: Path) -> None:
        """An operator's long purpose goes over pages of at most the page limit, every word kept."""
        local = tmp_path / "hotlines.toml"
        local.write_text(HOTLINE.replace("daftar kerja luar negeri", "daftar " * 30))
        content = load(local)
        pages = hotline_pages(content.hotlines[-1:], "id")
        assert (True, 30) == (
            all(len(p) <= PAGE_LIMIT for p in pages),
            " ".join(pages).count("daftar"),
        )

    @pytest.mark.parametrize(("lang", "inputs"), [("id", ["4"]), ("en", ["5", "2", "4"])])
    async def test_an_operators_number_reaches_residents(
        self,
        tmp_path: Path,
        sample_db: str,
        config: Config,
        aiohttp_client: Any,
        lang: str,
        inputs: list[str],
    ) -> None:
        """A number in HOTLINE_HOTLINES_FILE is on the hotlines pages residents read by USSD."""
        local = tmp_path / "hotlines.toml"
        local.write_text(HOTLINE, "utf-8")
        try:
            client: TestClient = await aiohttp_client(
                create_app(replace(config, hotlines_file=local), sample_db)
            )
            topics = [t.key for t in load_topics()]
            path = [*inputs, str(topics.index(HOTLINES_TOPIC) + 1)]
            session, seen = f"ATUid_hotlines_{lang}", []
            await hop(client, "", session)
            body = await hop(client, "*".join(path), session)
            seen.append(body)
            while "99 " in body.split("\n")[-2]:
                path.append("99")
                body = await hop(client, "*".join(path), session)
                seen.append(body)
        finally:
            catalogue.use(load())
        assert "0254-000000" in "\n".join(seen)
