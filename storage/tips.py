"""
Tips and their anonymous thread: filing (idempotent per USSD session or SMS id), status, answers.

A tip is committed together with everything it causes (draft deletion, flags, queued SMS) in one
transaction, so a receipt shown to a resident always has its tip behind it. Phone numbers written
into the story are hidden on the way in (storage.phone_text), so neither the row nor an alert
carries them.

Limits are counted under a transaction-level advisory lock on what they count (the reporter, the
agency), so parallel requests are counted one after the other and cannot both pass. Callers with
no usable number share one reporter limit. During a tip flood (more new tips in a minute than the
flood threshold) tips are filed and acknowledged as usual, but their alerts to officials are held
for a person to release.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from storage.alerts import AlertText, route_tip
from storage.areas import EVERYWHERE, Area, area_condition
from storage.broadcasts import forget_unconfirmed
from storage.budgets import GLOBAL, count_use, purge_counters
from storage.db import Conn, Queryable
from storage.outbox import QueuedSms, enqueue_sms
from storage.phone_text import hide_phone_numbers

CATEGORIES = ("calo", "biaya", "dokumen", "visa", "tujuan", "bahaya", "lainnya")
# Officials' messages a reporter may see: never one held for review or rejected by a reviewer.
_SHOWN = "m.review IN ('none', 'released')"


@dataclass(frozen=True, slots=True)
class NewTip:
    """A tip as the resident filed it."""

    channel: str
    source_ref: str
    reporter_key: bytes | None
    category: str
    description: str
    kecamatan_code: str | None = None
    desa: str | None = None
    # The desa's Kemendagri code when the reporter chose it (or an SMS named it); checked
    # against storage.areas by the caller, lies in kecamatan_code.
    desa_code: str | None = None
    agency_licence: str | None = None
    agency_name: str | None = None
    agency_key: str | None = None
    lang: str = "id"
    # The reporter said a village official is involved (never alerted to the desa tier).
    involves_village_official: bool = False
    # An official reported as themselves ('laporan aparat'): the attribution is their id, never
    # their number.
    reported_by_official_id: int | None = None


@dataclass(frozen=True, slots=True)
class Filed:
    """The outcome of filing: the receipt, and whether this call created the tip."""

    tip_id: int
    receipt: str
    created: bool
    # Alerts held by the flood detector instead of queued.
    held: int = 0


@dataclass(frozen=True, slots=True)
class Limited:
    """Not filed: the reporter reached the hourly limit."""

    limit: int


@dataclass(frozen=True, slots=True)
class TipStatus:
    """What a reporter may see of their tip: never who else wrote, never officials' numbers."""

    receipt: str
    status: str
    category: str
    latest_message: str | None
    open_question_id: int | None
    open_question: str | None
    # The latest message's id when it is a question the reporter has answered.
    answered_question_id: int | None = None
    # Who holds the case (agency codes or a tier): residents learn only its kind.
    holder: str = ""
    # The case's public steps, oldest first: the day it was filed, then each move (a change of
    # status, or of the agencies holding it), as (day in WIB, status, holder).
    steps: tuple[tuple[date, str, str], ...] = ()


