"""
Moving a case, for every channel (officials' SMS, the console, the system itself): one function
that locks the case, asks the lifecycle (ussd_menus/cases.py) whether the move is allowed, and
records it with who, when, which channel and an internal note (storage/cases.py).

Two officials moving one case at once are serialised by the row lock: the second one reads the
first one's status and gets the lifecycle's refusal, so exactly one move wins.

The actions that are more than a move live here too, so each channel calls one function: an
internal note (a history row that keeps the status; residents never see it), a question to the
reporter (a move to menunggu_pelapor plus the question on the tip's thread, held for review when
it asks who the reporter is) and a handover to an agency (TERUSKAN by SMS, the console's form).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import structlog
from asyncpg import Record

from gateway.alerting import alert_text
from storage.alerts import agency_known, agency_officials, hand_over
from storage.case_sms import official_named
from storage.cases import (
    Actor,
    Assignment,
    LockedCase,
    lock_case,
    record_assignment,
    record_move,
)
from storage.db import Conn
from storage.outbox import QueuedSms, enqueue_sms
from storage.tips import add_official_message
from ussd_menus import cases, sms
from ussd_menus.identity_requests import identity_requests

log = structlog.get_logger()


@dataclass(frozen=True, slots=True)
class Moved:
    """The case moved; `case` is how it was before."""

    case: LockedCase
    to_status: str


async def move(
    conn: Conn,
    tip_id: int,
    wanted: str,
    actor: Actor,
    *,
    note: str = "",
    holder: str | None = None,
) -> Moved | cases.Refused:
    """Move the case to `wanted` if the lifecycle allows it from where it is now."""
    async with conn.transaction():
        case = await lock_case(conn, tip_id)
        if case is None:
            return cases.Refused("", wanted, "kasus tidak ditemukan")
        refused = cases.check(case.status, wanted)
        if refused is not None:
            log.info(
                "cases.move_refused",
                tip_id=tip_id,
                current=case.status,
                wanted=wanted,
                channel=actor.channel,
            )
            return refused
        reopened = cases.is_reopening(case.status, wanted)
        await record_move(conn, case, wanted, actor, note=note, holder=holder, reopened=reopened)
        log.info(
            "cases.moved",
            tip_id=tip_id,
            from_status=case.status,
            to_status=wanted,
            channel=actor.channel,
            reopened=reopened,
        )
        return Moved(case, wanted)


async def reopen(conn: Conn, tip_id: int, actor: Actor, note: str = "") -> Moved | cases.Refused:
    """A closed case back under investigation (audited as a reopening); an open case is refused,
    so "reopen" never passes for an ordinary move."""
    async with conn.transaction():
        case = await lock_case(conn, tip_id)
        if case is None:
            return cases.Refused("", "diselidiki", "kasus tidak ditemukan")
        if case.status not in cases.CLOSED:
            return cases.Refused(case.status, "diselidiki", "kasus belum ditutup")
        return await move(conn, tip_id, "diselidiki", actor, note=note)


async def assign(conn: Conn, tip_id: int, actor: Actor, assignment: Assignment, label: str) -> bool:
    """Assign the case (to an account, an official or an agency, with a due date) under its
    lock; the history gets a row keeping the status, `label` saying to whom. False if no case."""
    async with conn.transaction():
        case = await lock_case(conn, tip_id)
        if case is None:
            return False
        await record_assignment(conn, case, assignment)
        due = assignment.due_on.isoformat() if assignment.due_on else "-"
        await record_move(conn, case, case.status, actor, note=f"DITUGASKAN {label} s.d. {due}")
    log.info("cases.assigned", tip_id=tip_id, channel=actor.channel)
    return True


async def add_note(conn: Conn, tip_id: int, actor: Actor, note: str) -> bool:
    """An internal note on the case's history, under the case's lock, keeping its status.
    False if there is no such case or the note is empty."""
    if not note.strip():
        return False
    async with conn.transaction():
        case = await lock_case(conn, tip_id)
        if case is None:
            return False
        await record_move(conn, case, case.status, actor, note=note.strip())
    log.info("cases.noted", tip_id=tip_id, channel=actor.channel)
    return True


@dataclass(frozen=True, slots=True)
class Asked:
    """The question is on the thread; `held_for` names the identity words that hold it for
    review (empty: the reporter sees it now)."""

    message_id: int
    held_for: tuple[str, ...]


async def ask_reporter(
    conn: Conn, tip_id: int, receipt: str, actor: Actor, question: str
) -> Asked | cases.Refused:
    """Move the case to menunggu_pelapor and put the question on the reporter's thread (the same
    thread as an official's TANYA), in one transaction. A question asking who the reporter is,
    is held for staff review as TANYA's is."""
    body = question.strip()[:1000]
    async with conn.transaction():
        moved = await move(conn, tip_id, "menunggu_pelapor", actor, note=body)
        if isinstance(moved, cases.Refused):
            return moved
        held_for = identity_requests(body)
        if held_for:
            log.warning("tips.official_message_held", tip_id=tip_id, channel=actor.channel)
        message_id = await add_official_message(
            conn,
            receipt,
            "question",
            body,
            official_id=actor.official_id,
            account=actor.account,
            held_for=held_for,
        )
    assert message_id is not None
    return Asked(message_id, held_for)


