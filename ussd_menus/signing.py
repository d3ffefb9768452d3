"""
The check before signing: may the kepala desa sign ("mengetahui") a resident's family permission
letter for this agency, destination and job? One pure decision and one renderer, shared by the
officials' SMS (CEKIZIN, gateway/sms_inbound.py) and the officials' USSD menu.

The decision reads only what it is given: the agency's registry record (its licence state is the
one computation agency checks use, AgencyRecord.effective_status), the bans in force
(ussd_menus/destinations.py) and the agency's job orders. Green only when everything holds: an
active licence, no ban on that job in that country, and a job order valid today for that country
and job; the documents must still be checked by hand, so a green answer lists them. Anything else
is red with every reason found, so the official can say why they refuse.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from ussd_menus import destinations
from ussd_menus.agency_check import status_line
from ussd_menus.destinations import Ban, Country, Destinations, JobKind
from ussd_menus.model import (
    SCREEN_LIMIT,
    AgencyRecord,
    Context,
    Env,
    JobOrderRecord,
    Lang,
    NoAgencies,
)
from ussd_menus.texts import day, plain, t, tidy, words

Verdict = Literal["sign", "stop"]
QUERY_CAP = 24  # a typed agency name echoed back, at most
NAME_CAPS = (34, 28, 22, 16)  # an agency name, cut further until the answer fits


@dataclass(frozen=True, slots=True)
class SigningResult:
    """The answer: sign or stop, the reasons (stable codes, recorded with the check) and what
    they rest on, for the renderer."""

    verdict: Verdict
    reasons: tuple[str, ...]
    query: str
    agency: AgencyRecord | None
    country: Country
    job: JobKind
    bans: tuple[Ban, ...] = ()
    orders: tuple[JobOrderRecord, ...] = ()  # the valid orders for this country and job
    today: date = date.min

    @property
    def green(self) -> bool:
        """Whether the official may sign (after checking the documents)."""
        return self.verdict == "sign"


def valid_orders(
    orders: Sequence[JobOrderRecord], licence: str, country: str, job: str, today: date
) -> tuple[JobOrderRecord, ...]:
    """The agency's job orders for that country and job still valid today, latest first."""
    found = [
        o
        for o in orders
        if o.licence_number == licence
        and o.country_code == country
        and o.job_kind == job
        and o.valid_until >= today
    ]
    return tuple(sorted(found, key=lambda o: o.valid_until, reverse=True))


def check_before_signing(
    query: str,
    agency: AgencyRecord | None,
    country: Country,
    job: JobKind,
    bans: Sequence[Ban],
    orders: Sequence[JobOrderRecord],
    today: date,
) -> SigningResult:
    """Sign only for an active licence, an open destination and a valid job order; otherwise
    stop, with every reason: unknown_agency, licence_<status>, banned:<ban>, no_job_order."""
    closing = tuple(b for b in bans if b.covers(country.code, job.key))
    banned = tuple(f"banned:{b.key}" for b in closing)
    if agency is None:
        reasons = ("unknown_agency", *banned)
        return SigningResult("stop", reasons, query, None, country, job, closing, (), today)
    status = agency.effective_status(today)
    valid = valid_orders(orders, agency.licence_number, country.code, job.key, today)
    reasons = (f"licence_{status}", *banned, "job_order" if valid else "no_job_order")
    verdict: Verdict = "sign" if status == "aktif" and not closing and valid else "stop"
    return SigningResult(verdict, reasons, query, agency, country, job, closing, valid, today)


# --- What the official typed --------------------------------------------------------------------

_PARTS = re.compile(r"\s*[;|\n]\s*")
MAX_INPUT = 300  # characters of a request read at all (an SMS is at most a few hundred)


@dataclass(frozen=True, slots=True)
class Request:
    """A check as typed: the agency's name or licence number, and the country and job as typed
    and as recognised (None: not recognised, or not given when the text is empty)."""

    agency: str
    country_text: str
    job_text: str
    country: Country | None
    job: JobKind | None


def parse_request(text: str, table: Destinations | None = None) -> Request:
    """'<agency> ; <country> ; <job>' (';', '|' or new lines between; commas when there are
    exactly three parts), or the same without separators when the country and job are the
    last words ('PT Contoh Jaya Malaysia pabrik', 'PT X arab saudi PLRT'). Missing parts come
    back empty, for a re-prompt that names them."""
    table = table or destinations.active()
    text = text[:MAX_INPUT].strip()
    parts = [p.strip() for p in _PARTS.split(text)]
    if len(parts) < 3 and len(text.split(",")) == 3:
        parts = [p.strip() for p in text.split(",")]
    if len(parts) >= 3:
        agency, country_text, job_text = parts[0], parts[1], " ".join(parts[2:])
        return Request(
            " ".join(agency.split()),
            country_text,
            job_text,
            destinations.country(country_text, table),
            destinations.job(job_text, table),
        )
    if len(parts) == 2:  # agency ; country job  (or agency ; country)
        agency = " ".join(parts[0].split())
        return _from_words(agency, parts[1].split(), table, agency_given=True)
    return _from_words("", " ".join(parts).split(), table, agency_given=False)


