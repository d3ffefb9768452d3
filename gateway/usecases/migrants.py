"""
Recording prospective migrant workers with their consent (issue 16 item 2): one function per
action, for SMS today and the console alike.

The rule this module keeps: no record without the resident's YES from the number it is about.
An official's CATAT stores only a consent request (the resident's keyed hash, their sealed number
and the proposed fields sealed with the service's key) and sends the resident the consent SMS:
purpose, what is kept, who sees it, how to see and delete it. Only a YA from a number whose keyed
hash matches an unexpired request turns it into a record; a YA from any other number finds nothing
and changes nothing. The resident's DATAKU sends them their record (an 'exported' audit line),
HAPUS DATAKU deletes it at once (storage/migrants.py keeps only that a deletion happened).
On entry the proposal is checked against the licence registry (the in-memory index) and the bans,
and a red result is told to the official with the request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import structlog

from gateway.agency_index import AgencyIndex
from gateway.identity import Identity
from gateway.phones import normalize
from storage import migrants as store
from storage.areas import Desa, desa_by_code
from storage.db import Conn
from storage.migrants import Migrant, NewMigrant
from storage.officials import Official
from storage.outbox import QueuedSms, enqueue_sms
from storage.sms_languages import chosen_language
from ussd_menus import sms, sms_catalogue, sms_language
from ussd_menus.migrants import Proposal, destination_closed
from ussd_menus.model import Lang
from ussd_menus.texts import day, plain, t

log = structlog.get_logger()
RED_FLAGS = ("agency_unknown", "agency_stopped", "closed")


@dataclass(frozen=True, slots=True)
class Requested:
    """A consent request went to the resident; `red` names what the official must hear."""

    phone: str  # the number as echoed back: its last 4 digits only
    hours: int
    red: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """Nothing was sent or stored: which part to fix (a template name) and its values."""

    key: str
    desa: str = ""
    code: str = ""  # a desa code of the official's area, as an example


def shown_phone(e164: str) -> str:
    """A resident's number as officials read it back: never whole (the outbox is at rest)."""
    return "****" + e164[-4:]


def find_desa(text: str, kecamatan_codes: tuple[str, ...]) -> Desa | None:
    """The desa an official named, by code or by name (any case), within their kecamatan."""
    wanted = " ".join(text.split()).lower()
    for desa in desa_by_code().values():
        inside = desa.kecamatan_code in kecamatan_codes or "*" in kecamatan_codes
        if inside and wanted in (desa.code, desa.name.lower()):
            return desa
    return None


def red_flags(index: AgencyIndex, proposal: Proposal, today: date) -> tuple[str, ...]:
    """What is wrong with the plan: an agency not in the registry or not licensed now, a
    destination closed for this job."""
    flags: list[str] = []
    if proposal.agency:
        found = index.search(proposal.agency)
        if not found:
            flags.append("agency_unknown")
        elif found[0].effective_status(today) != "aktif":
            flags.append("agency_stopped")
    if destination_closed(proposal.destination, proposal.job):
        flags.append("closed")
    return tuple(flags)


async def start_record(
    conn: Conn,
    identity: Identity,
    index: AgencyIndex,
    official: Official,
    proposal: Proposal,
    today: date,
    hours: int,
) -> Requested | Problem:
    """An official's request to record a resident: checks, a consent request, the consent SMS."""
    assert official.id is not None
    phone = normalize(proposal.phone)
    key = identity.reporter_key(proposal.phone)
    if phone is None or key is None:
        return Problem("phone")
    kecamatans = await store.may_record(conn, official.id)
    if not kecamatans:
        return Problem("not_allowed")
    desa = find_desa(proposal.desa, kecamatans)
    if desa is None:
        example = next(
            (d.code for d in desa_by_code().values() if d.kecamatan_code in kecamatans), ""
        )
        shown = plain(proposal.desa, sms_catalogue.MIGRANT_DESA_CAP)
        return Problem("desa", desa=shown, code=example)
    fields = {
        "name": proposal.name,
        "desa_code": desa.code,
        "destination": proposal.destination,
        "job": proposal.job,
        "agency": proposal.agency,
        "month": proposal.month.isoformat(),
    }
    request_id = await store.request_consent(
        conn,
        key,
        identity.seal(phone),
        identity.seal_text(json.dumps(fields)),
        official.id,
        hours,
    )
    lang = sms_language.reply_language("id", await chosen_language(conn, key))
    body = sms.say(
        "migrant_consent",
        lang,
        desa=plain(desa.name, sms_catalogue.MIGRANT_DESA_CAP),
        destination=plain(proposal.destination, sms_catalogue.MIGRANT_PLACE_CAP),
        hours=hours,
    )
    await enqueue_sms(
        conn, QueuedSms(identity.seal(phone), "resident", body, f"consent:{request_id}")
    )
    red = red_flags(index, proposal, today)
    log.info("migrants.consent_requested", official_id=official.id, red=list(red))
    return Requested(shown_phone(phone), hours, red)


