"""
SMS keywords and replies, in Bahasa Indonesia with English aliases: pure parsing and wording.

Keywords are matched case-insensitively, tolerating a typo (LAPRO, STATSU) and extra spaces; the
language keyword (BAHASA, LANGUAGE, BASA: ussd_menus/sms_language.py) only exactly.
The wording itself is data: every reply and alert is a template of the SMS catalogue
(catalogues/*.po, ussd_menus/sms_catalogue.py), checked to fit one SMS with the longest values
(an alert and a case's details: one concatenated SMS of up to 3 segments).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from rapidfuzz.distance import DamerauLevenshtein

from ussd_menus import sms_catalogue, sms_language
from ussd_menus.agency_check import order_summary, place, status_line
from ussd_menus.destinations import Country
from ussd_menus.model import AgencyRecord, Context, Env, JobOrderRecord, Lang, NoAgencies
from ussd_menus.paging import fit
from ussd_menus.receipts import show_receipt
from ussd_menus.safe_migration import load_topics
from ussd_menus.texts import day, plain, t, tidy, words
from ussd_menus.tip_status import TipView, public_line, public_steps

# keyword -> (command, reply language)
KEYWORDS: dict[str, tuple[str, Lang]] = {
    "LAPOR": ("report", "id"),
    "REPORT": ("report", "en"),
    "STATUS": ("status", "id"),
    "CEK": ("check", "id"),
    "CHECK": ("check", "en"),
    "JAWAB": ("answer", "id"),
    "ANSWER": ("answer", "en"),
    "INFO": ("info", "id"),
    "BANTUAN": ("help", "id"),
    "HELP": ("help", "en"),
    # Opt-in broadcasts: DAFTAR INFO [place], then YA from the same number confirms it.
    "DAFTAR": ("subscribe", "id"),
    "SUBSCRIBE": ("subscribe", "en"),
    "YA": ("confirm", "id"),
    "YES": ("confirm", "en"),
}
_FIRST_WORD = re.compile(r"^\s*([A-Za-z]+)[\s:#.,*-]*(.*)$", re.DOTALL)
# LAPOR APARAT <cerita> / REPORT OFFICIAL <story>: the tip involves a village official (kepala
# desa, perangkat desa), so it is never alerted to the desa tier. Matched exactly, no typo.
OFFICIAL_MARKS = frozenset({"APARAT", "OFFICIAL"})


@dataclass(frozen=True, slots=True)
class Command:
    """A parsed inbound SMS: what is asked, in which language, and the rest of the text."""

    name: str
    lang: Lang
    rest: str


def parse(text: str) -> Command:
    """The command in an SMS; anything unrecognised is 'unknown'."""
    match = _FIRST_WORD.match(text)
    if match is None:
        return Command("unknown", "id", text.strip())
    word, rest = match.group(1).upper(), match.group(2).strip()
    if word in sms_language.KEYWORDS:
        return Command("language", sms_language.KEYWORDS[word], rest)
    if word in KEYWORDS:
        name, lang = KEYWORDS[word]
        if name == "check" and rest.upper().startswith("STATUS"):  # 'CEK STATUS 1234..'
            return Command("status", lang, rest[6:].strip())
        return _vacancies(name, lang, rest) or Command(name, lang, rest)
    best = min(KEYWORDS, key=lambda k: DamerauLevenshtein.distance(word, k))
    allowed = 1 if len(best) <= 5 else 2
    if len(word) >= 3 and DamerauLevenshtein.distance(word, best) <= allowed:
        name, lang = KEYWORDS[best]
        return _vacancies(name, lang, rest) or Command(name, lang, rest)
    return Command("unknown", "id", text.strip())


# CEK LOWONGAN <negara> [halaman] / CHECK JOBS <country> [page]: agencies with a job order there.
VACANCY_WORDS = {"LOWONGAN": "id", "LOKER": "id", "JOBS": "en", "JOB": "en"}


def _vacancies(name: str, lang: Lang, rest: str) -> Command | None:
    """CEK LOWONGAN ... as its own command (the rest: the country, maybe a page number)."""
    match = _FIRST_WORD.match(rest)
    if name != "check" or match is None or match.group(1).upper() not in VACANCY_WORDS:
        return None
    return Command("vacancies", lang, match.group(2).strip())


def vacancy_query(rest: str) -> tuple[str, int]:
    """The country typed after CEK LOWONGAN and the page asked for (1 when none)."""
    head, _, last = rest.strip().rpartition(" ")
    if head and last.isdigit() and len(last) <= 3:
        return head.strip(), max(1, int(last))
    return rest.strip(), 1


def vacancies_reply(
    country: Country | None,
    query: str,
    names: Sequence[str],
    page: int,
    lang: Lang,
    as_of: date | None,
) -> str:
    """One page of the licensed agencies with a valid job order to a country, with the data's
    date and how to ask for the next page; a country nobody recognises is asked again."""
    if country is None:
        return say("vacancies_unknown", lang, query=plain(query, sms_catalogue.SIGNING_QUERY_CAP))
    dated = t("check.as_of", lang, day=day(as_of)) if as_of else ""
    shown = plain(country.name(lang), sms_catalogue.COUNTRY_CAP)
    if not names:
        return tidy(say("vacancies_none", lang, country=shown, as_of=dated))
    size = sms_catalogue.VACANCY_PAGE
    pages = -(-len(names) // size)
    page = min(page, pages)
    shown_names = names[(page - 1) * size : page * size]
    # The room of a full page (its names and their "; "), shared by the names this page has.
    room = size * sms_catalogue.VACANCY_NAME_CAP + 2 * (size - len(shown_names))
    cap = room // len(shown_names)
    listed = "; ".join(words(_without_pt(n), cap) or plain(n, cap) for n in shown_names)
    more = t("vacancies.more", lang, country=country.code, next=page + 1) if page < pages else ""
    return tidy(
        say(
            "vacancies",
            lang,
            country=shown,
            page=page,
            pages=pages,
            names=listed,
            more=more,
            as_of=dated,
        )
    )


def _without_pt(name: str) -> str:
    return name[3:] if name[:3].upper() == "PT " else name


def official_mark(rest: str) -> tuple[bool, str]:
    """Whether a report's text starts with the village-official mark, and the story after it."""
    match = _FIRST_WORD.match(rest)
    if match is None or match.group(1).upper() not in OFFICIAL_MARKS:
        return False, rest
    return True, match.group(2).strip()


