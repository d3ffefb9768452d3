"""
Moving a case, for every channel (officials' SMS, the console, the system itself): one function
that locks the case, asks the lifecycle (ussd_menus/cases.py) whether the move is allowed, and
records it with who, when, which channel and an internal note (storage/cases.py).

Two officials moving one case at once are serialised by the row lock: the second one reads the
first one's status and gets the lifecycle's refusal, so exactly one move wins.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from storage.cases import Actor, LockedCase, lock_case, record_move
from storage.db import Conn
from ussd_menus import cases

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
