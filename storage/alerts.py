"""
Alerts to officials: routing a new tip, acknowledgements, and escalation.

Routing is data: the officials directory (kecamatan, categories, tier) and `routing_rules`
(per category: every tier at once, and how long before escalating). An alert and its outbox row
are written in the transaction that caused them. Nothing here knows who reported a tip.

Conflict of interest: a tip the reporter marked as involving a village official never reaches a
village official (storage.officials.VILLAGE_OFFICIAL) and goes to the kecamatan and the kabupaten
tier at once; so does an official's own report ('laporan aparat'), which never reaches the
official who filed it either; an official an investigator named as involved in a case
(case_involved_officials) gets none of its alerts, escalations or resends again, and cannot act
on it by SMS.

During a tip flood alerts are written but held (outbox status 'held'): they are not sent and
do not escalate until a person releases them, when their acknowledgement time starts afresh.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from asyncpg import Record

from storage.cases import forward_new
from storage.conflicts import is_involved
from storage.db import Conn
from storage.officials import VILLAGE_OFFICIAL
from storage.outbox import QueuedSms, enqueue_sms, record_event


@dataclass(frozen=True, slots=True)
class TipForAlert:
    """What an alert says about a tip."""

    id: int
    receipt: str
    category: str
    kecamatan_code: str | None
    kecamatan_name: str | None
    desa: str | None
    agency_name: str | None
    description: str | None
    # The reporter said a village official is involved: no village official is alerted.
    involves_village_official: bool = False
    # An official reported it as themselves ('laporan aparat'): routed the same way.
    reported_by_official_id: int | None = None

    @property
    def skips_village(self) -> bool:
        """Whether the desa tier is left out and the kabupaten tier alerted at once: a tip about
        a village official, or an official's own report (kecamatan and Disnakertrans)."""
        return self.involves_village_official or self.reported_by_official_id is not None


AlertText = Callable[[TipForAlert], str]

# Who may be alerted for a tip ($1 kecamatan, $2 category, $3 tip id, $4 village officials too):
# never an official named as involved in the case, nor the official who reported it. An official
# with desa codes (the desa tier) only for a tip of one of those desa, or for a tip of their
# kecamatan with no desa code.
_MATCHING = (
    "SELECT id, tier, is_sample, agency FROM officials WHERE active"
    " AND ('*' = ANY(kecamatan_codes) OR $1::text = ANY(kecamatan_codes))"
    " AND (desa_codes = '{}' OR (SELECT t.desa_code IS NULL OR t.desa_code = ANY(desa_codes)"
    "  FROM tips t WHERE t.id = $3))"
    " AND ('*' = ANY(categories) OR $2::text = ANY(categories))"
    " AND NOT EXISTS (SELECT 1 FROM case_involved_officials i"
    "  WHERE i.case_id = $3 AND i.official_id = officials.id)"
    f" AND ($4::boolean OR NOT {VILLAGE_OFFICIAL})"
    " AND officials.id IS DISTINCT FROM"
    " (SELECT reported_by_official_id FROM tips WHERE tips.id = $3)"
)
# The kabupaten tier (Disnakertrans): a tip involving a village official goes there at once.
KABUPATEN_TIER = 2


async def tip_for_alert(conn: Conn, tip_id: int) -> TipForAlert:
    """A tip as alerts describe it."""
    row = await conn.fetchrow(
        "SELECT t.id, t.receipt, t.category, t.kecamatan_code, k.name AS kecamatan_name, t.desa,"
        " t.agency_name, t.description, t.involves_village_official, t.reported_by_official_id"
        " FROM tips t"
        " LEFT JOIN kecamatan k ON k.code = t.kecamatan_code WHERE t.id = $1",
        tip_id,
    )
    assert row is not None
    return TipForAlert(**dict(row))