def say(key: str, lang: Lang, **values: object) -> str:
    """A resident's reply, worded from the SMS catalogue (sms.* in catalogues/*.po)."""
    return sms_catalogue.active().render(key, lang, **{k: str(v) for k, v in values.items()})


def language_list(lang: Lang) -> str:
    """The reply to the language keyword alone: the languages and how to choose one."""
    return say("lang_list", lang, choices=sms_language.choices())


def language_unknown(query: str, lang: Lang) -> str:
    """The reply to a language keyword naming no language: what was read, and the choices."""
    shown = plain(query, sms_catalogue.LANG_QUERY_CAP)
    return say("lang_unknown", lang, query=shown, choices=sms_language.choices())


def report_filed(receipt: str, lang: Lang, *, official: bool = False) -> str:
    """The reply to a filed SMS tip (`official`: it says the tip skips the village officials)."""
    key = "report_filed_official" if official else "report_filed"
    return say(key, lang, receipt=show_receipt(receipt), code=receipt)


def check_reply(
    query: str,
    matches: Sequence[AgencyRecord],
    today: date,
    lang: Lang,
    snapshot: date | None = None,
    orders: Sequence[JobOrderRecord] | None = None,
) -> str:
    """The agency check, as the USSD result screens say it, in one SMS, with the date of the
    registry snapshot it was read from (`snapshot`; nothing is said of an unknown date). With
    `orders` (the agency's job orders, once any were imported) a licensed agency's answer says
    how many are valid today and to which countries, in place of its offices."""
    as_of = t("check.as_of", lang, day=day(snapshot)) if snapshot else ""
    if not matches:
        return tidy(
            say("check_none", lang, query=plain(query, sms_catalogue.QUERY_CAP), as_of=as_of)
        )
    if len(matches) > 1:
        names = "; ".join(plain(a.name, sms_catalogue.NAMES_CAP) for a in matches[:3])
        return say("check_many", lang, names=names)
    agency = matches[0]
    ctx = Context(lang, Env(agencies=NoAgencies(), today=today))
    status = status_line(agency, ctx)
    if agency.effective_status(today) != "aktif":
        name = words(agency.name, sms_catalogue.STOPPED_NAME_CAP)
        return tidy(say("check_stop", lang, name=name, status=status, as_of=as_of))
    if orders is not None:
        return tidy(
            say(
                "check_one_jobs",
                lang,
                name=words(agency.name, sms_catalogue.JOBS_NAME_CAP),
                status=status,
                **order_summary(
                    orders, agency.licence_number, today, lang, sms_catalogue.COUNTRIES_CAP
                ),
                as_of=as_of,
            )
        )
    return tidy(
        say(
            "check_one",
            lang,
            name=words(agency.name, sms_catalogue.NAME_CAP),
            status=status,
            city=words(place(agency.head_office_city), sms_catalogue.CITY_CAP) or "-",
            branch=t("detail.branch_yes" if agency.has_serang_branch else "detail.branch_no", lang),
            as_of=as_of,
        )
    )