def requested_reply(result: Requested | Problem) -> str:
    """The official's reply to CATAT."""
    if isinstance(result, Problem):
        values = {"desa": result.desa, "code": result.code} if result.key == "desa" else {}
        return sms.official_reply(f"migrant_{result.key}", "", **values)
    warning = "".join(t(f"migrant.red_{flag}", "id") for flag in result.red)
    return sms.official_reply(
        "migrant_requested", "", phone=result.phone, hours=result.hours, warning=warning
    )


async def confirm(conn: Conn, identity: Identity, resident_key: bytes) -> Migrant | None:
    """The resident's YA: their pending request becomes a record, the official who asked is
    told. None (nothing changes) when this number has no unexpired request."""
    pending = await store.pending_consent(conn, resident_key)
    if pending is None:
        log.info("migrants.consent_unmatched")
        return None
    fields = json.loads(identity.unseal(pending.proposal_sealed))
    desa = desa_by_code()[fields["desa_code"]]
    draft = NewMigrant(
        name=fields["name"],
        desa_code=desa.code,
        kecamatan_code=desa.kecamatan_code,
        destination=fields["destination"],
        job=fields["job"],
        agency=fields["agency"],
        planned_month=date.fromisoformat(fields["month"]),
    )
    migrant_id = await store.confirm(conn, pending, resident_key, draft, "resident (consent)")
    phone = identity.unseal(pending.resident_sealed)
    await enqueue_sms(
        conn,
        QueuedSms(
            None,
            "official",
            sms.official_reply("migrant_confirmed", "", phone=shown_phone(phone)),
            f"consent-confirmed:{migrant_id}",
            official_id=pending.official_id,
        ),
    )
    log.info("migrants.recorded", migrant_id=migrant_id)
    return await store.migrant_of(conn, resident_key)


async def export_own(conn: Conn, resident_key: bytes) -> Migrant | None:
    """DATAKU: the resident's own record, audited as an export."""
    migrant = await store.migrant_of(conn, resident_key)
    if migrant is not None:
        await store.audit(conn, migrant.id, "resident (DATAKU)", "exported")
    return migrant


async def delete_own(conn: Conn, resident_key: bytes) -> bool:
    """HAPUS DATAKU: the record and any pending request go at once."""
    await conn.execute("DELETE FROM migrant_consents WHERE resident_key = $1", resident_key)
    migrant = await store.migrant_of(conn, resident_key)
    if migrant is None:
        return False
    await store.delete(conn, migrant.id, "resident (HAPUS DATAKU)")
    log.info("migrants.deleted_by_resident", migrant_id=migrant.id)
    return True


def record_text(migrant: Migrant, lang: Lang) -> str:
    """The resident's record in one SMS (DATAKU)."""
    travel = ""
    if migrant.departed_on:
        travel += t("migrant.departed_on", lang, day=day(migrant.departed_on))
    if migrant.returned_on:
        travel += t("migrant.returned_on", lang, day=day(migrant.returned_on))
    desa = desa_by_code().get(migrant.desa_code)
    return sms.say(
        "migrant_record",
        lang,
        name=plain(migrant.name, sms_catalogue.MIGRANT_NAME_CAP),
        desa=plain(desa.name if desa else migrant.desa_code, sms_catalogue.MIGRANT_DESA_CAP),
        job=plain(migrant.job, sms_catalogue.MIGRANT_JOB_CAP),
        destination=plain(migrant.destination, sms_catalogue.MIGRANT_PLACE_CAP),
        agency=plain(migrant.agency or t("migrant.agency_none", lang), 40),
        month=f"{migrant.planned_month:%m/%Y}",
        travel=travel,
    )


async def record_travel(
    conn: Conn, identity: Identity, official: Official, phone_text: str, which: str, when: date
) -> str:
    """BERANGKAT / PULANG by an official who may see the record: the day is stored, audited;
    any other record is answered as if it did not exist."""
    assert official.id is not None
    phone = normalize(phone_text)
    key = identity.reporter_key(phone_text)
    if phone is None or key is None:
        return sms.official_reply("migrant_day", "", day=f"{when:%d/%m/%Y}")
    migrant = await store.migrant_of(conn, key)
    if migrant is None or not await store.may_access(conn, official.id, migrant.kecamatan_code):
        return sms.official_reply("migrant_unknown", "", phone=shown_phone(phone))
    await store.set_day(conn, migrant.id, which, when, f"official {official.id} (SMS)")
    return sms.official_reply(f"migrant_{which}", "", phone=shown_phone(phone), day=day(when))