async def route_tip(conn: Conn, tip_id: int, text: AlertText, *, hold: bool = False) -> int:
    """Alert the officials a new tip is for; returns how many. Call in the tip's transaction.

    Urgent categories alert every tier at once; otherwise tier 1 of the tip's kecamatan and
    category, or, when there is none, the first tier above that has someone. A tip involving a
    village official skips village officials and alerts the kabupaten tier too. The case is then
    'diteruskan' to them. With `hold`, the alerts wait for `release_held` and the case stays
    'baru' until then.
    """
    tip = await tip_for_alert(conn, tip_id)
    rule = await conn.fetchrow(
        "SELECT all_tiers, ack_minutes FROM routing_rules WHERE category IN ($1, '*')"
        " ORDER BY category = '*' LIMIT 1",
        tip.category,
    )
    assert rule is not None  # the '*' rule is seeded by the migration
    officials = await conn.fetch(
        _MATCHING, tip.kecamatan_code, tip.category, tip.id, not tip.skips_village
    )
    if not rule["all_tiers"]:
        tiers = sorted({o["tier"] for o in officials})
        lowest = tiers[0] if tiers else 0
        up_to = max(lowest, KABUPATEN_TIER) if tip.skips_village else lowest
        officials = [o for o in officials if o["tier"] <= up_to]
    body = text(tip)
    for official in officials:
        await _alert(conn, tip.id, official, body, "new", rule["ack_minutes"], held=hold)
    if officials and not hold:
        await forward_new(conn, [tip.id], holder_of(officials), "alert")
    return len(officials)


def holder_of(officials: Sequence[Record]) -> str:
    """Who holds a case alerted to these officials, as residents may learn it: their agencies'
    codes, or their tier when the directory names no agency."""
    agencies = sorted({o["agency"] for o in officials if o["agency"]})
    if agencies:
        return ",".join(agencies)[:40]
    return f"tier {min(o['tier'] for o in officials)}" if officials else ""


async def _alert(
    conn: Conn,
    tip_id: int,
    official: object,
    body: str,
    reason: str,
    ack_minutes: int,
    *,
    held: bool = False,
) -> None:
    sms_id = await enqueue_sms(
        conn,
        QueuedSms(
            recipient_sealed=None,
            recipient_kind="official",
            body=body,
            cause=f"alert:{reason}",
            official_id=official["id"],  # type: ignore[index]
            is_sample=official["is_sample"],  # type: ignore[index]
            held=held,
        ),
        tip_id=tip_id,
    )
    await conn.execute(
        "INSERT INTO alerts (tip_id, official_id, tier, outbox_id, reason, ack_due_at)"
        " VALUES ($1, $2, $3, $4, $5, now() + make_interval(mins => $6))",
        tip_id,
        official["id"],  # type: ignore[index]
        official["tier"],  # type: ignore[index]
        sms_id,
        reason,
        ack_minutes,
    )


async def acknowledge(conn: Conn, tip_id: int, official_id: int) -> None:
    """The official has the tip in hand: their alerts are acknowledged (no more escalation).
    The case's status is the lifecycle's business (gateway/usecases/cases.py)."""
    await conn.execute(
        "UPDATE alerts SET acknowledged_at = now() WHERE tip_id = $1 AND official_id = $2"
        " AND acknowledged_at IS NULL AND handed_over_at IS NULL",
        tip_id,
        official_id,
    )


RESEND_EVERY_MINUTES = 60


async def resend(conn: Conn, tip_id: int, official_id: int, text: AlertText) -> bool:
    """Send the tip's alert again to one official (their INFO command). It is an answer to a
    request, not a new alert: it opens nothing to acknowledge or escalate.

    At most once per RESEND_EVERY_MINUTES per tip and official (each resend is a paid SMS);
    False when one was queued more recently. Call inside a transaction: the check is serialised
    per tip and official by an advisory lock held to its end.
    """
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        f"alerts:resend:{tip_id}:{official_id}",
    )
    recent = await conn.fetchval(
        "SELECT true FROM outbox WHERE tip_id = $1 AND official_id = $2"
        " AND cause = 'alert:resend' AND created_at > now() - make_interval(mins => $3) LIMIT 1",
        tip_id,
        official_id,
        RESEND_EVERY_MINUTES,
    )
    if recent or await is_involved(conn, tip_id, official_id):
        return False
    official = await conn.fetchrow("SELECT is_sample FROM officials WHERE id = $1", official_id)
    assert official is not None
    tip = await tip_for_alert(conn, tip_id)
    await enqueue_sms(
        conn,
        QueuedSms(
            recipient_sealed=None,
            recipient_kind="official",
            body=text(tip),
            cause="alert:resend",
            official_id=official_id,
            is_sample=official["is_sample"],
        ),
        tip_id=tip_id,
    )
    return True


