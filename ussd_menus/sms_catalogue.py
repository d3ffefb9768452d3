"""
The catalogue of outgoing SMS wording: every template the hotline sends, as data, checked.

Why data: Indonesian aggregators require the sender's brand in message bodies and filter some
content, so an operator must be able to reword any SMS per provider without touching code. The
wording is the catalogues' sms.* texts (ussd_menus/catalogue.py); an operator's TOML file
(HOTLINE_SMS_CATALOGUE: tables [<template>] with a text per language code) replaces single
templates, for every provider or under [provider.<name>] for one.

What the code relies on is checked before anything is sent (start-up, and tests): each template
exists in every language, uses exactly the placeholders the code passes (SPECS below), and, filled
with the longest realistic values, fits one SMS segment: 160 GSM-7 septets (GSM 03.38 basic table;
extension characters count 2), or 70 UTF-16 units as soon as one character is outside GSM-7.
A template may declare a budget of several segments (Spec.segments: an alert carries the whole
story as one concatenated SMS); each concatenated segment then holds 153 septets or 67 units.
A wrong catalogue raises CatalogueError naming each template and its problem.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ussd_menus import cases, catalogue, sms_language
from ussd_menus.destinations import jobs_list
from ussd_menus.model import Lang
from ussd_menus.texts import SERVICE_CODE_SAMPLE, day, t, way_back
from ussd_menus.tip_status import public_line

# GSM 03.38 default alphabet, in code order (0x1B, the escape to the extension table, left out).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ"
    + "ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    + "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs an escape and itself, two septets.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
GSM7_LIMIT = 160
UCS2_LIMIT = 70
# A concatenated SMS's segments lose room to the 6-byte header that joins them.
GSM7_PART, UCS2_PART = 153, 67


def sms_length(text: str, segments: int = 1) -> tuple[int, int]:
    """(length, limit) within `segments` segments: GSM-7 septets (160 in one, 153 per
    concatenated segment), else UTF-16 units (70 in one, 67 per concatenated segment)."""
    septets = 0
    for ch in text:
        if ch in GSM7_BASIC:
            septets += 1
        elif ch in GSM7_EXTENSION:
            septets += 2
        else:
            units = len(text.encode("utf-16-le")) // 2
            return units, UCS2_LIMIT if segments == 1 else UCS2_PART * segments
    return septets, GSM7_LIMIT if segments == 1 else GSM7_PART * segments


def is_gsm7(text: str) -> bool:
    """Whether the text can go as GSM-7 (basic or extension table)."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


# --- What the code passes ------------------------------------------------------------------------

Sample = str | Mapping[Lang, str]  # the longest realistic value, the same or per language


@dataclass(frozen=True, slots=True)
class Spec:
    """What a template is given: each placeholder with its longest realistic value. `fill`, if
    set, is a placeholder the code fills with as much free text as there is room for; the
    template must leave at least `fill_room` characters for it. `segments` is the template's
    length budget: one SMS segment, or up to 3 concatenated ones (alerts, a case's details)."""

    values: Mapping[str, Sample] = field(default_factory=dict)
    fill: str | None = None
    fill_room: int = 0
    segments: int = 1

    def sample(self, lang: Lang) -> dict[str, str]:
        """The longest realistic values in one language (the fill placeholder empty)."""
        return {
            name: "" if name == self.fill else (v if isinstance(v, str) else v[lang])
            for name, v in self.values.items()
        }


def _longest(keys: Iterable[str]) -> dict[Lang, str]:
    """The longest of some menu texts, per language."""
    names = tuple(keys)
    return {lang: max((t(k, lang) for k in names), key=len) for lang in catalogue.active().codes}


_LATE_DAY = day(date(2030, 12, 31))
RECEIPT = "1234-5678-9"  # ussd_menus.receipts.show_receipt of a 9-digit code
CODE = "123456789"
AGENCY_CODE_CAP = 16  # an agency code in the officials directory (storage/officials.py)
REASON_CAP = 60  # the lifecycle's refusal (ussd_menus/cases.py)


def _longest_of(texts: Callable[[Lang], Iterable[str]]) -> dict[Lang, str]:
    """The longest of some rendered texts, per language."""
    return {lang: max(texts(lang), key=len) for lang in catalogue.active().codes}