def status_reply(tip: TipView, lang: Lang) -> str:
    """A tip's status in one SMS: status, then the open question, that the reporter answered
    the latest one, the officials' latest message, or else the most recent public steps that
    fit. Only officials' words are quoted, never the reporter's own (the phone may be read by
    someone else)."""
    shown = {
        "receipt": show_receipt(tip.receipt),
        "status": public_line(tip.status, tip.holder, lang),
    }
    catalogue = sms_catalogue.active()
    question = tip.open_question
    if tip.answered_question_id is not None and not question:
        return say("tip_status_answered", lang, **shown)
    if question:
        room = catalogue.room("tip_status_question", lang, **shown, question="", code=tip.receipt)
        cut = plain(question, min(sms_catalogue.QUESTION_CAP, room))
        return catalogue.render(
            "tip_status_question", lang, **shown, question=cut, code=tip.receipt
        )
    if tip.latest_message:
        room = catalogue.room("tip_status_message", lang, **shown, message="")
        cut = plain(tip.latest_message, min(sms_catalogue.MESSAGE_CAP, room))
        return catalogue.render("tip_status_message", lang, **shown, message=cut)
    room = catalogue.room("tip_status_history", lang, **shown, steps="")
    steps: list[str] = []
    for step in reversed(public_steps(tip.steps, lang)):  # the newest first, while they fit
        if len(tip.steps) < 2:  # filed and nothing since: the status says it all
            break
        if len("; ".join([step, *steps])) > room:
            break
        steps.insert(0, step)
    if not steps:
        return say("tip_status", lang, **shown)
    return catalogue.render("tip_status_history", lang, **shown, steps="; ".join(steps))


def info_topic(topic: str, lang: Lang) -> str:
    """An information topic in one SMS: its title and pages, cut after the last sentence that
    fits (or, failing one, the last word, with '..')."""
    shown = next(t for t in load_topics() if t.key == topic)
    title, pages = shown.title[lang], shown.pages[lang]
    catalogue = sms_catalogue.active()
    room = catalogue.room("info_topic", lang, title=title, text="")
    return catalogue.render("info_topic", lang, title=title, text=fit(" ".join(pages), room))


def _where(kecamatan: str | None, desa: str | None, agency: str | None) -> str:
    """Where and who a case is about, as sentences (' Kec. X, Ds. Y. PT Z.'), or ''."""
    place = ", ".join(
        p for p in (f"Kec. {kecamatan}" if kecamatan else "", f"Ds. {desa}" if desa else "") if p
    )
    shown = ((place, 40), (agency, 30))
    return "".join(f" {plain(extra, limit)}." for extra, limit in shown if extra)


def alert_text(
    receipt: str,
    category: str,
    kecamatan: str | None,
    desa: str | None,
    agency: str | None,
    description: str | None,
) -> str:
    """An alert to officials as one concatenated SMS of up to 3 segments (sms_catalogue.Spec
    .segments): what, where, who, the whole story (cut with '..' only beyond 3 segments), how to
    reply. An official who never logs in must be able to act on it alone. Nothing about the
    reporter: there is nothing about them to say."""
    name = "alert_urgent" if category == "bahaya" else "alert"
    catalogue = sms_catalogue.active()
    given = {"receipt": show_receipt(receipt), "category": t(f"cat.{category}", "id")}
    room = catalogue.room(name, "id", **given, details="", code=receipt)
    details = _where(kecamatan, desa, agency)
    left = room - len(details) - 1
    story = plain(description or "", left) if left >= 12 else ""
    details += f" {story}" if story else ""
    return catalogue.render(name, "id", **given, details=details, code=receipt)


@dataclass(frozen=True, slots=True)
class CaseStep:
    """One step of a case's history as officials read it: when, which status, who held it."""

    day: date
    status: str
    holder: str