async def file_tip(
    conn: Conn,
    tip: NewTip,
    new_receipt: Callable[[], str],
    *,
    per_hour: int,
    flag_threshold: int,
    sms: Callable[[str], QueuedSms | None] = lambda receipt: None,
    alert: AlertText | None = None,
    flood_per_minute: int | None = None,
) -> Filed | Limited:
    """File a tip once per source; a retried source returns the first tip's receipt.

    Over `per_hour` tips from one reporter in the last hour files nothing and says so; callers
    without a reporter key share one such limit. Past `flood_per_minute` new tips in a minute,
    the tip's alerts are held (Filed.held) instead of queued.
    """
    async with conn.transaction():
        await _lock(conn, "tips:reporter:", tip.reporter_key.hex() if tip.reporter_key else "none")
        existing = await conn.fetchrow(
            "SELECT id, receipt FROM tips WHERE source_ref = $1", tip.source_ref
        )
        if existing:
            return Filed(existing["id"], existing["receipt"], created=False)
        if await recent_tip_count(conn, tip.reporter_key, 1) >= per_hour:
            return Limited(per_hour)
        row = None
        while row is None:  # a receipt collision (one in 10^8) just draws again
            row = await conn.fetchrow(
                "INSERT INTO tips (receipt, channel, source_ref, reporter_key, category,"
                " kecamatan_code, desa, agency_licence, agency_name, agency_key, description, lang,"
                " involves_village_official, reported_by_official_id, desa_code)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
                " ON CONFLICT (receipt) DO NOTHING RETURNING id, receipt",
                new_receipt(),
                tip.channel,
                tip.source_ref,
                tip.reporter_key,
                tip.category,
                tip.kecamatan_code,
                tip.desa,
                tip.agency_licence,
                tip.agency_name,
                tip.agency_key,
                hide_phone_numbers(tip.description),  # the one way tip text enters storage
                tip.lang,
                tip.involves_village_official,
                tip.reported_by_official_id,
                tip.desa_code,
            )
        if tip.reporter_key:  # nothing left to resume; see storage.drafts for what is kept
            await conn.execute(
                "UPDATE report_drafts SET state = 'null'::jsonb WHERE reporter_key = $1",
                tip.reporter_key,
            )
        if tip.agency_key:
            await _flag_busy_agency(conn, tip.agency_key, flag_threshold)
        queued = sms(row["receipt"])
        if queued is not None:
            await enqueue_sms(conn, queued, tip_id=row["id"])
        held = 0
        if alert is not None:
            flooded = flood_per_minute is not None and (
                await count_use(conn, "tips_per_minute", GLOBAL, "minute") > flood_per_minute
            )
            alerted = await route_tip(conn, row["id"], alert, hold=flooded)
            held = alerted if flooded else 0
        return Filed(row["id"], row["receipt"], created=True, held=held)


