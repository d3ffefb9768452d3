"""
What every data-driven dialogue case checks of a screen or SMS: the fragments it must contain and
those it must not, and that the cases are well-formed (unique labels, both languages).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def assert_shows(case: Mapping[str, Any], text: str, expected: str = "contains") -> None:
    """The text holds every fragment of the case's `expected` list and no `absent` one."""
    assert [] == [f for f in case[expected] if f not in text], text
    assert [] == [f for f in case.get("absent", []) if f in text], text


def duplicate_labels(cases: Sequence[Mapping[str, Any]]) -> list[str]:
    """Labels used by more than one case."""
    labels = [c["label"] for c in cases]
    return sorted({label for label in labels if labels.count(label) > 1})


def one_language_only(cases: Sequence[Mapping[str, Any]]) -> list[str]:
    """USSD behaviours (labels `id-<name>` / `en-<name>`) that lack one of the two languages."""
    names = {c["label"].split("-", 1)[1] for c in cases if "sms_in" not in c}
    labels = {c["label"] for c in cases}
    return sorted(n for n in names if {f"id-{n}", f"en-{n}"} - labels)
