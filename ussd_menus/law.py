"""
The law in the official's pocket: a short reference for village officials (the regent's first
point), on paged USSD screens and as one SMS (HUKUM / ATURAN, or from the USSD menu).

Its items are the desa's duties under UU 18/2017 (Pasal 42), the documents a migrant needs and what
the kepala desa's signature attests (Pasal 13), the legal routes, the closed destinations and whom
to call. The words are catalogue texts (law.<item>.*); what each item rests on is the SAME fact
data residents' topics use (content/facts.toml, content/hotlines.toml): every item ends with the
citation (`cite`) and the date (`verified_on`) of each of its facts, or, for whom to call, each
number with the date it was confirmed. Nothing is typed twice: a fact corrected in facts.toml is
corrected here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ussd_menus import catalogue, sms_catalogue
from ussd_menus.catalogue import Fact, Hotline
from ussd_menus.model import Lang
from ussd_menus.paging import fit, split_pages
from ussd_menus.safe_migration import hotline_line
from ussd_menus.texts import day, t

LAW_TOPIC = "hukum"  # SendInfo's topic for the whole reference by SMS


@dataclass(frozen=True, slots=True)
class LawItem:
    """One item of the reference: its key (law.<key>.title/.text/.sms) and the facts (or the
    hotlines) it rests on."""

    key: str
    facts: tuple[str, ...] = ()
    hotlines: tuple[str, ...] = ()
    # The facts the SMS's shorter words state, if fewer than the screens'.
    sms_facts: tuple[str, ...] | None = None


ITEMS = (
    LawItem("desa", facts=("desa_duties",)),
    LawItem("dokumen", facts=("documents_required", "signature_attests")),
    LawItem("jalur", facts=("routes_placement",)),
    LawItem(
        "tutup",
        facts=("ban_middle_east", "spsk_saudi", "no_coop_kh_mm_th"),
        sms_facts=("ban_middle_east", "no_coop_kh_mm_th"),
    ),
    LawItem("kontak", hotlines=("kp2mi", "police", "sapa129")),
)


def law_items() -> tuple[LawItem, ...]:
    """The items, in menu order."""
    return ITEMS


def _fact(key: str) -> Fact:
    return next(f for f in catalogue.active().facts if f.key == key)


def _hotline(key: str) -> Hotline | None:
    return next((h for h in catalogue.active().hotlines if h.key == key), None)


def cited(fact: Fact) -> str:
    """A fact's citation and date, as the reference shows them: 'UU 18/2017 Ps 42, 22-11-2017'."""
    when = day(fact.verified_on) if fact.verified_on else "?"
    return f"{fact.cite or fact.key}, {when}"


def short_cite(fact: Fact) -> str:
    """A citation as the SMS gives it: the citation alone when it carries its year (a law's
    number), else with the fact's date."""
    if re.search(r"/\d{4}", fact.cite) or fact.verified_on is None:
        return fact.cite or fact.key
    return f"{fact.cite} {day(fact.verified_on)}"


def sources(item: LawItem, lang: Lang) -> str:
    """The item's source line: each fact's citation and date, or each number's."""
    if item.hotlines:
        found = [h for h in map(_hotline, item.hotlines) if h is not None]
        dated = "; ".join(f"{h.number} ({day(h.verified_on)})" for h in found if h.verified_on)
        return t("law.numbers_as_of", lang, sources=dated)
    cites = dict.fromkeys(cited(_fact(k)) for k in item.facts)
    return t("law.source", lang, sources="; ".join(cites))


def item_text(item: LawItem, lang: Lang) -> str:
    """The item's words as the USSD pages read them (whom to call: each number from the hotline
    data), without its sources."""
    text = t(f"law.{item.key}.text", lang)
    if item.hotlines:
        found = [h for h in map(_hotline, item.hotlines) if h is not None]
        text = " ".join([text, *(hotline_line(h, lang) + "." for h in found)])
    return text


def law_pages(key: str, lang: Lang, room: int) -> tuple[str, ...]:
    """One item cut into pages of at most `room` characters, its source line whole on the last
    page (on a page of its own when it does not fit beside the words). An unknown key: the first
    item."""
    item = next((i for i in ITEMS if i.key == key), ITEMS[0])
    pages = split_pages(item_text(item, lang), room, room)
    cited_by = sources(item, lang)
    if len(pages[-1]) + 1 + len(cited_by) <= room:
        return (*pages[:-1], f"{pages[-1]} {cited_by}")
    return (*pages, *split_pages(cited_by, room, room))


def law_sms(lang: Lang = "id") -> str:
    """The whole reference as one concatenated SMS (up to 3 segments): the law with its date, then
    each item's shorter words with the citations (and dates) of what is not that law, cut after
    the last sentence that fits."""
    law = _fact(ITEMS[0].facts[0])  # UU 18/2017 Pasal 42: the law every article cite names
    act = law.cite.rsplit(" Ps ", 1)[0]
    parts = [f"{act} ({day(law.verified_on) if law.verified_on else '?'})."]
    for item in ITEMS:
        facts = item.facts if item.sms_facts is None else item.sms_facts
        others = [short_cite(_fact(k)) for k in facts if not _fact(k).cite.startswith(act)]
        cites = f" ({'; '.join(dict.fromkeys(others))})" if others else ""
        parts.append(f"{t(f'law.{item.key}.sms', lang)}{cites}.")
    catalogue_ = sms_catalogue.active()
    room = catalogue_.room("official_law", lang, text="")
    return catalogue_.render("official_law", lang, text=fit(" ".join(parts), room))