AGENCY_STATUS = _longest_of(  # a licence that may recruit (ussd_menus.agency_check.status_line)
    lambda lang: (t("status.aktif", lang, valid_until=_LATE_DAY), t("status.aktif_open", lang))
)
STOPPED_STATUS = _longest_of(  # one that may not: revoked, suspended or expired, with its dates
    lambda lang: (
        t(
            f"status.{status}",
            lang,
            since=t("status.since", lang, day=_LATE_DAY),
            until=t("status.until", lang, day=_LATE_DAY),
        )
        for status in ("dihentikan_sementara", "dicabut", "kedaluwarsa")
    )
)
TIP_STATUS = _longest_of(  # a case's public line, a handover to the longest pair of kinds
    lambda lang: (
        *(public_line(status, "", lang) for status in cases.STATUSES),
        *(public_line("diteruskan", f"{a},{b}", lang) for a in cases.KINDS for b in cases.KINDS),
    )
)
AS_OF = _longest_of(lambda lang: (t("check.as_of", lang, day=_LATE_DAY),))
CATEGORY = _longest(
    f"cat.{c}" for c in ("bahaya", "calo", "biaya", "dokumen", "visa", "tujuan", "lainnya")
)
BRANCH = _longest(("detail.branch_yes", "detail.branch_no"))
TOPIC_TITLE = _longest(k for k in catalogue.active().keys("topic.") if k.endswith(".title"))
# How to come back and check (ussd_menus.texts.way_back), with the longest code it shows or none.
WAY_BACK = {
    lang: max((way_back(lang, SERVICE_CODE_SAMPLE), way_back(lang, "")), key=len)
    for lang in catalogue.active().codes
}

# Free-text caps the code applies (ussd_menus.texts.plain(value, cap)); the samples use them.
QUERY_CAP, NAME_CAP, CITY_CAP, NAMES_CAP, MESSAGE_CAP, QUESTION_CAP = 24, 34, 20, 34, 90, 70
STOPPED_NAME_CAP = 34  # a revoked, suspended or expired agency's name: its advice comes first
OFFICIAL_CODE_CAP = 16  # what an official typed instead of a receipt, as echoed back
PLACE_CAP = 40  # a subscriber's place: 'Desa <name>, Kec. <name>' (usecases/broadcasts.py)
LANG_QUERY_CAP = 20  # what a resident wrote after BAHASA, as echoed back
LIMIT_MAX = "1000"  # HOTLINE_TIPS_PER_HOUR at most
WHO_CAP = 60  # an official as named to the others: name and office (ussd_menus.sms.who)
# REKAP (ussd_menus/rekap.py): an area's label, and at most 3 agency names per list, each cut.
REKAP_AREA_CAP, REKAP_NAME_CAP, REKAP_NAMES = 40, 28, 3
REKAP_NAMES_SAMPLE = "; ".join(["n" * REKAP_NAME_CAP] * REKAP_NAMES)
REKAP_COUNT = "99999"
# Job orders and the check before signing (ussd_menus/signing.py, ussd_menus/sms.py): a
# country's name, an agency name in a CEK LOWONGAN page (VACANCY_PAGE a page), the countries an
# agency's job orders go to.
COUNTRY_CAP, VACANCY_NAME_CAP, VACANCY_PAGE, COUNTRIES_CAP, SIGNING_QUERY_CAP = 20, 18, 3, 24, 16
JOBS_NAME_CAP = 28  # an agency's name when its job orders are told too
VACANCY_NAMES = "; ".join(["n" * VACANCY_NAME_CAP] * VACANCY_PAGE)
JOB_LIST = _longest_of(lambda lang: (jobs_list(lang),))
VACANCY_MORE = _longest_of(lambda lang: (t("vacancies.more", lang, country="AE", next="99"),))
# Prospective migrants (ussd_menus/migrants.py): a resident's number as echoed to officials (its
# last 4 digits), a desa's name, a destination, job, name and agency as shown, each cut.
MIGRANT_PHONE = "****7890"
MIGRANT_DESA_CAP, MIGRANT_PLACE_CAP, MIGRANT_JOB_CAP = 30, 30, 30
MIGRANT_NAME_CAP, MIGRANT_AGENCY_CAP = 40, 40
MIGRANT_HOURS = "720"
MIGRANT_MONTH = "12/2030"
ALERT_SEGMENTS = 3  # an alert or a case's details: one concatenated SMS of up to 3 segments

