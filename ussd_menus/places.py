"""
Where an SMS tip happened: the kecamatan (and the desa, where named) found in its free text, so an
SMS tip reaches the local tier like a USSD tip whose caller picked the kecamatan.

Precision comes before recall: a tip routed to the wrong kecamatan reaches officials who cannot
act on it (and may know the reporter), while a tip with no place still reaches the regency tier.
So a name counts only as whole words ("kopo" is not found inside "kopong"), names that are also
common words ("teras", "lamaran", "bandung") or short (five letters or fewer) count only after
a prefix ("desa", "ds.", "kel.", "kec."), a typo (one edit) is forgiven only in longer names,
words right after "PT" or "CV" are an agency's name, and anything ambiguous gives no place at all.
Names match with or without their spaces ("pulo ampel", "puloampel"). A desa name shared by
several kecamatan is resolved by a kecamatan also named, or by all its candidates lying in one.

Pure: the kecamatan and desa lists come in as arguments (the gateway loads them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from ussd_menus.model import Desa, Kecamatan

KECAMATAN_PREFIXES = frozenset({"kec", "kecamatan", "kcm", "kecam"})
DESA_PREFIXES = frozenset({"ds", "desa", "kel", "kelurahan", "dsa"})
# A name right after these words is (part of) an agency's or a person's name, not a place.
NOT_PLACE_AFTER = frozenset({"pt", "cv", "pjtki", "p3mi", "lpk", "yayasan", "bapak", "pak", "bu"})
# Place names that are also everyday words (or other places residents talk about): only after a
# prefix. Short names (SHORT or fewer letters) are treated the same way.
COMMON_WORDS = frozenset(
    {
        "anyar",
        "agung",
        "babakan",
        "bakung",
        "bale",
        "bandung",
        "bendung",
        "bolang",
        "cakung",
        "cipayung",
        "curug",
        "damping",
        "gabus",
        "garut",
        "grogol",
        "jaya",
        "julang",
        "kampungbaru",
        "kebon",
        "kemuning",
        "lamaran",
        "labuan",
        "luwuk",
        "malabar",
        "melati",
        "mekarbaru",
        "mekarjaya",
        "padang",
        "parigi",
        "petir",
        "pondok",
        "sanding",
        "sentul",
        "talaga",
        "tambak",
        "teras",
        "umbul",
        "undar",
        "waringin",
    }
)
SHORT = 5
# Fewest letters for a typo to be forgiven: after a prefix, and without one.
TYPO_PREFIXED = 6
TYPO_BARE = 7
MAX_WORDS = 3  # a name typed as at most this many words ("curug sulan jana" is not one)
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Place:
    """Where a tip happened: a kecamatan code and, when named, a desa code of that kecamatan."""

    kecamatan_code: str
    desa_code: str | None = None


@dataclass(frozen=True, slots=True)
class _Entry:
    """One name as typed without spaces: the kecamatan and the desa that bear it."""

    key: str
    kecamatan: frozenset[str]
    desa: frozenset[tuple[str, str]]  # (desa code, its kecamatan code)


@dataclass(frozen=True, slots=True)
class _Mention:
    """A name found in the text: where, and as what it may be read."""

    start: int
    end: int
    exact: bool
    kecamatan: frozenset[str]
    desa: frozenset[tuple[str, str]]


class Gazetteer:
    """The names of a regency's kecamatan and desa, keyed without spaces, ready to match."""

    def __init__(self, kecamatan: Iterable[Kecamatan], desa: Iterable[Desa]) -> None:
        kec: dict[str, set[str]] = {}
        des: dict[str, set[tuple[str, str]]] = {}
        for k in kecamatan:
            kec.setdefault(squash(k.name), set()).add(k.code)
        for d in desa:
            des.setdefault(squash(d.name), set()).add((d.code, d.kecamatan_code))
        self.entries = {
            key: _Entry(key, frozenset(kec.get(key, ())), frozenset(des.get(key, ())))
            for key in kec.keys() | des.keys()
        }
        # Names by length: a name one edit away is at most one letter longer or shorter.
        by_length: dict[int, list[str]] = {}
        for key in sorted(self.entries):
            for size in (len(key) - 1, len(key), len(key) + 1):
                by_length.setdefault(size, []).append(key)
        self.near_length = {size: tuple(keys) for size, keys in by_length.items()}

    def lookup(self, typed: str, *, prefixed: bool) -> tuple[_Entry, bool] | None:
        """The entry a squashed word group names, and whether exactly; None when none does or
        a typo leaves two names equally near."""
        entry = self.entries.get(typed)
        if entry is not None:
            return entry, True
        if len(typed) < (TYPO_PREFIXED if prefixed else TYPO_BARE):
            return None
        keys = self.near_length.get(len(typed), ())
        near = process.extract(typed, keys, scorer=OSA.distance, score_cutoff=1, limit=3)
        if len(near) != 1:
            return None
        return self.entries[near[0][0]], False