@dataclass(frozen=True, slots=True)
class Escalated:
    """One tip passed on to the next tier."""

    tip_id: int
    from_tier: int
    to_tier: int | None
    alerted: int


async def escalate_due(conn: Conn, text: AlertText, limit: int = 100) -> list[Escalated]:
    """Pass on tips whose alerts went unacknowledged past their time, or failed to deliver.

    Runs in one transaction under an advisory lock, so several workers never escalate twice.
    """
    done: list[Escalated] = []
    async with conn.transaction():
        if not await conn.fetchval("SELECT pg_try_advisory_xact_lock(7366)"):
            return done
        due = await conn.fetch(
            "SELECT a.tip_id, max(a.tier) AS tier FROM alerts a"
            " JOIN tips t ON t.id = a.tip_id LEFT JOIN outbox o ON o.id = a.outbox_id"
            " WHERE a.acknowledged_at IS NULL AND a.escalated_at IS NULL"
            " AND a.handed_over_at IS NULL AND t.status NOT IN"
            " ('selesai_ditindak', 'tidak_terbukti', 'bukan_wewenang')"
            " AND o.status IS DISTINCT FROM 'held'"
            " AND (a.ack_due_at < now() OR o.status IN ('failed', 'dead'))"
            " AND NOT EXISTS (SELECT 1 FROM alerts x WHERE x.tip_id = a.tip_id"
            "  AND x.acknowledged_at IS NOT NULL AND x.handed_over_at IS NULL)"
            " GROUP BY a.tip_id ORDER BY a.tip_id LIMIT $1",
            limit,
        )
        for row in due:
            done.append(await _escalate(conn, row["tip_id"], row["tier"], text))
    return done


async def _escalate(conn: Conn, tip_id: int, tier: int, text: AlertText) -> Escalated:
    tip = await tip_for_alert(conn, tip_id)
    open_alerts = await conn.fetch(
        "UPDATE alerts SET escalated_at = now() WHERE tip_id = $1 AND acknowledged_at IS NULL"
        " AND escalated_at IS NULL AND handed_over_at IS NULL RETURNING outbox_id",
        tip_id,
    )
    rule = await conn.fetchrow(
        "SELECT ack_minutes FROM routing_rules WHERE category IN ($1, '*')"
        " ORDER BY category = '*' LIMIT 1",
        tip.category,
    )
    assert rule is not None
    candidates = await conn.fetch(
        _MATCHING + " AND tier > $5 AND id NOT IN (SELECT official_id FROM alerts"
        " WHERE tip_id = $3) ORDER BY tier",
        tip.kecamatan_code,
        tip.category,
        tip_id,
        not tip.skips_village,
        tier,
    )
    next_tier = candidates[0]["tier"] if candidates else None
    chosen = [c for c in candidates if c["tier"] == next_tier]
    body = text(tip)
    for official in chosen:
        await _alert(conn, tip_id, official, body, "escalated", rule["ack_minutes"])
    detail = f"to tier {next_tier}" if next_tier else "no higher tier left"
    for alert in open_alerts:
        if alert["outbox_id"] is not None:
            await record_event(conn, alert["outbox_id"], "escalated", detail)
    return Escalated(tip_id, tier, next_tier, len(chosen))


async def tip_id_for_official(conn: Conn, receipt: str, official_id: int) -> int | None:
    """The tip with this receipt if it was routed to this official (they hold an alert for it:
    their tier, area and category when it was routed or escalated) and not handed over to
    someone else since, else None.

    One query answers both "no such tip" and "not yours" the same way, so an official's number
    (or a forged sender) learns nothing about tips routed elsewhere. An official named as
    involved in the case is answered the same way: they can neither read nor act on it.
    """
    tip_id: int | None = await conn.fetchval(
        "SELECT t.id FROM tips t WHERE t.receipt = $1"
        " AND EXISTS (SELECT 1 FROM alerts a WHERE a.tip_id = t.id AND a.official_id = $2"
        " AND a.handed_over_at IS NULL)"
        " AND NOT EXISTS (SELECT 1 FROM case_involved_officials i"
        "  WHERE i.case_id = t.id AND i.official_id = $2)",
        receipt,
        official_id,
    )
    return tip_id