# The red flags told to an official who starts a record: the longest pair (agency, ban).
MIGRANT_WARNING = _longest_of(
    lambda lang: (
        t(agency, lang) + t("migrant.red_closed", lang)
        for agency in ("migrant.red_agency_unknown", "migrant.red_agency_stopped")
    )
)
MIGRANT_TRAVEL = _longest_of(
    lambda lang: (
        t("migrant.departed_on", lang, day=_LATE_DAY)
        + t("migrant.returned_on", lang, day=_LATE_DAY),
    )
)
_RECEIPT = {"receipt": RECEIPT}
_RECEIPT_CODE = {"receipt": RECEIPT, "code": CODE}
SPECS: dict[str, Spec] = {
    "help": Spec(),
    "lang_list": Spec({"choices": sms_language.choices()}),
    "lang_set": Spec(),
    "lang_unknown": Spec({"query": "q" * LANG_QUERY_CAP, "choices": sms_language.choices()}),
    "info": Spec(),
    # Opt-in broadcasts (gateway/usecases/broadcasts.py): DAFTAR INFO, its confirmation, and
    # the way to stop that ends every broadcast.
    "subscribe_confirm": Spec({"place": "p" * PLACE_CAP}),
    "subscribe_done": Spec({"place": "p" * PLACE_CAP}),
    "subscribe_unknown": Spec({"query": "q" * QUERY_CAP}),
    "subscribe_limited": Spec(),
    "subscribe_nothing": Spec(),
    "broadcast_stop": Spec(),
    # An information topic a USSD caller asked to keep: its pages, cut to fit (ussd_menus.sms).
    "info_topic": Spec({"title": TOPIC_TITLE, "text": ""}, fill="text", fill_room=100),
    "receipt": Spec({**_RECEIPT_CODE, "back": WAY_BACK}),
    "report_empty": Spec(),
    "report_filed": Spec(_RECEIPT_CODE),
    "report_filed_official": Spec(_RECEIPT_CODE),
    # LAPORPETUGAS <story>: an official's own report, attributed (gateway/sms_inbound.py).
    "official_report_filed": Spec(_RECEIPT_CODE),
    "report_limited": Spec({"limit": LIMIT_MAX}),
    "status_typo": Spec(),
    "status_busy": Spec(),
    "status_unknown": Spec(_RECEIPT),
    "tip_status": Spec({"receipt": RECEIPT, "status": TIP_STATUS}),
    "tip_status_message": Spec(
        {"receipt": RECEIPT, "status": TIP_STATUS, "message": ""}, fill="message", fill_room=60
    ),
    "tip_status_question": Spec(
        {"receipt": RECEIPT, "status": TIP_STATUS, "question": "", "code": CODE},
        fill="question",
        fill_room=40,
    ),
    "tip_status_answered": Spec({"receipt": RECEIPT, "status": TIP_STATUS}),
    "tip_status_history": Spec(
        {"receipt": RECEIPT, "status": TIP_STATUS, "steps": ""}, fill="steps", fill_room=40
    ),
    "answer_sent": Spec(),
    "answer_none": Spec(_RECEIPT),
    "answer_format": Spec(),
    "check_empty": Spec(),
    "check_none": Spec({"query": "q" * QUERY_CAP, "as_of": AS_OF}),
    "check_one": Spec(
        {
            "name": "n" * NAME_CAP,
            "status": AGENCY_STATUS,
            "city": "c" * CITY_CAP,
            "branch": BRANCH,
            "as_of": AS_OF,
        }
    ),
    "check_stop": Spec({"name": "n" * STOPPED_NAME_CAP, "status": STOPPED_STATUS, "as_of": AS_OF}),
    "check_many": Spec({"names": "; ".join(["n" * NAMES_CAP] * 3)}),
    "check_one_jobs": Spec(
        {
            "name": "n" * JOBS_NAME_CAP,
            "status": AGENCY_STATUS,
            "count": "99",
            "countries": "c" * COUNTRIES_CAP,
            "as_of": AS_OF,
        }
    ),
    # CEK LOWONGAN <negara>: licensed agencies with a valid job order there, a page at a time.
    "vacancies": Spec(
        {
            "country": "c" * COUNTRY_CAP,
            "page": "9",
            "pages": "9",
            "names": VACANCY_NAMES,
            "more": VACANCY_MORE,
            "as_of": AS_OF,
        }
    ),
    "vacancies_none": Spec({"country": "c" * COUNTRY_CAP, "as_of": AS_OF}),
    "vacancies_unknown": Spec({"query": "q" * SIGNING_QUERY_CAP}),
    "official_ok": Spec(_RECEIPT),
    "official_asked": Spec(_RECEIPT),
    "official_closed": Spec(_RECEIPT),
    "official_asked_held": Spec(_RECEIPT),
    "official_closed_held": Spec(_RECEIPT),
    "official_unknown": Spec({"receipt": "r" * OFFICIAL_CODE_CAP}),
    "official_format": Spec(),
    "official_refused": Spec({**_RECEIPT, "reason": "r" * REASON_CAP}),
    "official_forwarded": Spec({**_RECEIPT, "agency": "A" * AGENCY_CODE_CAP, "count": "99"}),
    "official_taken": Spec({**_RECEIPT, "agency": "A" * AGENCY_CODE_CAP, "who": "w" * WHO_CAP}),
    "official_agency_unknown": Spec({"agency": "A" * AGENCY_CODE_CAP}),
    "official_agency_none": Spec({**_RECEIPT, "agency": "A" * AGENCY_CODE_CAP}),
    "official_passed_up": Spec({**_RECEIPT, "tier": "3"}),
    "official_no_higher": Spec(_RECEIPT),
    "official_stopped": Spec(),
    "official_info": Spec(_RECEIPT),
    "official_info_recent": Spec(_RECEIPT),
    "official_help": Spec(),
    # CEKIZIN, the check before signing (its answer: ussd_menus.signing.render, <= 160).
    "official_signing_format": Spec(),
    "official_signing_country": Spec({"query": "q" * SIGNING_QUERY_CAP}),
    "official_signing_job": Spec({"query": "q" * SIGNING_QUERY_CAP, "jobs": JOB_LIST}),
    "official_signing_many": Spec({"names": "; ".join(["n" * VACANCY_NAME_CAP] * 3)}),
    "official_signing_reported": Spec(_RECEIPT),
    "official_signing_nothing": Spec(),
    # HUKUM / ATURAN: the law in the official's pocket, its items cut to fit (ussd_menus/law.py).
    "official_law": Spec({"text": ""}, fill="text", fill_room=300, segments=ALERT_SEGMENTS),
    # CATAT / BERANGKAT / PULANG: officials recording a prospective migrant (issue 16 item 2).
    "official_migrant_format": Spec({"month": MIGRANT_MONTH}),
    "official_migrant_month": Spec({"month": MIGRANT_MONTH}),
    "official_migrant_phone": Spec(),
    "official_migrant_desa": Spec({"desa": "d" * MIGRANT_DESA_CAP, "code": "36.04.99.9999"}),
    "official_migrant_not_allowed": Spec(),
    "official_migrant_requested": Spec(
        {"phone": MIGRANT_PHONE, "hours": MIGRANT_HOURS, "warning": MIGRANT_WARNING},
        segments=2,
    ),
    "official_migrant_confirmed": Spec({"phone": MIGRANT_PHONE}),
    "official_migrant_departed": Spec({"phone": MIGRANT_PHONE, "day": _LATE_DAY}),
    "official_migrant_returned": Spec({"phone": MIGRANT_PHONE, "day": _LATE_DAY}),
    "official_migrant_unknown": Spec({"phone": MIGRANT_PHONE}),
    "official_migrant_day": Spec({"day": "31/12/2030"}),
    # To the resident: the consent request, and their answers to YA, DATAKU, HAPUS DATAKU.
    "migrant_consent": Spec(
        {
            "desa": "d" * MIGRANT_DESA_CAP,
            "destination": "p" * MIGRANT_PLACE_CAP,
            "hours": MIGRANT_HOURS,
        },
        segments=ALERT_SEGMENTS,
    ),
    "migrant_confirmed": Spec({"desa": "d" * MIGRANT_DESA_CAP}),
    "migrant_none": Spec(),
    "migrant_record": Spec(
        {
            "name": "n" * MIGRANT_NAME_CAP,
            "desa": "d" * MIGRANT_DESA_CAP,
            "job": "j" * MIGRANT_JOB_CAP,
            "destination": "p" * MIGRANT_PLACE_CAP,
            "agency": "a" * MIGRANT_AGENCY_CAP,
            "month": MIGRANT_MONTH,
            "travel": MIGRANT_TRAVEL,
        },
        segments=ALERT_SEGMENTS,
    ),
    "migrant_deleted": Spec(),
    # The weekly digest, and REKAP asked by SMS (ussd_menus/rekap.py).
    "rekap": Spec(
        {
            "area": "a" * REKAP_AREA_CAP,
            "period": "31/12-31/12",
            **{k: REKAP_COUNT for k in ("new", "open", "overdue", "acted", "unfounded")},
            "referred": REKAP_COUNT,
            "named": REKAP_NAMES_SAMPLE,
            "checked": REKAP_NAMES_SAMPLE,
        },
        segments=ALERT_SEGMENTS,
    ),
    "rekap_wait": Spec({"minutes": "1440"}),
    "official_taken_by": Spec({**_RECEIPT, "who": "w" * WHO_CAP}),
    "official_closed_by": Spec({**_RECEIPT, "who": "w" * WHO_CAP}),
    # The reporter's answer to an official's question, to that official (cut to fit).
    "official_answer": Spec({**_RECEIPT, "answer": ""}, fill="answer", fill_room=60),
    # INFO <receipt>: the whole case (story, questions and answers, history), cut to fit.
    "official_case": Spec(
        {"receipt": RECEIPT, "category": CATEGORY, "status": TIP_STATUS, "details": ""},
        fill="details",
        fill_room=100,
        segments=ALERT_SEGMENTS,
    ),
    "alert": Spec(
        {"receipt": RECEIPT, "category": CATEGORY, "details": "", "code": CODE},
        fill="details",
        fill_room=100,
        segments=ALERT_SEGMENTS,
    ),
    "alert_urgent": Spec(
        {"receipt": RECEIPT, "category": CATEGORY, "details": "", "code": CODE},
        fill="details",
        fill_room=100,
        segments=ALERT_SEGMENTS,
    ),
}