def case_text(
    receipt: str,
    category: str,
    status: str,
    where: tuple[str | None, str | None, str | None],
    description: str | None,
    thread: Sequence[tuple[str, str]],
    history: Sequence[CaseStep],
) -> str:
    """The whole case for `INFO <receipt>`, in one concatenated SMS of up to 3 segments: where
    and who, its history (date, status, holder), the officials' questions (T:) and the reporter's
    answers (J:), then the story, cut with '..' at the end when it does not all fit. Nothing
    about the reporter, nor who wrote an internal note."""
    catalogue = sms_catalogue.active()
    given = {
        "receipt": show_receipt(receipt),
        "category": t(f"cat.{category}", "id"),
        "status": t(f"status.{status}", "id"),
    }
    room = catalogue.room("official_case", "id", **given, details="")
    steps = "; ".join(
        f"{s.day:%d/%m} {s.status}" + (f" ({s.holder})" if s.holder else "") for s in history
    )
    talk = " ".join(f"{'T' if kind == 'question' else 'J'}: {body}" for kind, body in thread)
    parts = [
        f"Riwayat: {steps}." if steps else "",
        talk,
        f"Cerita: {description}" if description else "",
    ]
    details = (_where(*where) + "".join(f" {p}" for p in parts if p)).strip()
    shown = f" {plain(details, room - 1)}" if details else ""
    return catalogue.render("official_case", "id", **given, details=shown)


def who(name: str, office: str) -> str:
    """An official as the others alerted for a case read them: name and office."""
    named = f"{name} ({office})" if office else name
    return plain(named, sms_catalogue.WHO_CAP)


def answer_text(receipt: str, answer: str) -> str:
    """The reporter's answer, to the official who asked (one SMS, cut to fit)."""
    catalogue = sms_catalogue.active()
    shown = show_receipt(receipt)
    room = catalogue.room("official_answer", "id", receipt=shown, answer="")
    return catalogue.render("official_answer", "id", receipt=shown, answer=plain(answer, room))


def official_reply(key: str, receipt: str, **values: object) -> str:
    """Replies to officials' commands (Indonesian: the officials' working language). An agency
    code or a refusal reason is cut to the room its template was measured with."""
    name = f"official_{key}"
    caps = {
        "agency": sms_catalogue.AGENCY_CODE_CAP,
        "reason": sms_catalogue.REASON_CAP,
        "who": sms_catalogue.WHO_CAP,
    }
    given = {k: plain(str(v), caps[k]) if k in caps else v for k, v in values.items()}
    if "receipt" not in sms_catalogue.SPECS[name].values:
        return say(name, "id", **given)
    shown = plain(show_receipt(receipt), sms_catalogue.OFFICIAL_CODE_CAP)
    return say(name, "id", receipt=shown, **given)


OFFICIAL_COMMANDS = {
    "OK": "ok",
    "OKE": "ok",
    "TANYA": "ask",
    "SELESAI": "close",
    "INFO": "info",
    "TERUSKAN": "forward",
    "TOLAK": "refuse",
    "KONFLIK": "conflict",
    "REKAP": "rekap",
    "CEKIZIN": "signing",
    "LAPORKAN": "signing_report",
    # An official's own report, attributed (one word: LAPOR APARAT is a resident's tip about a
    # village official, and 'LAPOR PETUGAS ...' may be a resident's tip about an official).
    "LAPORPETUGAS": "report",
    # The law in the official's pocket (ussd_menus/law.py).
    "HUKUM": "law",
    "ATURAN": "law",
    "CATAT": "record",  # a prospective migrant (ussd_menus/migrants.py), then:
    "BERANGKAT": "departed",
    "PULANG": "returned",
    "BANTUAN": "help",
    "HELP": "help",
}
STOP_WORDS = frozenset({"BERHENTI", "STOP", "UNREG"})


def parse_official(text: str) -> Command | None:
    """An official's command (OK/TANYA/SELESAI/INFO/TERUSKAN/TOLAK/KONFLIK <code> ..., REKAP
    for their digest, LAPORPETUGAS <story> to report as themselves, HUKUM/ATURAN for the law
    reference, or BANTUAN/HELP for the officials' help line), or None if it is not one."""
    match = _FIRST_WORD.match(text)
    if match is None:
        return None
    word, rest = match.group(1).upper(), match.group(2).strip()
    if word == "CEK" and rest[:4].upper() == "IZIN":  # 'CEK IZIN ...' as two words
        return Command("signing", "id", rest[4:].lstrip(" :#.,*-"))
    best = min(OFFICIAL_COMMANDS, key=lambda k: DamerauLevenshtein.distance(word, k))
    if word != best and (len(word) < 4 or DamerauLevenshtein.distance(word, best) > 1):
        return None
    return Command(OFFICIAL_COMMANDS[best], "id", rest)


def is_stop(text: str) -> bool:
    """BERHENTI, STOP or UNREG, alone."""
    return text.strip().upper().rstrip(".!") in STOP_WORDS
