"""
Prospective migrant workers by SMS (issue 16 item 2): pure parsing of what officials and
residents type, the ban check, and the wording of the record a resident asks for with DATAKU.

Officials type `CATAT <no HP> <nama>; <desa>; <negara>; <pekerjaan>; <PT atau ->; <bulan>`
(the agency may be left out: five fields), then `BERANGKAT <no HP> [tgl]` and
`PULANG <no HP> [tgl]`. The parser forgives: commas instead of semicolons when there is no
semicolon, extra spaces, a month as 03/2027, 3-2027, 2027-03 or 'Maret 2027'. What it cannot
read comes back as a problem key, so the reply says which part to fix.
Residents type YA/SETUJU (YES/AGREE), DATAKU (MYDATA), HAPUS DATAKU (DELETE MYDATA): matched
exactly, never by typo, so no other keyword is ever taken for a consent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ussd_menus.model import Lang
from ussd_menus.texts import plain

NAME_CAP, DESA_CAP, PLACE_CAP, JOB_CAP, AGENCY_CAP = 80, 40, 40, 40, 60
# Resident keywords, exact: (what, reply language).
RESIDENT_WORDS: dict[str, tuple[str, Lang]] = {
    "YA": ("consent", "id"),
    "SETUJU": ("consent", "id"),
    "YES": ("consent", "en"),
    "AGREE": ("consent", "en"),
    "DATAKU": ("export", "id"),
    "MYDATA": ("export", "en"),
    "HAPUS DATAKU": ("delete", "id"),
    "DELETE MYDATA": ("delete", "en"),
}
_MONTHS = {
    **{m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "mei", "jun", "jul"), 1)},
    "agu": 8,
    "agt": 8,
    "aug": 8,
    "sep": 9,
    "okt": 10,
    "oct": 10,
    "nov": 11,
    "des": 12,
    "dec": 12,
    "may": 5,
}
# The resident's number: one word of digits, '+', '-' or '.' (0812-3456-7890), first.
_PHONE = re.compile(r"^\s*(\+?\d[\d.-]{7,18}\d)(?![\d.-])[\s;,]*(.*)$", re.DOTALL)
_NUMERIC_MONTH = re.compile(r"^(\d{1,2})\s*[/.-]\s*(\d{4}|\d{2})$")
_ISO_MONTH = re.compile(r"^(\d{4})\s*[/.-]\s*(\d{1,2})$")
_WORD_MONTH = re.compile(r"^([a-z]+)\.?\s+(\d{4})$")
_DAY = re.compile(r"^(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})$")
_NO_AGENCY = frozenset({"-", "", "tidak tahu", "belum", "blm", "tidak ada", "none", "unknown"})


def resident_word(text: str) -> tuple[str, Lang] | None:
    """A resident's consent, export or delete keyword (exactly, any case, spaces forgiven)."""
    return RESIDENT_WORDS.get(" ".join(text.upper().rstrip(".!").split()))


@dataclass(frozen=True, slots=True)
class Proposal:
    """A record an official proposes: the resident's number as typed, and the fields."""

    phone: str
    name: str
    desa: str
    destination: str
    job: str
    agency: str | None
    month: date


def parse_record(rest: str, today: date) -> Proposal | str:
    """CATAT's text after the keyword, or the problem key ('format', 'month') naming what to
    fix."""
    match = _PHONE.match(rest)
    if match is None:
        return "format"
    phone, body = match.group(1), match.group(2)
    parts = [p.strip() for p in body.split(";" if ";" in body else ",")]
    if len(parts) == 5:
        parts.insert(4, "-")
    if len(parts) != 6 or not all(parts[i] for i in (0, 1, 2, 3, 5)):
        return "format"
    month = parse_month(parts[5], today)
    if month is None:
        return "month"
    agency = None if parts[4].lower() in _NO_AGENCY else plain(parts[4], AGENCY_CAP)
    return Proposal(
        phone=phone,
        name=plain(parts[0], NAME_CAP),
        desa=parts[1][:DESA_CAP],
        destination=plain(parts[2], PLACE_CAP),
        job=plain(parts[3], JOB_CAP),
        agency=agency,
        month=month,
    )


def parse_month(text: str, today: date) -> date | None:
    """A planned departure month (its first day), from last year to ten years ahead, or None."""
    cleaned = " ".join(text.lower().split())
    year = month = 0
    if found := _NUMERIC_MONTH.match(cleaned):
        month, year = int(found.group(1)), int(found.group(2))
    elif found := _ISO_MONTH.match(cleaned):
        year, month = int(found.group(1)), int(found.group(2))
    elif found := _WORD_MONTH.match(cleaned):
        month, year = _MONTHS.get(found.group(1)[:3], 0), int(found.group(2))
    year += 2000 if year < 100 else 0
    if not 1 <= month <= 12 or not today.year - 1 <= year <= today.year + 10:
        return None
    return date(year, month, 1)


def month_example(today: date) -> str:
    """A planned month as officials may type it, three months from today (for re-prompts: the
    catalogues type no dates)."""
    month = today.month + 3
    return f"{(month - 1) % 12 + 1:02d}/{today.year + (month - 1) // 12}"


def day_example(today: date) -> str:
    """Today as officials may type a departure or return day."""
    return f"{today:%d/%m/%Y}"


def parse_day(text: str, today: date) -> date | None:
    """A departure or return day (dd/mm/yyyy), today when nothing is given, None if unreadable
    or in the future."""
    cleaned = text.strip()
    if not cleaned:
        return today
    found = _DAY.match(cleaned)
    if found is None:
        return None
    try:
        day = date(int(found.group(3)), int(found.group(2)), int(found.group(1)))
    except ValueError:
        return None
    return day if day <= today else None


def split_phone(rest: str) -> tuple[str, str] | None:
    """BERANGKAT/PULANG's text: the resident's number as typed, and what follows it."""
    match = _PHONE.match(rest)
    return (match.group(1), match.group(2).strip()) if match else None


# Countries under the 2015 moratorium on placement with individual (household) employers in the
# Middle East (ussd_menus/content/facts.toml, ban_middle_east; Kepmenaker 260/2015), as officials
# type them, and the household jobs it covers.
_MIDDLE_EAST = frozenset(
    {
        "arab saudi", "saudi", "saudi arabia", "ksa", "uni emirat arab", "uea", "uae", "emirat",
        "dubai", "abu dhabi", "qatar", "kuwait", "bahrain", "oman", "yordania", "jordan",
        "lebanon", "libanon", "suriah", "syria", "irak", "iraq", "iran", "mesir", "egypt",
        "yaman", "yemen", "palestina", "palestine", "libya", "aljazair", "algeria", "maroko",
        "morocco", "tunisia", "sudan", "mauritania", "sudan selatan", "south sudan", "timur tengah",
        "middle east",
    }
)  # fmt: skip
_HOUSEHOLD = re.compile(
    r"\b(art|prt|pembantu|asisten rumah tangga|rumah tangga|domestic|housemaid|maid|"
    r"pengasuh|babysitter|nanny|perawat lansia|caregiver|sopir keluarga|supir keluarga|"
    r"tukang kebun|juru masak|informal)\b"
)


def destination_closed(country: str, job: str) -> bool:
    """Whether placement to this country for this job is closed.

    TODO(issue 15): bans become data (ussd_menus/content/bans.toml); replace this one function
    with a lookup there. Until then: the Middle East moratorium on household jobs only.
    """
    place = " ".join(country.lower().split())
    return place in _MIDDLE_EAST and _HOUSEHOLD.search(job.lower()) is not None