# --- The catalogue -------------------------------------------------------------------------------


class CatalogueError(Exception):
    """The SMS catalogue (bundled or an operator's file) is not usable; one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("SMS catalogue:\n  " + "\n  ".join(problems))


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Checked templates: name -> language -> text."""

    texts: Mapping[str, Mapping[Lang, str]]

    def render(self, name: str, lang: Lang, /, **values: str) -> str:
        """One SMS body; `values` are exactly the template's declared placeholders."""
        declared = SPECS[name].values.keys()
        assert values.keys() == declared, f"{name}: given {sorted(values)}, declared {declared}"
        return self.texts[name][lang].format(**values)

    def room(self, name: str, lang: Lang, /, **values: str) -> int:
        """How many plain-ASCII characters the template's fill placeholder can take within its
        segment budget, the other placeholders given."""
        spec = SPECS[name]
        fill = spec.fill
        assert fill is not None, f"{name} has no fill placeholder"
        length, limit = sms_length(self.render(name, lang, **{**values, fill: ""}), spec.segments)
        return limit - length


Tables = dict[str, dict[Lang, str]]  # template -> language -> text


def bundled() -> Tables:
    """The catalogues' templates (sms.<name>), every language."""
    content = catalogue.active()
    return {
        key.removeprefix("sms."): {lang: content.text(key, lang) for lang in content.codes}
        for key in content.keys("sms.")
    }


