"""
The audit trail admins read (issue 14 item 13): who read or changed which case, and who changed
which console account, as one list from the tables that already record it.

    read      tip_reads: reader (an account, `api:<label>`, an official's INFO by SMS, the CLI's
              reader), purpose
    move      case_events with a new status (handover: to 'diteruskan'; reopen marked)
    handover  case_events to 'diteruskan' by an official or an account
    assign    case_events of an assignment (a 'DITUGASKAN ...' note that keeps the status)
    note      case_events of an internal note (the status kept)
    message   tip_messages written by an official or an account (kind only, never the body)
    review    a held message released or rejected, by whom
    involved  case_involved_officials: an official named as involved, by whom
    account   account_changes: add, disable, enable, reset_password, set_role, set_area

No text anyone wrote about a case is returned: not a note, not a question, not the tip. An
assignment's detail is the one the system wrote (who it went to and by when). Case rows are
limited by storage.areas.area_condition like every tip query; account rows by the changed
account's area (a kecamatan admin sees changes to accounts of its kecamatan and its desa).
Pages are keyset-paginated, newest first, on (at, ref): `ref` is unique per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from storage.areas import EVERYWHERE, Area, area_condition
from storage.db import Queryable

TIME_ZONE = "Asia/Jakarta"
KINDS = ("read", "move", "handover", "assign", "note", "message", "review", "involved", "account")
# How a case_events row is told apart, for the audit trail and the coordination figures. A note
# and an assignment keep the status; a handover moves to 'diteruskan' (from 'diteruskan' too: a
# handover may follow a handover, and then only its note, written by gateway/usecases/cases.py
# and gateway/sms_inbound.py, says so); the system's first alert is not a handover.
_ASSIGN_NOTE = "'DITUGASKAN %'"  # gateway/usecases/cases.py assign


def is_handover(e: str) -> str:
    """SQL true for a case_events row (alias `e`) that hands the case over."""
    return (
        f"({e}.to_status = 'diteruskan' AND {e}.channel <> 'system'"
        f" AND ({e}.from_status <> 'diteruskan' OR {e}.note ~ '^(TERUSKAN|TOLAK|KONFLIK)\\M'))"
    )


def is_assignment(e: str) -> str:
    """SQL true for a case_events row (alias `e`) that records an assignment."""
    return f"({e}.from_status = {e}.to_status AND {e}.note LIKE {_ASSIGN_NOTE})"


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """The audit list's filters; None means any. `since`/`until` are WIB days."""

    actor: str | None = None  # an account, official or API reader, case-insensitive
    receipt: str | None = None
    kind: str | None = None
    since: date | None = None
    until: date | None = None
    area: Area = EVERYWHERE


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One thing someone did: when, what, who (and through which channel), to which case or
    account, and a short detail that never quotes what anyone wrote."""

    ref: str
    at: datetime
    kind: str
    actor: str
    channel: str
    receipt: str | None
    subject: str | None  # the account changed, for 'account'
    from_status: str | None
    to_status: str | None
    holder: str | None
    detail: str


_CASE_EVENT_KIND = (
    f"CASE WHEN {is_assignment('e')} THEN 'assign' WHEN {is_handover('e')} THEN 'handover'"
    " WHEN e.from_status = e.to_status THEN 'note' ELSE 'move' END"
)
_AREA = area_condition("t", 1, 2)
# $1/$2 the case area, $3 the reader's area code ('*' for the regency).
_TRAIL = (
    "SELECT 'r' || r.id AS ref, r.read_at AS at, 'read' AS kind, r.reader AS actor,"
    " CASE WHEN r.reader LIKE 'api:%' THEN 'api' WHEN r.purpose LIKE 'sms:%' THEN 'sms'"
    "  ELSE 'console' END AS channel,"
    " t.receipt, NULL::text AS subject, NULL::text AS from_status, NULL::text AS to_status,"
    " NULL::text AS holder, r.purpose AS detail"
    f" FROM tip_reads r JOIN tips t ON t.id = r.tip_id WHERE {_AREA}"
    " UNION ALL"
    f" SELECT 'e' || e.id, e.at, {_CASE_EVENT_KIND},"
    " coalesce(f.name, e.account, 'system'), e.channel, t.receipt, NULL, e.from_status,"
    " e.to_status, e.holder,"
    f" CASE WHEN {is_assignment('e')} THEN e.note"
    "  WHEN e.reopened THEN 'reopened' ELSE '' END"
    " FROM case_events e JOIN tips t ON t.id = e.tip_id"
    f" LEFT JOIN officials f ON f.id = e.official_id WHERE {_AREA}"
    " UNION ALL"
    " SELECT 'm' || m.id, m.created_at, 'message', coalesce(f.name, m.account, 'official'),"
    " CASE WHEN m.account IS NOT NULL THEN 'console' ELSE 'sms' END, t.receipt, NULL, NULL,"
    " NULL, NULL, m.kind FROM tip_messages m JOIN tips t ON t.id = m.tip_id"
    " LEFT JOIN officials f ON f.id = m.official_id"
    f" WHERE m.author = 'official' AND {_AREA}"
    " UNION ALL"
    " SELECT 'v' || m.id, m.reviewed_at, 'review', m.reviewed_by, 'console', t.receipt, NULL,"
    " NULL, NULL, NULL, m.review FROM tip_messages m JOIN tips t ON t.id = m.tip_id"
    f" WHERE m.reviewed_at IS NOT NULL AND {_AREA}"
    " UNION ALL"
    " SELECT 'i' || i.case_id || '-' || i.official_id, i.set_at, 'involved', i.set_by,"
    " 'console', t.receipt, NULL, NULL, NULL, NULL, f.name"
    " FROM case_involved_officials i JOIN tips t ON t.id = i.case_id"
    f" JOIN officials f ON f.id = i.official_id WHERE {_AREA}"
    " UNION ALL"
    " SELECT 'a' || c.id, c.changed_at, 'account', c.actor, 'console', NULL, u.name, NULL,"
    " NULL, NULL, c.action || CASE WHEN c.detail <> '' THEN ' ' || c.detail ELSE '' END"
    " FROM account_changes c JOIN users u ON u.id = c.user_id"
    " WHERE $3 = '*' OR u.area = $3 OR u.area LIKE $3 || '.%'"
)


async def audit_rows(
    conn: Queryable, wanted: AuditFilter, limit: int, before: tuple[datetime, str] | None = None
) -> list[AuditRow]:
    """The trail by the filters, newest first; `before` (at, ref) continues after a page's last
    row."""
    rows = await conn.fetch(
        f"SELECT * FROM ({_TRAIL}) a"
        " WHERE ($4::text IS NULL OR lower(a.actor) = lower($4))"
        " AND ($5::text IS NULL OR a.receipt = $5)"
        " AND ($6::text IS NULL OR a.kind = $6)"
        f" AND ($7::date IS NULL OR a.at >= $7::date::timestamp AT TIME ZONE '{TIME_ZONE}')"
        f" AND ($8::date IS NULL OR a.at < ($8::date + 1)::timestamp AT TIME ZONE '{TIME_ZONE}')"
        " AND ($9::timestamptz IS NULL OR (a.at, a.ref) < ($9, $10::text))"
        " ORDER BY a.at DESC, a.ref DESC LIMIT $11",
        wanted.area.kecamatan_code,
        wanted.area.desa_match,
        wanted.area.code,
        wanted.actor,
        wanted.receipt,
        wanted.kind,
        wanted.since,
        wanted.until,
        before[0] if before else None,
        before[1] if before else "",
        limit,
    )
    return [AuditRow(**dict(r)) for r in rows]