def squash(name: str) -> str:
    """A name as compared: lower case, letters and digits only ("Pulo Ampel" -> "puloampel")."""
    return "".join(_WORD.findall(name.casefold()))


@lru_cache(maxsize=4)
def gazetteer(kecamatan: tuple[Kecamatan, ...], desa: tuple[Desa, ...]) -> Gazetteer:
    """The gazetteer of these lists, built once."""
    return Gazetteer(kecamatan, desa)


def find_place(text: str, kecamatan: tuple[Kecamatan, ...], desa: tuple[Desa, ...]) -> Place | None:
    """The place an SMS names, or None when it names none, or several, or one ambiguously."""
    return find_in(text, gazetteer(kecamatan, desa))


def find_in(text: str, places: Gazetteer) -> Place | None:
    """find_place with the gazetteer already built (the gateway keeps one)."""
    place = resolve(mentions(text, places))
    doubt = weak_kecamatan(text, places)
    if place is None or not doubt or doubt == {place.kecamatan_code}:
        return place
    return None


def mentions(text: str, places: Gazetteer) -> list[_Mention]:
    """The names in a text, longest first where they overlap; a short or common kecamatan name
    right after a desa ("ds. junti jawilan") counts too."""
    words = _WORD.findall(text.casefold().replace("-", ""))
    agency = _agency_words(words)
    found: list[_Mention] = []
    for start in range(len(words)):
        before = words[start - 1] if start else ""
        if words[start] in PREFIXES or start in agency:
            continue
        for size in range(1, MAX_WORDS + 1):
            group = words[start : start + size]
            if len(group) < size or any(w in PREFIXES or i in agency for i, w in _at(group, start)):
                break
            mention = _mention(places, group, start, before)
            if mention is not None:
                found.append(mention)
    kept = _longest(found)
    return _longest(kept + [k for m in kept if m.desa for k in _kecamatan_after(places, words, m)])


def weak_kecamatan(text: str, places: Gazetteer) -> set[str]:
    """Kecamatan named only by a short bare word ("kibin"): too weak to route a tip on, strong
    enough to make another place found in the same text doubtful."""
    words = _WORD.findall(text.casefold())
    return {
        code
        for w in words
        if len(w) <= SHORT and w not in COMMON_WORDS and w in places.entries
        for code in places.entries[w].kecamatan
    }


PREFIXES = KECAMATAN_PREFIXES | DESA_PREFIXES
# Words that end an agency's name ("PT Maju di Kragilan").
_NAME_ENDS = frozenset({"di", "dari", "dr", "ke", "yg", "yang", "ada", "dan", "minta", "asal"})
AGENCY_WORDS = 3  # an agency's name after PT or CV is taken to be at most this many words


def _at(group: list[str], start: int) -> list[tuple[int, str]]:
    return list(enumerate(group, start=start))


def _agency_words(words: list[str]) -> set[int]:
    """Positions of the words of an agency's name: up to AGENCY_WORDS after PT, CV and the
    like, until a word that ends a name."""
    taken: set[int] = set()
    for i, word in enumerate(words):
        if word in NOT_PLACE_AFTER:
            for j in range(i + 1, min(i + 1 + AGENCY_WORDS, len(words))):
                if words[j] in _NAME_ENDS or words[j] in PREFIXES:
                    break
                taken.add(j)
    return taken