async def release_held(conn: Conn) -> int:
    """Queue every held alert for sending; their acknowledgement time starts now. Returns how
    many were released."""
    async with conn.transaction():
        released = await conn.fetch(
            "UPDATE outbox SET status = 'queued', next_attempt_at = now(), updated_at = now()"
            " WHERE status = 'held' RETURNING id, tip_id"
        )
        ids = [r["id"] for r in released]
        await conn.execute(
            "UPDATE alerts SET ack_due_at = now() + (ack_due_at - created_at)"
            " WHERE outbox_id = ANY($1::bigint[])",
            ids,
        )
        await forward_new(
            conn,
            [r["tip_id"] for r in released if r["tip_id"] is not None],
            "",
            "alert released after a tip flood",
        )
        await conn.executemany(
            "INSERT INTO sms_events (outbox_id, kind, detail) VALUES ($1, 'released', $2)",
            [(i, "held during a tip flood, released") for i in ids],
        )
    return len(ids)


async def agency_known(conn: Conn, agency: str) -> bool:
    """Whether any active official in the directory belongs to this agency code."""
    return bool(
        await conn.fetchval("SELECT true FROM officials WHERE active AND agency = $1", agency)
    )


async def agency_officials(conn: Conn, tip_id: int, agency: str) -> list[Record]:
    """The agency's first-tier officials for this case's kecamatan and category (TERUSKAN), never
    one named as involved nor, for a tip involving a village official, a village official:
    those of the lowest tier the agency has for it (a Polres may sit at tier 2 of the
    directory, yet its first desk is who a handover reaches)."""
    tip = await tip_for_alert(conn, tip_id)
    found = await conn.fetch(
        _MATCHING + " AND agency = $5 ORDER BY tier, id",
        tip.kecamatan_code,
        tip.category,
        tip.id,
        not tip.skips_village,
        agency,
    )
    return [o for o in found if o["tier"] == found[0]["tier"]]


async def next_tier_officials(conn: Conn, tip_id: int) -> list[Record]:
    """The officials of the first tier above the case's current holders (TOLAK, KONFLIK)."""
    tip = await tip_for_alert(conn, tip_id)
    tier = await conn.fetchval(
        "SELECT max(tier) FROM alerts WHERE tip_id = $1 AND handed_over_at IS NULL", tip_id
    )
    candidates = await conn.fetch(
        _MATCHING + " AND tier > $5 ORDER BY tier, id",
        tip.kecamatan_code,
        tip.category,
        tip.id,
        not tip.skips_village,
        tier or 0,
    )
    first = candidates[0]["tier"] if candidates else None
    return [c for c in candidates if c["tier"] == first]


async def hand_over(
    conn: Conn, tip_id: int, officials: Sequence[Record], text: AlertText, reason: str
) -> dict[int, bool]:
    """Give the case to `officials`: every current alert is handed over (no more rights on the
    case, no more escalation) and the new holders are alerted with a fresh acknowledgement time
    (the escalation clock restarts with them). Returns the previous holders: official id ->
    whether they are a sample official."""
    previous = await conn.fetch(
        "UPDATE alerts a SET handed_over_at = now() FROM officials o WHERE o.id = a.official_id"
        " AND a.tip_id = $1 AND a.handed_over_at IS NULL RETURNING a.official_id, o.is_sample",
        tip_id,
    )
    tip = await tip_for_alert(conn, tip_id)
    rule = await conn.fetchrow(
        "SELECT ack_minutes FROM routing_rules WHERE category IN ($1, '*')"
        " ORDER BY category = '*' LIMIT 1",
        tip.category,
    )
    assert rule is not None
    body = text(tip)
    for official in officials:
        await _alert(conn, tip_id, official, body, reason, rule["ack_minutes"])
    return {r["official_id"]: r["is_sample"] for r in previous}
