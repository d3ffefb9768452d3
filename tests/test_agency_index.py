"""The in-memory agency search: typo-tolerant by name, exact by licence number, best first."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gateway.agency_index import MAX_RESULTS, AgencyIndex, name_key
from storage.registry import Agency
from storage.sample import sample_agencies

SEARCHES = json.loads((Path(__file__).parent / "data" / "agency_search.json").read_text())
INDEX = AgencyIndex(sample_agencies())


def first_name(query: str) -> str:
    """The name of the best match, or 'none'."""
    found = INDEX.search(query)
    return found[0].name if found else "none"


class TestSearch:
    @pytest.mark.parametrize("case", SEARCHES, ids=[c["label"] for c in SEARCHES])
    def test_best_match(self, case: dict[str, Any]) -> None:
        """Each query's best match is the expected agency, or nothing at all."""
        assert case["first"] == first_name(case["query"])

    def test_labels_are_unique(self) -> None:
        """Every search case has its own label."""
        labels = [c["label"] for c in SEARCHES]
        assert sorted(set(labels)) == sorted(labels)

    @pytest.mark.parametrize("marker", ["contoh", "sampel", "fiktif"])
    def test_marker_word_gives_several_results(self, marker: str) -> None:
        """A word shared by many names gives more than one result."""
        assert len(INDEX.search(marker)) > 1

    @pytest.mark.parametrize("marker", ["contoh", "sampel", "fiktif"])
    def test_marker_word_results_all_contain_it(self, marker: str) -> None:
        """Every result for a single word has that word in its name."""
        names = [a.name for a in INDEX.search(marker)]
        assert [] == [name for name in names if marker not in name.casefold()]

    @pytest.mark.parametrize(
        "query", ["contoh", "sampel", "fiktif", "jaya", "contoh sampel fiktif", "PT"]
    )
    def test_results_never_exceed_the_limit(self, query: str) -> None:
        """No search returns more than MAX_RESULTS agencies."""
        assert len(INDEX.search(query)) <= MAX_RESULTS

    def test_broad_query_is_cut_at_the_limit(self) -> None:
        """With more matching names than MAX_RESULTS, MAX_RESULTS come back."""
        many = AgencyIndex(
            [Agency(f"99{i:015d}", f"PT Contoh Nama {i}", "aktif") for i in range(MAX_RESULTS + 5)]
        )
        assert MAX_RESULTS == len(many.search("contoh"))

    def test_every_marker_match_is_reachable(self) -> None:
        """All 14 sample 'Contoh' agencies are listed (the cap leaves room for them)."""
        assert 14 == len(INDEX.search("contoh"))

    def test_a_word_typed_short_finds_the_name(self) -> None:
        """The start of a name word ('samu') finds 'Samudra'."""
        assert "PT Contoh Samudra Karya" == INDEX.search("contoh samu")[0].name

    def test_exact_words_rank_first(self) -> None:
        """The name made of just the typed words ranks above a longer name holding them too."""
        assert ["PT Contoh Samudra Karya", "PT Contoh Karya Bhakti Samudra Nusantara"] == [
            a.name for a in INDEX.search("samudra karya")
        ]

    def test_exact_name_gives_only_that_agency(self) -> None:
        """A full registered name finds that one agency and no near neighbours."""
        assert ["PT Contoh Samudra Karya"] == [
            a.name for a in INDEX.search("PT Contoh Samudra Karya")
        ]

    def test_empty_registry_finds_nothing(self) -> None:
        """An empty index answers every query with no result."""
        assert () == AgencyIndex(()).search("PT Contoh Samudra Karya")

    def test_blank_query_finds_nothing(self) -> None:
        """A query of spaces and punctuation finds nothing."""
        assert () == INDEX.search(" . - ")


class TestGet:
    @pytest.mark.parametrize(
        "licence",
        ["99116000345227871", "9911-6000-3452-27871", "99.116 000.345 227871"],
        ids=["plain", "dashes", "dots-spaces"],
    )
    def test_formatted_licence_finds_the_agency(self, licence: str) -> None:
        """A licence number is found however it is punctuated."""
        found = INDEX.get(licence)
        assert "PT Contoh Samudra Karya" == (found.name if found else None)

    def test_unknown_licence_gives_none(self) -> None:
        """An unregistered licence number gives None."""
        assert INDEX.get("99000000000000000") is None


class TestNameKey:
    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("PT Contoh Samudra Karya", "contoh samudra karya"),
            ("P.T. Contoh Samudra Karya", "contoh samudra karya"),
            ("PT. Contoh Samudra Karya", "contoh samudra karya"),
            ("CV Contoh Samudra Karya", "contoh samudra karya"),
            ("PT Contoh Samudra Karya Tbk", "contoh samudra karya"),
            ("PT Contoh Sámudra Kärya", "contoh samudra karya"),
            ("Ptolemy Karya", "ptolemy karya"),
        ],
        ids=["pt", "dotted-pt", "pt-full-stop", "cv", "tbk", "accents", "pt-inside-a-word"],
    )
    def test_legal_form_case_and_accents_are_dropped(self, name: str, expected: str) -> None:
        """Names compare without legal form, letter case, punctuation or accents."""
        assert expected == name_key(name)