async def _lock(conn: Conn, kind: str, subject: str) -> None:
    """Serialise, to the end of the transaction, everyone counting the same thing."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", kind + subject)


async def _flag_busy_agency(conn: Conn, agency_key: str, threshold: int) -> None:
    await _lock(conn, "tips:agency:", agency_key)
    count: int = await conn.fetchval(
        "SELECT count(*) FROM tips WHERE agency_key = $1 AND created_at > now() - interval '1 day'",
        agency_key,
    )
    if count >= threshold:
        await conn.execute(
            "INSERT INTO tip_flags (kind, subject, day, tips)"
            " VALUES ('agency_burst', $1, current_date, $2)"
            " ON CONFLICT (kind, subject, day) DO UPDATE SET tips = excluded.tips",
            agency_key,
            count,
        )


async def receipt_of_source(conn: Queryable, source_ref: str) -> str | None:
    """The receipt of the tip filed from this source (a USSD session, an SMS), if any."""
    receipt: str | None = await conn.fetchval(
        "SELECT receipt FROM tips WHERE source_ref = $1", source_ref
    )
    return receipt


async def recent_tip_count(conn: Queryable, reporter_key: bytes | None, hours: int) -> int:
    """How many tips this reporter filed in the last hours (None: every caller without a number,
    together)."""
    if reporter_key is None:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM tips WHERE reporter_key IS NULL AND purged_at IS NULL"
            " AND created_at > now() - make_interval(hours => $1)",
            hours,
        )
        return count
    count = await conn.fetchval(
        "SELECT count(*) FROM tips WHERE reporter_key = $1"
        " AND created_at > now() - make_interval(hours => $2)",
        reporter_key,
        hours,
    )
    return count


async def tip_status(conn: Queryable, receipt: str) -> TipStatus | None:
    """A tip's status, latest official message (and whether it is a question already answered)
    and unanswered question, and its public steps, by receipt: what the reporter sees, so
    messages held for review or rejected are left out, and so are the reporter's own answers and
    the internal notes."""
    row = await conn.fetchrow(
        # A move is public when the status or the agencies holding the case change (a note or
        # an assignment is not); each row of case_events carries the holder at that moment.
        "WITH moves AS (SELECT e.id, (e.at AT TIME ZONE 'Asia/Jakarta')::date AS day,"
        "  e.to_status, e.holder, e.from_status <> e.to_status OR e.reopened"
        "   OR e.holder <> coalesce(lag(e.holder) OVER (ORDER BY e.id), '') AS public"
        "  FROM case_events e JOIN tips t ON t.id = e.tip_id WHERE t.receipt = $1)"
        " SELECT t.receipt, t.status, t.holder, t.category, l.body AS latest,"
        " CASE WHEN l.kind = 'question' AND EXISTS (SELECT 1 FROM tip_messages a"
        "  WHERE a.reply_to = l.id) THEN l.id END AS answered_id,"
        " q.id AS question_id, q.body AS question,"
        " (t.created_at AT TIME ZONE 'Asia/Jakarta')::date AS filed_on,"
        " ARRAY(SELECT day FROM moves WHERE public ORDER BY id) AS step_days,"
        " ARRAY(SELECT to_status FROM moves WHERE public ORDER BY id) AS step_statuses,"
        " ARRAY(SELECT holder FROM moves WHERE public ORDER BY id) AS step_holders"
        " FROM tips t LEFT JOIN LATERAL ("
        "  SELECT m.id, m.kind, m.body FROM tip_messages m WHERE m.tip_id = t.id"
        f"  AND m.author = 'official' AND {_SHOWN} ORDER BY m.id DESC LIMIT 1) l ON true"
        " LEFT JOIN LATERAL ("
        "  SELECT m.id, m.body FROM tip_messages m WHERE m.tip_id = t.id AND m.kind = 'question'"
        f"  AND {_SHOWN} AND NOT EXISTS (SELECT 1 FROM tip_messages a WHERE a.reply_to = m.id)"
        "  ORDER BY m.id DESC LIMIT 1) q ON true"
        " WHERE t.receipt = $1",
        receipt,
    )
    if row is None:
        return None
    moves = zip(row["step_days"], row["step_statuses"], row["step_holders"], strict=True)
    return TipStatus(
        receipt=row["receipt"],
        status=row["status"],
        category=row["category"],
        latest_message=row["latest"],
        holder=row["holder"],
        open_question_id=row["question_id"],
        open_question=row["question"],
        answered_question_id=row["answered_id"],
        steps=((row["filed_on"], "baru", ""), *moves),
    )


async def answer_question(
    conn: Queryable,
    receipt: str,
    question_id: int,
    body: str,
    source_ref: str,
) -> bool:
    """Add the reporter's answer to a question once per source; False if the question is unknown
    or not shown to the reporter (held for review or rejected)."""
    row = await conn.fetchrow(
        "INSERT INTO tip_messages (tip_id, author, kind, body, reply_to, source_ref)"
        " SELECT m.tip_id, 'reporter', 'answer', $3, m.id, $4"
        " FROM tip_messages m JOIN tips t ON t.id = m.tip_id"
        f" WHERE t.receipt = $1 AND m.id = $2 AND m.kind = 'question' AND {_SHOWN}"
        " ON CONFLICT (source_ref) DO UPDATE SET source_ref = excluded.source_ref"
        " RETURNING id",
        receipt,
        question_id,
        body,
        source_ref,
    )
    return row is not None


async def add_official_message(
    conn: Queryable,
    receipt: str,
    kind: str,
    body: str,
    *,
    official_id: int | None = None,
    account: str | None = None,
    held_for: tuple[str, ...] = (),
) -> int | None:
    """An official's question or note on a tip, recorded with the official who sent it (the SMS
    commands always name one) or the console account that wrote it. With
    `held_for` (why: the identity words it asks for) it is held for staff review: the reporter
    does not see it until an investigator or admin releases it."""
    message_id: int | None = await conn.fetchval(
        "INSERT INTO tip_messages"
        " (tip_id, author, kind, body, official_id, review, held_for, account)"
        " SELECT id, 'official', $2, $3, $4, $5, $6, $7 FROM tips WHERE receipt = $1 RETURNING id",
        receipt,
        kind,
        body,
        official_id,
        "held" if held_for else "none",
        ", ".join(held_for)[:200],
        account,
    )
    return message_id


REVIEW_DECISIONS = ("released", "rejected")


async def review_message(
    conn: Queryable,
    receipt: str,
    message_id: int,
    decision: str,
    reviewer: str,
    area: Area = EVERYWHERE,
) -> bool:
    """Release or reject a held message of this tip, recording who decided and when. One
    statement, only from 'held': a second click or a concurrent reviewer changes nothing (False),
    nor does a reviewer whose area the tip is outside."""
    assert decision in REVIEW_DECISIONS
    done: int | None = await conn.fetchval(
        "UPDATE tip_messages m SET review = $3, reviewed_by = $4, reviewed_at = now()"
        " FROM tips t WHERE t.id = m.tip_id AND t.receipt = $1 AND m.id = $2"
        f" AND m.review = 'held' AND {area_condition('t', 5, 6)} RETURNING m.id",
        receipt,
        message_id,
        decision,
        reviewer,
        area.kecamatan_code,
        area.desa_match,
    )
    return done is not None


async def set_status(conn: Queryable, receipt: str, status: str) -> bool:
    """Move a tip to a status without the lifecycle or its history: for test fixtures only
    (every real move goes through gateway/usecases/cases.py). False if no such tip."""
    result: str = await conn.execute(
        "UPDATE tips SET status = $2, updated_at = now() WHERE receipt = $1", receipt, status
    )
    return result.endswith(" 1")


@dataclass(frozen=True, slots=True)
class TipContent:
    """A tip as staff read it (every read is audited)."""

    receipt: str
    channel: str
    category: str
    status: str
    kecamatan_code: str | None
    desa: str | None
    agency_name: str | None
    description: str | None
    created_at: datetime


async def read_tip(
    conn: Conn, receipt: str, reader: str, purpose: str, area: Area = EVERYWHERE
) -> TipContent | None:
    """A tip's content for staff; the read is written to the audit log in the same transaction.
    A tip outside the reader's area is not found (and its read not written)."""
    async with conn.transaction():
        row = await conn.fetchrow(
            "SELECT id, receipt, channel, category, status, kecamatan_code, desa, agency_name,"
            " description, created_at FROM tips t"
            f" WHERE receipt = $1 AND {area_condition('t', 2, 3)}",
            receipt,
            area.kecamatan_code,
            area.desa_match,
        )
        if row is None:
            return None
        await record_read(conn, row["id"], reader, purpose)
    return TipContent(**{k: v for k, v in row.items() if k != "id"})


