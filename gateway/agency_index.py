"""
The in-memory agency search index, with the agencies' job orders.

The registry is small (hundreds of rows), so every gateway process holds it in memory and searches
without touching PostgreSQL; gateway.directory_watch keeps it current.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import date
from functools import lru_cache

from rapidfuzz import fuzz, process, utils

from storage.job_orders import JobOrder
from storage.registry import Agency, normalize_licence

# A name word counts as typed when this similar to a query word (0-100, rapidfuzz ratio):
# 'samudera' finds 'samudra', 'jaya' does not find 'raya'.
WORD_CUTOFF = 80
# A name matches when its words cover this share of the query's words (a missing word counts 0),
# so one extra word such as a town name is forgiven but one shared word such as 'Jaya' is not.
MATCH_CUTOFF = 75
MAX_RESULTS = 15  # five pages of three on a USSD screen
# A word typed short ('samu' for 'samudra') counts this much when it begins a name word.
PREFIX_SCORE = 90
MIN_PREFIX = 3
_LEGAL_FORM = re.compile(r"^(?:p\s*t|c\s*v)\b\s*|\s*\b(?:tbk|persero)$")
_LICENCE_LIKE = re.compile(r"^[\d\s.\-/]{6,}$")


def name_key(name: str) -> str:
    """A name as search compares it: no accents, case, punctuation or 'PT'/'P.T.'/'Tbk'."""
    ascii_only = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return _LEGAL_FORM.sub("", utils.default_process(ascii_only)).strip()


class AgencyIndex:
    """Exact search by licence number and ranked, typo-tolerant search by the words of a name."""

    def __init__(
        self,
        agencies: Sequence[Agency],
        orders: Sequence[JobOrder] | None = None,
        orders_date: date | None = None,
    ) -> None:
        self.agencies = tuple(agencies)
        # Job orders by licence; None: none were ever imported (answers then say nothing of them).
        self._orders: dict[str, list[JobOrder]] | None = None
        if orders is not None:
            self._orders = {}
            for order in orders:
                self._orders.setdefault(order.licence_number, []).append(order)
        self.job_orders_date = orders_date
        # The import records the same date (storage.registry.replace_registry): the newest row's.
        dates = [a.snapshot_date for a in agencies if a.snapshot_date is not None]
        self.snapshot_date: date | None = max(dates) if dates else None
        self._by_licence = {a.licence_number: a for a in agencies}
        self._keys = [name_key(a.name) for a in agencies]
        self._words = [key.split() for key in self._keys]
        self._postings: dict[str, list[int]] = {}
        for i, words in enumerate(self._words):
            for word in set(words):
                self._postings.setdefault(word, []).append(i)
        self._vocabulary = list(self._postings)
        # A USSD hop replays its path, so the same query is searched several times in a row.
        self._cached = lru_cache(maxsize=1024)(self._search)

    def job_orders(self, licence_number: str) -> tuple[JobOrder, ...] | None:
        """The agency's job orders (valid or not); None when none were ever imported."""
        if self._orders is None:
            return None
        return tuple(self._orders.get(normalize_licence(licence_number), ()))

    def recruiting_for(self, country_code: str, today: date) -> tuple[str, ...]:
        """Names of the agencies that may recruit today (Agency.effective_status) with a job
        order to that country valid today, by name."""
        names = {
            a.name
            for a in self.agencies
            if a.effective_status(today) == "aktif"
            and any(
                o.country_code == country_code and o.valid_until >= today
                for o in (self._orders or {}).get(a.licence_number, ())
            )
        }
        return tuple(sorted(names))

    def get(self, licence_number: str) -> Agency | None:
        """The agency with that licence number, if any."""
        return self._by_licence.get(normalize_licence(licence_number))

    def search(self, query: str) -> tuple[Agency, ...]:
        """Matches for a name or licence number, best first."""
        return self._cached(query)

    def _search(self, query: str) -> tuple[Agency, ...]:
        if _LICENCE_LIKE.match(query.strip()):
            found = self.get(query)
            return (found,) if found else ()
        key = name_key(query)
        exact = [a for a, k in zip(self.agencies, self._keys, strict=True) if k == key]
        if exact or not key:
            return tuple(exact)
        words = list(dict.fromkeys(key.split()))
        # Best similarity of each query word within each candidate name.
        best: dict[int, list[float]] = {}
        for position, word in enumerate(words):
            similar_words = process.extract(
                word, self._vocabulary, scorer=fuzz.ratio, limit=None, score_cutoff=WORD_CUTOFF
            )
            if len(word) >= MIN_PREFIX:
                similar_words += [
                    (v, PREFIX_SCORE, 0) for v in self._vocabulary if v.startswith(word)
                ]
            for similar, score, _ in similar_words:
                for i in self._postings[similar]:
                    scores = best.setdefault(i, [0.0] * len(words))
                    scores[position] = max(scores[position], score)
        ranked = sorted(
            (-sum(scores) / len(words), len(self._words[i]), self._keys[i], i)
            for i, scores in best.items()
            if sum(scores) / len(words) >= MATCH_CUTOFF
        )
        return tuple(self.agencies[i] for *_, i in ranked[:MAX_RESULTS])