def _kecamatan_after(places: Gazetteer, words: list[str], desa: _Mention) -> list[_Mention]:
    """A kecamatan named, exactly, by the one or two words right after a desa."""
    found = []
    for size in (1, 2):
        typed = "".join(words[desa.end : desa.end + size])
        entry = places.entries.get(typed) if desa.end + size <= len(words) else None
        if entry is not None and entry.kecamatan:
            found.append(_Mention(desa.end, desa.end + size, True, entry.kecamatan, frozenset()))
    return found


def _mention(places: Gazetteer, group: list[str], start: int, before: str) -> _Mention | None:
    """The name a word group stands for, read as the prefix before it allows."""
    typed = "".join(group)
    as_kec, as_desa = before in KECAMATAN_PREFIXES, before in DESA_PREFIXES
    prefixed = as_kec or as_desa
    if not prefixed and (len(typed) <= SHORT or typed in COMMON_WORDS):
        return None
    if len(group) > 1 and any(len(w) < 2 for w in group):
        return None
    hit = places.lookup(typed, prefixed=prefixed)
    if hit is None:
        return None
    entry, exact = hit
    if not prefixed and entry.key in COMMON_WORDS:
        return None
    kec = entry.kecamatan if not as_desa else frozenset()
    # A bare name that is a kecamatan's is read as the kecamatan (the desa of the same name
    # lies in it, or the writer would have said "desa").
    des = entry.desa if as_desa or (not as_kec and not entry.kecamatan) else frozenset()
    if not kec and not des:
        return None
    return _Mention(start, start + len(group), exact, kec, des)


def _longest(found: list[_Mention]) -> list[_Mention]:
    """Overlapping mentions keep the longest (exact before a typo): "cikande permai" is one
    desa, not the kecamatan Cikande."""
    kept: list[_Mention] = []
    for m in sorted(found, key=lambda m: (-(m.end - m.start), not m.exact, m.start)):
        if all(m.end <= k.start or m.start >= k.end for k in kept):
            kept.append(m)
    return sorted(kept, key=lambda m: m.start)


def resolve(found: list[_Mention]) -> Place | None:
    """One place from the names found, or None when they disagree."""
    named_kec: set[str] = set().union(*(m.kecamatan for m in found))
    desa: set[tuple[str, str]] = set().union(*(m.desa for m in found))
    if named_kec:
        within = {d for d in desa if d[1] in named_kec}
        desa = within or desa
    if len({code for code, _ in desa}) == 1:
        code, kec = next(iter(desa))
        if not named_kec or kec in named_kec:
            return Place(kec, code)
        return None
    desa_kec = {kec for _, kec in desa}
    if named_kec:
        if len(named_kec) == 1 and (not desa_kec or desa_kec <= named_kec):
            return Place(next(iter(named_kec)))
        return None
    if len(desa_kec) == 1:
        return Place(next(iter(desa_kec)))
    return None


MIN_TYPED = 3  # fewer letters typed at the USSD desa step match too much


def match_desa(typed: str, desa: tuple[Desa, ...]) -> tuple[Desa, ...]:
    """The desa (of one kecamatan, at the USSD desa step) a caller means by what they typed: the
    one named exactly, else those whose name contains it (spaces ignored), else those one typo
    away from it, as a whole name or as its beginning. Empty when none is."""
    key = squash(typed)
    if len(key) < MIN_TYPED:
        return ()
    exact = tuple(d for d in desa if squash(d.name) == key)
    if exact:
        return exact
    inside = tuple(d for d in desa if key in squash(d.name))
    if inside:
        return inside
    return tuple(
        d
        for d in desa
        if OSA.distance(key, squash(d.name), score_cutoff=1) <= 1
        or (len(key) >= TYPO_PREFIXED - 2 and OSA.distance(key, squash(d.name)[: len(key)]) <= 1)
    )
