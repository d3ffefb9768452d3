"""
Destination countries, job kinds and closed destinations (bans), as data, with pure resolvers.

Officials and residents write countries as they say them ("Arab", "KSA", "Hongkong", "Jepang",
"malaysya"); job-order files do too. content/countries.toml lists each country's code, Indonesian
and English names and common aliases, and the fixed list of job kinds; `country()` and `job()`
resolve typed text against them (exact first, then one typo tolerated with rapidfuzz, and nothing
rather than a guess between two). content/bans.toml says which jobs are closed in which countries
since when, each with its source and the date it was checked: like facts and hotlines
(ussd_menus/catalogue.py), an entry without them is refused when the module loads, so the service
does not start on an unsourced ban.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from importlib.resources.abc import Traversable
from typing import Any

from rapidfuzz import fuzz, process

from ussd_menus.catalogue import BUNDLED, ContentError
from ussd_menus.model import Lang

ANY_JOB = "*"
# A typed name matches an alias this similar (0-100, rapidfuzz ratio): 'malaysya' finds
# 'malaysia', 'oman' does not find 'japan'.
FUZZY_CUTOFF = 84
# Two different countries scoring within this of each other: ambiguous, nothing is guessed.
AMBIGUOUS_MARGIN = 3


@dataclass(frozen=True, slots=True)
class Country:
    """A destination country: ISO code and its names."""

    code: str
    names: Mapping[str, str]  # language -> name
    aliases: tuple[str, ...] = ()

    def name(self, lang: Lang) -> str:
        """The country's name in lang (Indonesian where a language has none)."""
        return self.names.get(lang) or self.names["id"]


@dataclass(frozen=True, slots=True)
class JobKind:
    """One of the fixed job kinds job orders and bans name."""

    key: str
    labels: Mapping[str, str]
    aliases: tuple[str, ...] = ()

    def label(self, lang: Lang) -> str:
        """The job's label in lang (Indonesian where a language has none)."""
        return self.labels.get(lang) or self.labels["id"]


@dataclass(frozen=True, slots=True)
class Ban:
    """Placement closed for these jobs (or every job, ANY_JOB) in these countries since a date."""

    key: str
    countries: tuple[str, ...]
    jobs: tuple[str, ...]
    since: date
    labels: Mapping[str, str]
    source: str
    verified_on: date

    def covers(self, country: str, job: str) -> bool:
        """Whether this ban closes `job` in `country`."""
        return country in self.countries and (ANY_JOB in self.jobs or job in self.jobs)

    def label(self, lang: Lang) -> str:
        """The rule's short name (a decree number), for a reply."""
        return self.labels.get(lang) or self.labels.get("id", self.key)


@dataclass(frozen=True, slots=True)
class Destinations:
    """Countries, job kinds and bans, checked."""

    countries: tuple[Country, ...]
    jobs: tuple[JobKind, ...]
    bans: tuple[Ban, ...]

    def country_by_code(self, code: str) -> Country | None:
        """The country with that code."""
        return next((c for c in self.countries if c.code == code), None)

    def job_by_key(self, key: str) -> JobKind | None:
        """The job kind with that key."""
        return next((j for j in self.jobs if j.key == key), None)

    def bans_for(self, country: str, job: str) -> tuple[Ban, ...]:
        """The bans closing `job` in `country`."""
        return tuple(b for b in self.bans if b.covers(country, job))