@dataclass(frozen=True, slots=True)
class HandedOver:
    """The case went to `count` officials; `agency` is the new holder (an agency code or a
    tier)."""

    agency: str
    count: int


@dataclass(frozen=True, slots=True)
class NoSuchAgency:
    """No active official in the directory has this agency code."""

    agency: str


@dataclass(frozen=True, slots=True)
class NobodyThere:
    """The agency exists but has nobody for this case's area and category."""

    agency: str


async def hand_over_to_agency(
    conn: Conn, tip_id: int, receipt: str, agency: str, actor: Actor
) -> HandedOver | NoSuchAgency | NobodyThere | cases.Refused:
    """TERUSKAN: to the agency's tier-1 officials for the case's area, who are alerted (their
    escalation clock starts now); the previous holders lose the case and those who did not make
    the move are told by SMS it was taken. Nothing changes when nobody is there to take it or
    the lifecycle refuses."""
    agency = agency.strip().upper()
    if not await agency_known(conn, agency):
        log.info("cases.agency_unknown", channel=actor.channel)
        return NoSuchAgency(agency)
    officials = await agency_officials(conn, tip_id, agency)
    if not officials:
        return NobodyThere(agency)
    return await hand_over_case(
        conn, tip_id, receipt, officials, actor, holder=agency, note=f"TERUSKAN {agency}"
    )


async def hand_over_case(
    conn: Conn,
    tip_id: int,
    receipt: str,
    officials: Sequence[Record],
    actor: Actor,
    *,
    holder: str,
    note: str,
    reason: str = "handover",
) -> HandedOver | cases.Refused:
    """Give the case to `officials` (TERUSKAN's agency, or the next tier for TOLAK / KONFLIK):
    move it to diteruskan with the new holder and alert them (their escalation clock starts
    now), in one transaction; then tell the previous holders who did not make the move that it
    was taken, and by whom (the official's name and office, or the console account). Nothing
    changes when the lifecycle refuses."""
    async with conn.transaction():
        moved = await move(conn, tip_id, "diteruskan", actor, note=note, holder=holder)
        if isinstance(moved, cases.Refused):
            return moved
        previous = await hand_over(conn, tip_id, officials, alert_text, reason)
    if actor.official_id is not None:
        by = sms.who(*await official_named(conn, actor.official_id))
    else:
        by = sms.who(actor.account or "", "")
    for official_id, is_sample in sorted(previous.items()):
        if official_id != actor.official_id:
            await enqueue_sms(
                conn,
                QueuedSms(
                    recipient_sealed=None,
                    recipient_kind="official",
                    body=sms.official_reply("taken", receipt, agency=holder, who=by),
                    cause="case:taken",
                    official_id=official_id,
                    is_sample=is_sample,
                ),
                tip_id=tip_id,
            )
    return HandedOver(holder, len(officials))
