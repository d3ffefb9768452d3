"""
The check before signing: CEKIZIN <agency> ; <country> ; <job> by SMS from a number in the
officials directory (gateway/sms_inbound.py routes only officials here) and the officials' USSD
menu (gateway/ussd_desk.py) run the same `run_check`; LAPORKAN and the menu's "report it" file
the official's latest red check as their own, attributed case in one step (`file_red_check`).

What the answer says is decided by ussd_menus/signing.py (pure); this module gathers its inputs
(the agency and its job orders from the in-memory registry index, the bans), records every
answered check in the same transaction as the reply, and words the re-prompts for what is
missing. A re-prompt records nothing: a check is recorded only once it was answered.
"""

from __future__ import annotations

from datetime import datetime, time

import structlog
from aiohttp import web

from gateway import keys
from gateway.agency_index import AgencyIndex
from gateway.metrics import METRICS, Metrics
from gateway.usecases.tips import TipReport, TipRules, TooShort, file_tip
from gateway.ussd import WIB
from storage.case_sms import official_named
from storage.db import Conn
from storage.signing_checks import (
    CheckRow,
    SigningCheck,
    area_codes,
    mark_reported,
    record_check,
    red_to_report,
)
from storage.tips import Limited, receipt_of_source
from ussd_menus import destinations, sms
from ussd_menus.agency_check import MIN_QUERY, data_as_of
from ussd_menus.destinations import Country, JobKind
from ussd_menus.model import SigningChecked
from ussd_menus.signing import SigningResult, check_before_signing, parse_request, render
from ussd_menus.texts import plain, words

log = structlog.get_logger()
NAMES_CAP = 18  # an agency name when several match


async def answer_check(request: web.Request, conn: Conn, text: str, official_id: int) -> str:
    """CEKIZIN: the answer on one SMS, recorded; or a re-prompt naming what is missing."""
    asked = parse_request(text)
    if sum(ch.isalnum() for ch in asked.agency) < MIN_QUERY:  # as the agency check asks
        return sms.official_reply("signing_format", "")
    if asked.country is None:
        if not asked.country_text:
            return sms.official_reply("signing_format", "")
        return sms.official_reply("signing_country", "", query=_echo(asked.country_text))
    if asked.job is None:
        return sms.official_reply(
            "signing_job", "", query=_echo(asked.job_text or "-"), jobs=destinations.jobs_list("id")
        )
    checked = await run_check(
        conn, request.app[keys.DIRECTORY].index, official_id, asked.agency, asked.country, asked.job
    )
    if checked.names:
        return sms.official_reply("signing_many", "", names="; ".join(checked.names))
    assert isinstance(checked.result, SigningResult)
    return render(checked.result, "id", as_of=checked.as_of)


async def run_check(
    conn: Conn,
    index: AgencyIndex,
    official_id: int,
    query: str,
    country: Country,
    job: JobKind,
) -> SigningChecked:
    """One check for every channel (SMS CEKIZIN, the officials' USSD menu): the agency and its
    job orders from the registry index, the bans, the answer recorded; or, when several
    agencies match what was typed, their names (nothing recorded)."""
    matches = index.search(query)
    if len(matches) > 1:
        names = tuple(words(a.name, NAMES_CAP) or plain(a.name, NAMES_CAP) for a in matches[:3])
        return SigningChecked(names=names)
    agency = matches[0] if matches else None
    today = datetime.now(WIB).date()
    orders = (index.job_orders(agency.licence_number) or ()) if agency else ()
    result = check_before_signing(
        query, agency, country, job, destinations.active().bans, orders, today
    )
    await record_check(
        conn,
        SigningCheck(
            official_id=official_id,
            agency_query=query,
            licence_number=agency.licence_number if agency else None,
            agency_name=agency.name if agency else None,
            country_code=country.code,
            job_kind=job.key,
            result=result.verdict,
            reasons=result.reasons,
        ),
    )
    log.info(
        "signing.checked",
        official_id=official_id,
        result=result.verdict,
        reasons=",".join(result.reasons),
    )
    return SigningChecked(result, data_as_of(index, orders=True))


def _echo(text: str) -> str:
    return plain(text, 16)


async def report_check(request: web.Request, conn: Conn, official_id: int, message_id: str) -> str:
    """LAPORKAN: the official's latest red check today, filed as their own report."""
    rules = TipRules.from_config(request.app[keys.CONFIG])
    filed = await file_red_check(
        conn, official_id, "sms", f"sms:{message_id}", rules, request.app[METRICS]
    )
    if filed is None:
        return sms.official_reply("signing_nothing", "")
    if isinstance(filed, Limited):
        return sms.say("report_limited", "id", limit=filed.limit)
    return sms.official_reply("signing_reported", filed)


async def file_red_check(
    conn: Conn,
    official_id: int,
    channel: str,
    source_ref: str,
    rules: TipRules,
    metrics: Metrics,
) -> str | Limited | None:
    """The official's latest red check today, filed as a case naming them (its receipt): an
    official's report, attributed (never anonymous), routed like one (kecamatan and
    Disnakertrans, never back to them). None when there is no red check left to report."""
    done = await receipt_of_source(conn, source_ref)
    if done is not None:  # a retried hop or message: filed already
        return done
    midnight = datetime.combine(datetime.now(WIB).date(), time.min, WIB)
    check = await red_to_report(conn, official_id, midnight)
    if check is None:
        return None
    name, office = await official_named(conn, official_id)
    codes = await conn.fetchval("SELECT kecamatan_codes FROM officials WHERE id = $1", official_id)
    kecamatan, _ = area_codes(tuple(codes or ()))
    report = TipReport(
        channel=channel,
        source_ref=source_ref,
        reporter_key=None,
        category=_category(check),
        story=_story(check, sms.who(name, office)),
        lang="id",
        kecamatan_code=kecamatan,
        agency_licence=check.licence_number,
        agency_name=check.agency_name or check.agency_query,
        reported_by_official_id=official_id,
    )
    filed = await file_tip(conn, report, rules, metrics)
    if isinstance(filed, TooShort):  # never: the story names the check, well past the minimum
        return None
    if isinstance(filed, Limited):
        return filed
    await mark_reported(conn, check.id, filed.tip_id)
    log.info("signing.reported", official_id=official_id, tip_id=filed.tip_id)
    return filed.receipt


def _category(check: CheckRow) -> str:
    """Unknown agency: a calo; a closed destination: the destination; else 'other'."""
    if "unknown_agency" in check.reasons:
        return "calo"
    if any(r.startswith("banned:") for r in check.reasons):
        return "tujuan"
    return "lainnya"


def _story(check: CheckRow, who: str) -> str:
    """The case's text: who checked what, and why the answer was to stop."""
    agency = check.agency_name or check.agency_query
    licence = f" (izin {check.licence_number})" if check.licence_number else ""
    country = destinations.active().country_by_code(check.country_code or "")
    job = destinations.active().job_by_key(check.job_kind or "")
    return (
        f"Laporan aparat dari CEKIZIN oleh {who}: {agency}{licence} merekrut ke"
        f" {country.name('id') if country else check.country_code} untuk"
        f" {job.label('id') if job else check.job_kind}. Hasil: JANGAN TTD."
        f" Alasan: {', '.join(check.reasons)}."
    )