async def reported_by(conn: Queryable, receipt: str, area: Area = EVERYWHERE) -> str | None:
    """Who filed a 'laporan aparat' (an official's own report): the official's name and office
    from the directory; None for a resident's (anonymous) tip or one outside the reader's area."""
    row = await conn.fetchrow(
        "SELECT o.name, o.office FROM tips t JOIN officials o ON o.id = t.reported_by_official_id"
        f" WHERE t.receipt = $1 AND {area_condition('t', 2, 3)}",
        receipt,
        area.kecamatan_code,
        area.desa_match,
    )
    if row is None:
        return None
    return f"{row['name']} ({row['office']})" if row["office"] else str(row["name"])


async def record_read(conn: Queryable, tip_id: int, reader: str, purpose: str) -> None:
    """Write one read of a tip's content to the audit log: for a read that does not go through
    `read_tip` (an official's INFO by SMS sends the content out), in the reader's transaction."""
    await conn.execute(
        "INSERT INTO tip_reads (tip_id, reader, purpose) VALUES ($1, $2, $3)",
        tip_id,
        reader,
        purpose,
    )


@dataclass(frozen=True, slots=True)
class Purged:
    """What a retention run removed."""

    tips: int
    messages: int
    drafts: int
    inbound: int
    outbox: int


async def purge(conn: Conn, retention_days: int, draft_minutes: int) -> Purged:
    """Drop reporter keys, drafts and free text past retention; anonymous counts stay."""
    async with conn.transaction():
        tips = await conn.fetch(
            "UPDATE tips SET reporter_key = NULL, description = NULL, desa = NULL,"
            " agency_name = NULL, purged_at = now()"
            " WHERE created_at < now() - make_interval(days => $1) AND purged_at IS NULL"
            " RETURNING id",
            retention_days,
        )
        messages = await conn.execute(
            "UPDATE tip_messages SET body = NULL WHERE body IS NOT NULL"
            " AND tip_id IN (SELECT id FROM tips WHERE purged_at IS NOT NULL)"
        )
        drafts = await conn.execute(
            "DELETE FROM report_drafts WHERE updated_at < now() - make_interval(mins => $1)",
            draft_minutes,
        )
        inbound = await conn.execute(
            "DELETE FROM sms_inbound WHERE received_at < now() - make_interval(days => $1)",
            retention_days,
        )
        outbox = await conn.execute(
            "UPDATE outbox SET recipient_sealed = '', body = '' WHERE recipient_sealed <> ''"
            " AND created_at < now() - make_interval(days => $1)",
            retention_days,
        )
        await purge_counters(conn)
        await forget_unconfirmed(conn)  # broadcast subscriptions never confirmed
    return Purged(
        tips=len(tips),
        messages=_count(messages),
        drafts=_count(drafts),
        inbound=_count(inbound),
        outbox=_count(outbox),
    )


def _count(status: str) -> int:
    return int(status.split()[-1])