def load(override: Path | None = None, provider: str = "") -> Catalogue:
    """The bundled catalogue with the operator's file (if any) applied for this provider. Every
    provider table in the file is checked, not only this provider's, so switching providers
    cannot meet a broken one. Raises CatalogueError naming every problem."""
    problems: list[str] = []
    base = bundled()
    problems += [f"catalogues: sms.{name}: unknown template" for name in base if name not in SPECS]
    common: tuple[str, Tables] = ("", {})
    per_provider: dict[str, tuple[str, Tables]] = {}
    if override is not None:
        where = f"{override}: "
        try:
            raw = _parse(override.read_text("utf-8"), str(override))
        except (OSError, UnicodeDecodeError) as error:
            raise CatalogueError([f"{where}cannot read ({error})"]) from error
        providers = raw.pop("provider", {})
        common = (where, _tables(raw, where, problems))
        if not isinstance(providers, dict) or not all(
            isinstance(tables, dict) for tables in providers.values()
        ):
            problems.append(f"{where}provider: must be tables [provider.<name>.<template>]")
        else:
            for name, tables in providers.items():
                origin = f"{where}provider.{name}."
                per_provider[name] = (origin, _tables(tables, origin, problems))
    chosen: Tables = {}
    for name in sorted({provider, *per_provider}):
        texts, origins = _merged(base, [common, per_provider.get(name, ("", {}))])
        problems += [p for p in check(texts, origins) if p not in problems]
        chosen = texts if name == provider else chosen
    if problems:
        raise CatalogueError(problems)
    return Catalogue(chosen)


