"""
REKAP, the digest officials read by SMS (weekly, or when they send REKAP): pure wording, numbers
in, SMS text out. The figures are computed by storage/rekap.py in one statement; the wording is
the catalogue's `sms.rekap` (Indonesian: the officials' working language), measured in
ussd_menus/sms_catalogue.py with the longest values to fit 3 concatenated GSM-7 segments.

Agency names come from residents (typed into a report or an agency check): each is cut to
REKAP_NAME_CAP and at most REKAP_NAMES of them are listed, so the digest never outgrows its budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ussd_menus import sms_catalogue
from ussd_menus.sms_catalogue import REKAP_AREA_CAP, REKAP_NAME_CAP, REKAP_NAMES
from ussd_menus.texts import plain

OUTCOMES = ("selesai_ditindak", "tidak_terbukti", "bukan_wewenang")


@dataclass(frozen=True, slots=True)
class Figures:
    """One area's (or one agency's) cases in a period: new in it, open and overdue now, closed in
    it by outcome; unlicensed agency names its tips named, and the regency-wide names residents
    checked that the registry did not know (agency checks keep no place)."""

    new: int = 0
    open: int = 0
    overdue: int = 0
    closed: dict[str, int] = field(default_factory=dict)
    unlicensed_named: tuple[str, ...] = ()
    not_found_checked: tuple[str, ...] = ()


def _names(names: tuple[str, ...]) -> str:
    shown = [plain(n, REKAP_NAME_CAP) for n in names[:REKAP_NAMES] if n.strip()]
    return "; ".join(shown) or "-"


def period(since: date, until: date) -> str:
    """The days covered, as dd/mm-dd/mm (`until` is the last day included)."""
    return f"{since:%d/%m}-{until:%d/%m}"


def rekap_text(area: str, since: date, until: date, figures: Figures) -> str:
    """The digest SMS for an area (or an agency within one) and the days since..until."""
    catalogue = sms_catalogue.active()
    return catalogue.render(
        "rekap",
        "id",
        area=plain(area, REKAP_AREA_CAP),
        period=period(since, until),
        new=str(figures.new),
        open=str(figures.open),
        overdue=str(figures.overdue),
        acted=str(figures.closed.get("selesai_ditindak", 0)),
        unfounded=str(figures.closed.get("tidak_terbukti", 0)),
        referred=str(figures.closed.get("bukan_wewenang", 0)),
        named=_names(figures.unlicensed_named),
        checked=_names(figures.not_found_checked),
    )


def rekap_wait(minutes: int) -> str:
    """The answer to a REKAP asked again within the throttle window."""
    return sms_catalogue.active().render("rekap_wait", "id", minutes=str(minutes))