def _from_words(
    agency: str, tail: list[str], table: Destinations, *, agency_given: bool
) -> Request:
    """Country and job recognised among the last words: a reading of names exactly as listed
    wins over one with a typo, then the longer ('arab saudi' over 'saudi'; 'X arab saudi' is no
    name, so X stays the agency's)."""
    best: Request | None = None
    best_rank = (-1, 0)
    for job_words in (1, 2, 3):
        for country_words in (1, 2, 3):
            if job_words + country_words > len(tail):
                continue
            cut = len(tail) - job_words
            job_text = " ".join(tail[cut:])
            country_text = " ".join(tail[cut - country_words : cut])
            found_job = destinations.job(job_text, table)
            found_country = destinations.country(country_text, table)
            rest = " ".join(tail[: cut - country_words])
            if found_job and found_country and (agency_given or rest):
                exact = destinations.is_listed(country_text, table) + destinations.is_listed(
                    job_text, table
                )
                rank = (exact, job_words + country_words)
                if rank > best_rank:
                    best_rank = rank
                    best = Request(agency or rest, country_text, job_text, found_country, found_job)
    if best is not None:
        return best
    if agency_given:  # '<agency> ; <country>' without a job, or words not recognised
        words_typed = " ".join(tail)
        found = destinations.country(words_typed, table)
        return Request(agency, words_typed, "", found, None)
    return Request(" ".join(tail), "", "", None, None)


# --- Words ---------------------------------------------------------------------------------------


def render(
    result: SigningResult,
    lang: Lang,
    *,
    as_of: date | None = None,
    offer_report: str = "signing.report_sms",
    limit: int = SCREEN_LIMIT,
) -> str:
    """The answer on one screen or SMS (at most `limit` characters): the verdict first, then
    why, the documents still to check (green) or how to report it (red: `offer_report` names
    the text saying how, '' for none, e.g. when a USSD option offers it), and the data's date.
    The agency's name is cut first; then a green answer drops its job order's end date, a red
    one its later reasons, until it fits."""
    dated = t("check.as_of", lang, day=day(as_of)) if as_of else ""
    offer = [] if result.green or not offer_report else [t(offer_report, lang)]
    text = ""
    for tail in (offer, []):  # the offer goes last, before the answer is cut
        for variant in range(_variants(result)):
            for cap in NAME_CAPS:
                text = tidy(" ".join([*_reading(result, lang, cap, variant), *tail, dated]))
                if len(text) <= limit:
                    return text
    return text[:limit]


def _variants(result: SigningResult) -> int:
    """How many readings _reading has, fullest first."""
    return 2 if result.green else 2 + len(_red_parts(result, "id", 16, brief=True, short=True))


def _reading(result: SigningResult, lang: Lang, cap: int, variant: int) -> list[str]:
    """The answer's parts in one reading: green drops its job order's end date (variant 1);
    red shortens its licence status (1), then the bans' rule names (2), then drops its later
    reasons one by one (3 on)."""
    where = result.country.name(lang)
    job = result.job.label(lang)
    agency = result.agency
    if result.green and agency is not None:
        name = _name(agency.name, cap)
        until = day(result.orders[0].valid_until)
        documents = t("signing.documents", lang)
        if variant == 0:
            green = t("signing.green", lang, name=name, country=where, job=job, until=until)
        else:
            green = t("signing.green_short", lang, name=name, country=where, job=job)
        return [green, documents]
    parts = _red_parts(result, lang, cap, brief=variant >= 1, short=variant >= 2)
    return parts[: max(2, len(parts) - max(0, variant - 2))]


def _red_parts(
    result: SigningResult, lang: Lang, cap: int, *, brief: bool, short: bool
) -> list[str]:
    """STOP and every reason, most important first."""
    where = result.country.name(lang)
    job = result.job.label(lang)
    agency = result.agency
    parts = [t("signing.stop", lang)]
    if agency is None:
        query = words(result.query, QUERY_CAP) or plain(result.query, QUERY_CAP)
        parts.append(t("signing.unknown", lang, query=query))
    elif agency.effective_status(result.today) != "aktif":
        status = _status(result, lang, brief=brief)
        parts.append(t("signing.licence", lang, name=_name(agency.name, cap), status=status))
    for ban in result.bans:
        since = day(ban.since)
        if short:
            parts.append(t("signing.banned_short", lang, country=where, job=job, since=since))
        else:
            rule = ban.label(lang)
            parts.append(t("signing.banned", lang, country=where, job=job, since=since, rule=rule))
    if agency is not None and not result.orders:
        parts.append(t("signing.no_order", lang, country=where, job=job))
    return parts


def _name(name: str, cap: int) -> str:
    return words(name, cap) or plain(name, cap)


def _status(result: SigningResult, lang: Lang, *, brief: bool) -> str:
    assert result.agency is not None
    ctx = Context(lang, Env(agencies=NoAgencies(), today=result.today))
    return status_line(result.agency, ctx, brief=brief)