_NOISE = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Text as names compare: no accents, case or punctuation, single spaces."""
    ascii_only = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOISE.sub(" ", ascii_only.lower()).strip()


def _resolve(text: str, names: Sequence[tuple[str, str]]) -> str | None:
    """The key whose name (folded) is the typed text, else the one fuzzy match; None when
    nothing is close or two keys are equally close."""
    typed = fold(text)[:60]
    if not typed:
        return None
    exact = {key for name, key in names if name == typed}
    if len(exact) == 1:
        return exact.pop()
    if len(typed) < 4:  # 'ks', 'abc': too short to guess at
        return None
    found = process.extract(
        typed, [name for name, _ in names], scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=8
    )
    if not found:
        return None
    best_key = names[found[0][2]][1]
    best = found[0][1]
    rivals = {names[i][1] for _, score, i in found if best - score <= AMBIGUOUS_MARGIN}
    return best_key if rivals == {best_key} else None


def country(text: str, table: Destinations | None = None) -> Country | None:
    """The country a person typed ('Arab', 'KSA', 'hongkong', 'Jepang', 'Malysia'), or None."""
    table = table or active()
    names = [(fold(n), c.code) for c in table.countries for n in _all_names(c)]
    code = _resolve(text, names)
    return table.country_by_code(code) if code else None


def job(text: str, table: Destinations | None = None) -> JobKind | None:
    """The job kind a person typed ('PLRT', 'pembantu', 'ABK', 'pabrik'), or None."""
    table = table or active()
    names = [(fold(n), j.key) for j in table.jobs for n in (j.key, *j.labels.values(), *j.aliases)]
    key = _resolve(text, names)
    return table.job_by_key(key) if key else None


def is_listed(text: str, table: Destinations | None = None) -> bool:
    """Whether the text is a country's or job's name or alias exactly (no typo)."""
    table = table or active()
    typed = fold(text)
    return any(typed == fold(n) for c in table.countries for n in _all_names(c)) or any(
        typed == fold(n) for j in table.jobs for n in (j.key, *j.labels.values(), *j.aliases)
    )


def _all_names(c: Country) -> tuple[str, ...]:
    return (c.code, *c.names.values(), *c.aliases)


# --- Loading and checking ------------------------------------------------------------------------


def load(root: Traversable = BUNDLED) -> Destinations:
    """countries.toml and bans.toml under root; ContentError naming every problem."""
    problems: list[str] = []

    def read(name: str) -> dict[str, Any]:
        return tomllib.loads(root.joinpath("content", name).read_text("utf-8"))

    raw = read("countries.toml")
    countries = tuple(
        Country(code, {k: str(entry.get(k, "")) for k in ("id", "en")}, _strings(entry))
        for code, entry in raw.get("country", {}).items()
    )
    jobs = tuple(
        JobKind(key, {k: str(v) for k, v in entry.items() if k != "aliases"}, _strings(entry))
        for key, entry in raw.get("job", {}).items()
    )
    problems += _name_clashes(countries)
    bans = _bans(read("bans.toml"), {c.code for c in countries}, {j.key for j in jobs}, problems)
    if problems:
        raise ContentError(problems)
    return Destinations(countries, jobs, bans)


def _strings(entry: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(a) for a in entry.get("aliases", ()))


def _name_clashes(countries: tuple[Country, ...]) -> list[str]:
    """A name or alias that stands for two countries."""
    owner: dict[str, str] = {}
    problems = []
    for c in countries:
        if not c.names.get("id") or not c.names.get("en"):
            problems.append(f"countries.toml: {c.code}: needs id and en names")
        for name in {fold(n) for n in _all_names(c)}:
            if owner.setdefault(name, c.code) != c.code:
                problems.append(f"countries.toml: {name!r} names {owner[name]} and {c.code}")
    return problems


def _bans(
    raw: Mapping[str, Any], codes: set[str], jobs: set[str], problems: list[str]
) -> tuple[Ban, ...]:
    out = []
    for key, entry in raw.items():
        where = f"bans.toml: {key}"
        since, checked = entry.get("since"), entry.get("verified_on")
        source = str(entry.get("source", "")).strip()
        if not source:
            problems.append(f"{where}: needs a source")
        if not isinstance(since, date):
            problems.append(f"{where}: needs since, the date it took effect (YYYY-MM-DD)")
        if not isinstance(checked, date):
            problems.append(f"{where}: needs verified_on, the date it was checked (YYYY-MM-DD)")
        countries = tuple(str(c) for c in entry.get("countries", ()))
        kinds = tuple(str(j) for j in entry.get("jobs", ()))
        unknown = [c for c in countries if c not in codes] + [
            j for j in kinds if j != ANY_JOB and j not in jobs
        ]
        if unknown or not countries or not kinds:
            problems.append(f"{where}: needs known countries and jobs (unknown: {unknown})")
        if isinstance(since, date) and isinstance(checked, date) and source:
            labels = entry.get("label", {})
            out.append(Ban(key, countries, kinds, since, dict(labels), source, checked))
    return tuple(out)


_active: list[Destinations] = [load()]  # the bundled data, checked on import


def active() -> Destinations:
    """The countries, job kinds and bans in use."""
    return _active[0]


def jobs_list(lang: Lang, table: Destinations | None = None) -> str:
    """The job kinds' labels, comma-separated (for a re-prompt)."""
    return ", ".join(j.label(lang) for j in (table or active()).jobs)
