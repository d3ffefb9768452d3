"""
Inbound SMS, from any provider: keywords for residents (LAPOR, STATUS, CEK, CEK LOWONGAN, JAWAB,
INFO, BANTUAN and English aliases, BAHASA to choose the reply language, DAFTAR INFO then YA to
subscribe to broadcasts: gateway/usecases/broadcasts.py; BERHENTI/STOP/UNREG ends every SMS at
once) and officials' commands (OK, TANYA, SELESAI, INFO, TERUSKAN, TOLAK, KONFLIK:
gateway/usecases/cases.py moves the case; REKAP for their area's digest, throttled:
gateway/rekap.py; CEKIZIN, the check before signing, and LAPORKAN, filing a red check:
gateway/signing.py; LAPORPETUGAS to report as themselves, attributed; HUKUM or ATURAN for the
law reference; BANTUAN or HELP for their help line), each
answered by a reply queued in the outbox. Prospective migrants (gateway/usecases/migrants.py):
officials' CATAT, BERANGKAT and PULANG; residents' YA/SETUJU, DATAKU and HAPUS DATAKU, matched
exactly, from the number the record is about (a number not in the officials directory sending
CATAT gets the residents' help); a YA with no consent waiting confirms a pending subscription.
The SMS loop works for an official who never logs in:
INFO sends the whole case (a read written to the tip's audit log, like the console's), and when
one official takes, hands over or closes a case the others alerted for it are told who did.

A resident's replies are in the language they chose with BAHASA (stored under their keyed hash),
else in the keyword's language (ussd_menus/sms_language.py says the precedence).

Every provider's inbound callback parses its own format into an `InboundSms` and calls
`handle_inbound_sms`; nothing here knows a provider's field names. Providers retry a callback
until they get a 2xx, for hours: the message id is recorded in the same transaction as the tip
and the reply it causes, so a retry creates nothing twice.
Replies are paid: each goes only within the sender's reply budget (gateway.abuse), and receipt
lookups count against the global failed-lookup budget.
A message PostgreSQL refuses to store (bad data, a violated constraint) would fail the same way on
every retry, so it is logged as `sms.inbound_unstorable` and counted as handled instead of looping.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

import asyncpg
import structlog
from aiohttp import web

from gateway import keys, logs
from gateway.abuse import LookupsPaused, reply_suppressed
from gateway.core.messages import InboundSms
from gateway.metrics import METRICS
from gateway.phones import normalize
from gateway.rekap import answer_request
from gateway.signing import answer_check, report_check
from gateway.sms_delivery import storable
from gateway.usecases import migrants
from gateway.usecases.broadcasts import confirm_by_sms, subscribe_by_sms
from gateway.usecases.cases import hand_over_case, move
from gateway.usecases.tips import (
    TipReport,
    TipRules,
    TooShort,
    answer_question,
    file_tip,
    read_status,
)
from gateway.ussd import WIB
from storage.alerts import (
    acknowledge,
    agency_known,
    agency_officials,
    holder_of,
    next_tier_officials,
    resend,
    tip_for_alert,
    tip_id_for_official,
)
from storage.areas import desa_by_code
from storage.broadcasts import unsubscribe
from storage.case_sms import case_thread, colleagues, official_named
from storage.cases import Actor, case_events
from storage.db import Conn
from storage.officials import Official, official_by_phone
from storage.outbox import QueuedSms, enqueue_sms, opt_out, record_inbound
from storage.sms_languages import choose_language, chosen_language
from storage.tips import Limited, TipStatus, add_official_message, record_read
from ussd_menus import destinations, sms, sms_language
from ussd_menus.agency_check import data_as_of
from ussd_menus.cases import Refused
from ussd_menus.identity_requests import identity_requests
from ussd_menus.law import law_sms
from ussd_menus.migrants import (
    day_example,
    month_example,
    parse_day,
    parse_record,
    resident_word,
    split_phone,
)
from ussd_menus.model import Lang
from ussd_menus.places import find_in
from ussd_menus.receipts import looks_like_receipt, parse_receipt, show_receipt
from ussd_menus.sms_catalogue import MIGRANT_DESA_CAP
from ussd_menus.texts import plain

log = structlog.get_logger()
INFO_PURPOSE = "sms: INFO"  # an official's INFO, in the tip's audit log (tip_reads)
_ID_MAX = 100
# Errors that a retry of the same message would meet again: the data, not the database's health.
_UNSTORABLE: tuple[type[BaseException], ...] = (
    asyncpg.DataError,
    asyncpg.IntegrityConstraintViolationError,
    asyncpg.ProgramLimitExceededError,
)


async def handle_inbound_sms(request: web.Request, message: InboundSms) -> bool:
    """Handle one SMS (only `request.app` is used: the callback's own request carries it);
    False when its sender is not a phone number (nothing was done), True otherwise, also for a
    repeat and for a message the database refuses (the provider must stop retrying it)."""
    try:
        return await _handle(request, message)
    except _UNSTORABLE as error:
        # Nothing of it was committed (one transaction); a 500 would only make the provider
        # resend it forever.
        log.error("sms.inbound_unstorable", error=type(error).__name__, alarm=True)
        return True


async def _handle(request: web.Request, message: InboundSms) -> bool:
    identity = request.app[keys.IDENTITY]
    sender = identity.reporter_key(message.phone)
    if sender is None:
        log.warning("sms.inbound_rejected", reason="from is not a phone number")
        return False
    message_id = storable(message.provider_message_id).strip()[:_ID_MAX]
    text = storable(message.text)  # whatever the provider let through: no NUL, no controls
    phone = normalize(message.phone) or message.phone
    async with request.app[keys.POOL].acquire() as conn, conn.transaction():
        official = await official_by_phone(conn, phone)
        order = sms.parse_official(text) if official else None
        command = sms.parse(text)
        own_data = resident_word(text) if order is None else None
        keyword = _keyword(text, order, own_data, command)
        logs.bind(sms_id=message_id, keyword=keyword)
        if not await record_inbound(conn, message_id, sender, keyword):
            log.info("sms.inbound_duplicate")
            return True
        if sms.is_stop(text):
            await opt_out(conn, sender)
            cancelled = await unsubscribe(conn, sender)  # every broadcast: none of the rest
            log.info("sms.opted_out", broadcasts_cancelled=cancelled)
            reply = sms.official_reply("stopped", "")
        elif official is not None and order is not None and official.id is not None:
            if order.name in ("record", "departed", "returned"):
                reply = await _migrant_official(request, conn, order, official)
            else:
                reply = await _official(request, conn, order, official.id, message_id, sender)
        elif own_data is not None:
            reply = await _migrant_resident(request, conn, own_data, sender)
        else:
            reply = await _reply(request, conn, command, message_id, sender, message.phone)
        config = request.app[keys.CONFIG]
        suppressed = await reply_suppressed(conn, config, sender, keyword, message_id)
        if suppressed:
            log.info("sms.reply_suppressed", reason=suppressed)
        else:
            await enqueue_sms(
                conn, _reply_sms(identity.seal(message.phone), official, reply, message_id)
            )
    log.info("sms.inbound_handled")
    return True


def _reply_sms(sealed: bytes, official: Official | None, body: str, message_id: str) -> QueuedSms:
    """The answer to an inbound SMS: to the official by their directory record when the sender is
    one (the delivery log then names them and their office), else to the sealed number."""
    if official is not None and official.id is not None:
        return QueuedSms(
            None,
            "official",
            body,
            f"reply:{message_id}",
            official_id=official.id,
            is_sample=official.is_sample,
        )
    return QueuedSms(sealed, "resident", body, f"reply:{message_id}")


def _keyword(
    text: str, order: sms.Command | None, own_data: tuple[str, Lang] | None, command: sms.Command
) -> str:
    """What an inbound SMS asked for, as recorded and logged (never its text)."""
    if sms.is_stop(text):
        return "stop"
    if order is not None:
        return f"official:{order.name}"
    if own_data is not None:
        return f"migrant:{own_data[0]}"
    return command.name


async def _reply(
    request: web.Request,
    conn: Conn,
    command: sms.Command,
    message_id: str,
    sender: bytes,
    phone: str,
) -> str:
    if command.name == "language":
        return await _choose_language(conn, command, sender)
    stored = await chosen_language(conn, sender)
    lang = sms_language.reply_language(command.lang, stored)
    command = replace(command, lang=lang)
    if command.name == "report":
        return await _file(request, conn, command, message_id, sender)
    if command.name == "status":
        receipt = parse_receipt(command.rest)
        if receipt is None:
            return sms.say("status_typo", lang)
        try:
            status = await _lookup(request, conn, receipt)
        except LookupsPaused:
            return sms.say("status_busy", lang)
        if status is None:
            return sms.say("status_unknown", lang, receipt=show_receipt(receipt))
        return sms.status_reply(status, lang)
    if command.name == "answer":
        code, _, answer = command.rest.partition(" ")
        receipt = parse_receipt(code)
        if receipt is None or not answer.strip():
            return sms.say("status_typo" if looks_like_receipt(code) else "answer_format", lang)
        try:
            status = await _lookup(request, conn, receipt)
        except LookupsPaused:
            return sms.say("status_busy", lang)
        if status is None or status.open_question_id is None:
            return sms.say("answer_none", lang, receipt=show_receipt(receipt))
        await answer_question(
            conn, receipt, status.open_question_id, answer, f"sms:{message_id}", "sms"
        )
        return sms.say("answer_sent", lang)
    if command.name == "check":
        if not command.rest:
            return sms.say("check_empty", lang)
        index = request.app[keys.DIRECTORY].index
        today = datetime.now(WIB).date()
        matches = index.search(command.rest)
        orders = index.job_orders(matches[0].licence_number) if len(matches) == 1 else None
        usable = orders is not None and matches[0].effective_status(today) == "aktif"
        dated = data_as_of(index, orders=usable)
        return sms.check_reply(command.rest, matches, today, lang, dated, orders)
    if command.name == "vacancies":
        return _vacancies(request, command)
    if command.name == "info":
        return sms.say("info", lang)
    if command.name == "subscribe":
        sealed = request.app[keys.IDENTITY].seal(phone)
        return await subscribe_by_sms(conn, sender, sealed, command.rest, lang)
    if command.name == "confirm":
        return await confirm_by_sms(conn, sender, lang)
    return sms.say("help", lang)


def _vacancies(request: web.Request, command: sms.Command) -> str:
    """CEK LOWONGAN <negara> [halaman]: the licensed agencies with a job order valid today to
    that country, a page per SMS, dated by the older of the registry and the job orders."""
    query, page = sms.vacancy_query(command.rest)
    country = destinations.country(query)
    index = request.app[keys.DIRECTORY].index
    names = index.recruiting_for(country.code, datetime.now(WIB).date()) if country else ()
    as_of = data_as_of(index, orders=True)
    return sms.vacancies_reply(country, query, names, page, command.lang, as_of)


async def _migrant_official(
    request: web.Request, conn: Conn, order: sms.Command, official: Official
) -> str:
    """CATAT starts a record (a consent request to the resident); BERANGKAT / PULANG set its
    departure or return day."""
    today = datetime.now(WIB).date()
    identity = request.app[keys.IDENTITY]
    if order.name == "record":
        proposal = parse_record(order.rest, today)
        if isinstance(proposal, str):
            if proposal == "format" and split_phone(order.rest) is None and order.rest:
                return sms.official_reply("migrant_phone", "")
            return sms.official_reply(f"migrant_{proposal}", "", month=month_example(today))
        hours = request.app[keys.CONFIG].migrant_consent_hours
        index = request.app[keys.DIRECTORY].index
        started = await migrants.start_record(
            conn, identity, index, official, proposal, today, hours
        )
        return migrants.requested_reply(started)
    parts = split_phone(order.rest)
    when = parse_day(parts[1], today) if parts else None
    if parts is None or when is None:
        return sms.official_reply("migrant_day", "", day=day_example(today))
    return await migrants.record_travel(conn, identity, official, parts[0], order.name, when)


async def _migrant_resident(
    request: web.Request, conn: Conn, word: tuple[str, Lang], sender: bytes
) -> str:
    """YA / DATAKU / HAPUS DATAKU from the number the request or record is about; from any
    other number they find nothing and change nothing."""
    what, keyword_lang = word
    lang = sms_language.reply_language(keyword_lang, await chosen_language(conn, sender))
    if what == "consent":
        migrant = await migrants.confirm(conn, request.app[keys.IDENTITY], sender)
        if migrant is None:  # no consent waiting: YA confirms a broadcast subscription, if any
            subscribed = await confirm_by_sms(conn, sender, lang)
            nothing = subscribed == sms.say("subscribe_nothing", lang)
            return sms.say("migrant_none", lang) if nothing else subscribed
        desa = desa_by_code().get(migrant.desa_code)
        shown = plain(desa.name if desa else migrant.desa_code, MIGRANT_DESA_CAP)
        return sms.say("migrant_confirmed", lang, desa=shown)
    if what == "export":
        own = await migrants.export_own(conn, sender)
        return migrants.record_text(own, lang) if own else sms.say("migrant_none", lang)
    deleted = await migrants.delete_own(conn, sender)
    return sms.say("migrant_deleted" if deleted else "migrant_none", lang)


async def _choose_language(conn: Conn, command: sms.Command, sender: bytes) -> str:
    """BAHASA alone lists the languages; BAHASA <language> stores the choice and confirms it in
    the new language; anything else is refused with the choices, nothing stored. The list and
    the refusal are in the keyword's language: whoever asks may not read the stored one."""
    lang = sms_language.reply_language(command.lang, None)
    if not command.rest:
        return sms.language_list(lang)
    chosen = sms_language.named(command.rest)
    if chosen is None:
        log.info("sms.language_unknown")
        return sms.language_unknown(command.rest, lang)
    await choose_language(conn, sender, chosen)
    log.info("sms.language_chosen", lang=chosen)
    return sms.say("lang_set", chosen)


async def _lookup(request: web.Request, conn: Conn, receipt: str) -> TipStatus | None:
    """A receipt lookup under the global failed-lookup budget."""
    return await read_status(conn, receipt, TipRules.from_config(request.app[keys.CONFIG]))


async def _official(
    request: web.Request,
    conn: Conn,
    order: sms.Command,
    official_id: int,
    message_id: str,
    sender: bytes,
) -> str:
    """OK / TANYA / SELESAI / INFO / TERUSKAN / TOLAK / KONFLIK from a registered official, on a
    tip routed to them and not handed over since: any other receipt is answered exactly like one
    that does not exist. Each maps onto the case lifecycle (ussd_menus/cases.py); a move it
    refuses is answered with the reason and changes nothing. A question or closing note asking
    who the reporter is, is held for staff review (the tip still closes)."""
    if order.name == "help":
        return sms.official_reply("help", "")
    if order.name == "signing":
        return await answer_check(request, conn, order.rest, official_id)
    if order.name == "signing_report":
        return await report_check(request, conn, official_id, message_id)
    if order.name == "law":
        log.info("law.sms_sent", official_id=official_id)
        return law_sms("id")
    if order.name == "report":
        return await _file_as_official(request, conn, order, official_id, message_id, sender)
    if order.name == "rekap":
        config = request.app[keys.CONFIG]
        return await answer_request(
            conn, official_id, datetime.now(WIB), config.rekap_throttle_minutes
        )
    code, _, rest = order.rest.partition(" ")
    receipt = parse_receipt(code)
    tip_id = await tip_id_for_official(conn, receipt, official_id) if receipt else None
    if receipt is None or tip_id is None:
        if receipt is not None:
            log.info("alerts.official_command_refused", command=order.name, official_id=official_id)
        return sms.official_reply("unknown" if code else "format", receipt or code)
    log.info("alerts.official_command", command=order.name, tip_id=tip_id, official_id=official_id)
    actor = Actor("sms", official_id=official_id)
    if order.name == "info":
        body = await _case_text(conn, tip_id)
        sent = await resend(conn, tip_id, official_id, lambda _tip: body)
        if sent:  # the whole case goes out: a read, audited like the console's
            name, _ = await official_named(conn, official_id)
            await record_read(conn, tip_id, name or f"official {official_id}", INFO_PURPOSE)
        return sms.official_reply("info" if sent else "info_recent", receipt)
    if order.name == "ok":
        moved = await move(conn, tip_id, "diterima", actor, note="OK")
        if isinstance(moved, Refused):
            return sms.official_reply("refused", receipt, reason=moved.reason)
        await acknowledge(conn, tip_id, official_id)
        await _tell_colleagues(conn, tip_id, official_id, "taken_by", receipt)
        return sms.official_reply("ok", receipt)
    if order.name in ("forward", "refuse", "conflict"):
        return await _hand_over(conn, order, tip_id, receipt, rest.strip(), actor)
    if not rest.strip():
        return sms.official_reply("format", receipt)
    body = rest.strip()[:1000]
    wanted = "menunggu_pelapor" if order.name == "ask" else "selesai_ditindak"
    moved = await move(conn, tip_id, wanted, actor, note=body)
    if isinstance(moved, Refused):
        return sms.official_reply("refused", receipt, reason=moved.reason)
    await acknowledge(conn, tip_id, official_id)
    held_for = identity_requests(body)
    if held_for:
        log.warning("tips.official_message_held", tip_id=tip_id, official_id=official_id)
    kind = "question" if order.name == "ask" else "note"
    await add_official_message(
        conn, receipt, kind, body, official_id=official_id, held_for=held_for
    )
    if order.name == "close":
        await _tell_colleagues(conn, tip_id, official_id, "closed_by", receipt)
    if order.name == "ask":
        return sms.official_reply("asked_held" if held_for else "asked", receipt)
    return sms.official_reply("closed_held" if held_for else "closed", receipt)


async def _case_text(conn: Conn, tip_id: int) -> str:
    """The whole case as INFO sends it: the alert's facts, status, history, questions and
    answers (ussd_menus.sms.case_text). History rows carry statuses and holders only, never a
    note's author."""
    tip = await tip_for_alert(conn, tip_id)
    status: str = await conn.fetchval("SELECT status FROM tips WHERE id = $1", tip_id)
    history = [
        sms.CaseStep(e.at.astimezone(WIB).date(), e.to_status, e.holder)
        for e in await case_events(conn, tip_id)
    ]
    return sms.case_text(
        tip.receipt,
        tip.category,
        status,
        (tip.kecamatan_name, tip.desa, tip.agency_name),
        tip.description,
        await case_thread(conn, tip_id),
        history,
    )


async def _tell_colleagues(
    conn: Conn, tip_id: int, official_id: int, key: str, receipt: str
) -> None:
    """Tell the other officials alerted for the case that this one took (`taken_by`) or closed
    (`closed_by`) it, by name and office from the directory; one SMS each, in the command's
    transaction (a retried command is recorded once, so it queues once)."""
    name, office = await official_named(conn, official_id)
    body = sms.official_reply(key, receipt, who=sms.who(name, office))
    for colleague in await colleagues(conn, tip_id, official_id):
        await enqueue_sms(
            conn,
            QueuedSms(
                recipient_sealed=None,
                recipient_kind="official",
                body=body,
                cause=f"case:{key}",
                official_id=colleague.official_id,
                is_sample=colleague.is_sample,
            ),
            tip_id=tip_id,
        )
    log.info("cases.colleagues_told", tip_id=tip_id, what=key)


async def _hand_over(
    conn: Conn, order: sms.Command, tip_id: int, receipt: str, rest: str, actor: Actor
) -> str:
    """TERUSKAN <receipt> <AGENCY>: to that agency's tier-1 officials for the case's area;
    TOLAK <receipt> <reason> / KONFLIK <receipt>: to the next tier's officials. Which officials
    is decided here; the handover itself is the use case the console's form calls too
    (gateway/usecases/cases.py hand_over_case). Nothing changes when there is nobody to hand it
    to or the lifecycle refuses."""
    if order.name == "forward":
        agency = rest.split(" ", 1)[0].upper()
        if not agency:
            return sms.official_reply("format", receipt)
        if not await agency_known(conn, agency):
            log.info("cases.agency_unknown")
            return sms.official_reply("agency_unknown", receipt, agency=agency)
        officials = await agency_officials(conn, tip_id, agency)
        if not officials:
            return sms.official_reply("agency_none", receipt, agency=agency)
        holder, note, reason = agency, f"TERUSKAN {agency}", "handover"
    else:
        if order.name == "refuse" and not rest:
            return sms.official_reply("format", receipt)
        officials = await next_tier_officials(conn, tip_id)
        if not officials:
            return sms.official_reply("no_higher", receipt)
        holder = holder_of(officials)
        note = f"TOLAK: {rest}" if order.name == "refuse" else "KONFLIK kepentingan"
        reason = "refused"
    moved = await hand_over_case(
        conn, tip_id, receipt, officials, actor, holder=holder, note=note, reason=reason
    )
    if isinstance(moved, Refused):
        return sms.official_reply("refused", receipt, reason=moved.reason)
    if order.name == "forward":
        return sms.official_reply("forwarded", receipt, agency=holder, count=len(officials))
    return sms.official_reply("passed_up", receipt, tier=officials[0]["tier"])


async def _file_as_official(
    request: web.Request,
    conn: Conn,
    order: sms.Command,
    official_id: int,
    message_id: str,
    sender: bytes,
) -> str:
    """LAPORPETUGAS <story>: the official's own report, attributed to them (their id, never their
    number, in the tip), through the use case every channel files with; the receipt reply says it
    is attributed. The reporter key still counts their hourly limit as for anyone."""
    first = re.match(r"[a-z]*", order.rest.strip().lower())  # a category word may lead
    report = TipReport(
        channel="sms",
        source_ref=f"sms:{message_id}",
        reporter_key=sender,
        category=first.group(0) if first else "",
        story=order.rest,
        lang="id",
        reported_by_official_id=official_id,
    )
    rules = TipRules.from_config(request.app[keys.CONFIG])
    filed = await file_tip(conn, report, rules, request.app[METRICS])
    if isinstance(filed, TooShort):
        return sms.say("report_empty", "id")
    if isinstance(filed, Limited):
        return sms.say("report_limited", "id", limit=filed.limit)
    return sms.say(
        "official_report_filed", "id", receipt=show_receipt(filed.receipt), code=filed.receipt
    )


async def _file(
    request: web.Request, conn: Conn, command: sms.Command, message_id: str, sender: bytes
) -> str:
    official, story = sms.official_mark(command.rest)  # LAPOR APARAT <cerita>
    first = re.match(r"[a-z]*", story.strip().lower())  # a category word may lead
    # The kecamatan (and desa) the story names, so the tip reaches the local tier; none or an
    # ambiguous one: the regency tier, as before (ussd_menus/places.py says why).
    place = find_in(story, request.app[keys.PLACES])
    log.info("sms.place_detected", found=place is not None, desa=bool(place and place.desa_code))
    report = TipReport(
        channel="sms",
        source_ref=f"sms:{message_id}",
        reporter_key=sender,
        category=first.group(0) if first else "",
        story=story,
        lang=command.lang,
        kecamatan_code=place.kecamatan_code if place else None,
        desa_code=place.desa_code if place else None,
        involves_village_official=official,
    )
    rules = TipRules.from_config(request.app[keys.CONFIG])
    filed = await file_tip(conn, report, rules, request.app[METRICS])
    if isinstance(filed, TooShort):
        return sms.say("report_empty", command.lang)
    if isinstance(filed, Limited):
        return sms.say("report_limited", command.lang, limit=filed.limit)
    return sms.report_filed(filed.receipt, command.lang, official=official)