def _merged(
    base: Tables, layers: list[tuple[str, Tables]]
) -> tuple[Tables, dict[tuple[str, Lang], str]]:
    """The templates with each layer's replacing the ones before; where each replacement is from."""
    texts = {name: dict(langs) for name, langs in base.items()}
    origins: dict[tuple[str, Lang], str] = {}
    for origin, tables in layers:
        for name, langs in tables.items():
            texts.setdefault(name, {}).update(langs)
            origins.update({(name, lang): origin for lang in langs})
    return texts, origins


def _parse(text: str, where: str) -> dict[str, object]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CatalogueError([f"{where}: not valid TOML ({error})"]) from error


def _tables(raw: Mapping[str, object], origin: str, problems: list[str]) -> Tables:
    """Template tables as name -> language -> text; unknown names and keys are problems."""
    out: Tables = {}
    for name, table in raw.items():
        label = f"{origin}{name}"
        if name not in SPECS:
            problems.append(f"{label}: unknown template (known: {', '.join(sorted(SPECS))})")
            continue
        if not isinstance(table, dict):
            problems.append(f"{label}: must be a table with id and/or en texts")
            continue
        out[name] = {}
        for lang, text in table.items():
            if lang not in catalogue.active().codes:
                known = ", ".join(catalogue.active().codes)
                problems.append(f"{label}: unknown language {lang!r} (use {known})")
            elif not isinstance(text, str):
                problems.append(f"{label} ({lang}): must be a string")
            else:
                out[name][lang] = text
    return out


def check(
    texts: Mapping[str, Mapping[Lang, str]], origins: Mapping[tuple[str, Lang], str] | None = None
) -> list[str]:
    """Every problem with a set of templates: missing, wrong placeholders, too long; each named
    with the file it came from when that is the operator's (`origins`)."""
    problems: list[str] = []
    for name, spec in SPECS.items():
        for lang in catalogue.active().codes:
            text = texts.get(name, {}).get(lang)
            if text is None:
                problems.append(f"{name} ({lang}): missing")
                continue
            problem = _placeholder_problem(text, spec) or _length_problem(text, spec, lang)
            if problem:
                origin = (origins or {}).get((name, lang), "")
                problems.append(f"{origin}{name} ({lang}): {problem}")
    return problems


def _placeholder_problem(text: str, spec: Spec) -> str | None:
    try:
        fields = [(f, s, c) for _, f, s, c in string.Formatter().parse(text) if f is not None]
    except ValueError as error:
        return f"broken braces ({error}); write a literal brace as {{{{ or }}}}"
    used = {f for f, _, _ in fields}
    odd = sorted(f"{{{f}}}" for f, s, c in fields if s or c or not f.isidentifier())
    if odd:
        return f"placeholders take no format, index or attribute: {', '.join(odd)}"
    declared = set(spec.values)
    if used - declared:
        unknown = ", ".join(f"{{{f}}}" for f in sorted(used - declared))
        return f"unknown placeholder {unknown} (this template has: {_names(declared)})"
    if declared - used:
        return f"missing placeholder {', '.join(f'{{{f}}}' for f in sorted(declared - used))}"
    return None


def _length_problem(text: str, spec: Spec, lang: Lang) -> str | None:
    rendered = text.format(**spec.sample(lang))
    length, limit = sms_length(rendered, spec.segments)
    room = limit - length
    if room >= spec.fill_room:
        return None
    alphabet = "GSM-7" if is_gsm7(rendered) else "UCS-2 (not GSM-7: " + _odd(rendered) + ")"
    need = f", leaving {spec.fill_room} for {{{spec.fill}}}" if spec.fill else ""
    budget = "one" if spec.segments == 1 else f"{spec.segments} concatenated"
    return (
        f"too long: {length} characters with the longest values, {budget} {alphabet} SMS hold"
        f"{'s' if spec.segments == 1 else ''} {limit}{need}"
    )


def _odd(text: str) -> str:
    return " ".join(sorted({repr(ch) for ch in text if not is_gsm7(ch)}))


def _names(names: set[str]) -> str:
    return ", ".join(f"{{{n}}}" for n in sorted(names)) or "none"


# --- The catalogue in use ------------------------------------------------------------------------

_active: list[Catalogue] = [load()]  # the bundled one, checked on import


def active() -> Catalogue:
    """The catalogue replies and alerts are worded from."""
    return _active[0]


def use(catalogue: Catalogue) -> None:
    """Word every SMS from now on from this (checked) catalogue; set at start-up."""
    _active[0] = catalogue
