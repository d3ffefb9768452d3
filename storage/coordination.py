"""
The coordination export's queries: a per-area, per-period case summary for the monthly
coordination meeting (issue 14 item 10), and the list of the cases behind it.

A period is a span of Kabupaten Serang (WIB) days, both ends included. For every case of the
reader's area filed before the period ended, one statement works out what the meeting counts:

- new: filed in the period;
- closed by outcome: closed in the period (a case closed, reopened and closed again counts once,
  by its last outcome in the period);
- still open / overdue: open at the end of the period (its status then is the last case_events
  move before the end, 'baru' when there was none), and overdue when its due date had passed;
- handovers: handovers made by an official or an account in the period (TERUSKAN, TOLAK,
  KONFLIK, the console's form; storage.audit.is_handover), not the system's first alert.

Figures are grouped by kecamatan, the case's current holder (an agency code or a tier) and
category; the console adds them up per table. The case list never carries a tip's text unless
the caller asks for it, and then every listed tip's read is written to tip_reads by the same
statement that reads it (as storage.tips.read_tip does for one tip).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from storage.areas import Area, area_condition
from storage.audit import is_handover
from storage.db import Queryable
from ussd_menus.cases import CLOSED, OPEN

TIME_ZONE = "Asia/Jakarta"
OUTCOMES = ("selesai_ditindak", "tidak_terbukti", "bukan_wewenang")
assert frozenset(OUTCOMES) == CLOSED


def _sql_list(values: frozenset[str]) -> str:
    return ", ".join(f"'{v}'" for v in sorted(values))


@dataclass(frozen=True, slots=True)
class Period:
    """WIB days, both included; `kecamatan` narrows the reader's area to one kecamatan."""

    since: date
    until: date
    area: Area
    kecamatan: str | None = None


@dataclass(frozen=True, slots=True)
class Figures:
    """What the meeting counts for one group of cases."""

    new: int = 0
    selesai_ditindak: int = 0
    tidak_terbukti: int = 0
    bukan_wewenang: int = 0
    still_open: int = 0
    overdue: int = 0
    handovers: int = 0

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(a + b for a, b in zip(_values(self), _values(other), strict=True)))


FIGURES = tuple(Figures.__dataclass_fields__)


def _values(figures: Figures) -> tuple[int, ...]:
    return tuple(getattr(figures, name) for name in FIGURES)


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """The figures of one kecamatan, holder and category."""

    kecamatan_code: str | None
    kecamatan_name: str | None
    holder: str
    category: str
    figures: Figures


# b.s/b.e the period's first and last moment (see _with_facts), $3/$4 the area, $5 one kecamatan
# or NULL.
_FACTS = (
    "SELECT t.id, t.receipt, t.created_at, t.category, t.kecamatan_code, t.holder, t.due_on,"
    " t.description, t.created_at >= b.s AS new, coalesce(s.to_status, 'baru') AS status_at_end,"
    " (SELECT e.to_status FROM case_events e WHERE e.tip_id = t.id AND e.at >= b.s"
    f"  AND e.at < b.e AND e.to_status IN ({_sql_list(CLOSED)})"
    f"  AND e.from_status NOT IN ({_sql_list(CLOSED)}) ORDER BY e.id DESC LIMIT 1) AS closed_as,"
    " (SELECT count(*) FROM case_events e WHERE e.tip_id = t.id AND e.at >= b.s AND e.at < b.e"
    f"  AND {is_handover('e')})::int AS handovers"
    " FROM b, tips t LEFT JOIN LATERAL (SELECT e.to_status FROM case_events e"
    "  WHERE e.tip_id = t.id AND e.at < b.e ORDER BY e.id DESC LIMIT 1) s ON true"
    f" WHERE t.created_at < b.e AND {area_condition('t', 3, 4)}"
    " AND ($5::text IS NULL OR t.kecamatan_code = $5)"
)
_OPEN_AT_END = f"f.status_at_end IN ({_sql_list(OPEN)})"
_COUNTED = f"(f.new OR f.closed_as IS NOT NULL OR f.handovers > 0 OR {_OPEN_AT_END})"
_BOUNDS = (
    f"$1::date::timestamp AT TIME ZONE '{TIME_ZONE}'",
    f"($2::date + 1)::timestamp AT TIME ZONE '{TIME_ZONE}'",
)


def _params(period: Period) -> tuple[object, ...]:
    return (
        period.since,
        period.until,
        period.area.kecamatan_code,
        period.area.desa_match,
        period.kecamatan,
    )


def _with_facts() -> str:
    """The facts CTE, the period's bounds computed once from $1/$2 (WIB days)."""
    start, end = _BOUNDS
    return f"WITH b AS (SELECT {start} AS s, {end} AS e), facts AS ({_FACTS})"


async def summary(conn: Queryable, period: Period) -> list[SummaryRow]:
    """The figures per kecamatan, holder and category (groups with nothing to count left out)."""
    rows = await conn.fetch(
        _with_facts() + " SELECT f.kecamatan_code, k.name AS kecamatan_name, f.holder, f.category,"
        " count(*) FILTER (WHERE f.new)::int AS new,"
        + "".join(f" count(*) FILTER (WHERE f.closed_as = '{o}')::int AS {o}," for o in OUTCOMES)
        + f" count(*) FILTER (WHERE {_OPEN_AT_END})::int AS still_open,"
        f" count(*) FILTER (WHERE {_OPEN_AT_END} AND f.due_on <= $2::date)::int AS overdue,"
        " sum(f.handovers)::int AS handovers"
        f" FROM facts f LEFT JOIN kecamatan k ON k.code = f.kecamatan_code WHERE {_COUNTED}"
        " GROUP BY f.kecamatan_code, k.name, f.holder, f.category"
        " ORDER BY k.name NULLS LAST, f.holder, f.category",
        *_params(period),
    )
    return [
        SummaryRow(
            r["kecamatan_code"],
            r["kecamatan_name"],
            r["holder"],
            r["category"],
            Figures(*(r[name] for name in FIGURES)),
        )
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class CaseLine:
    """One case of the period as the meeting's list shows it; `description` only when asked
    for (and then its read is audited)."""

    receipt: str
    created_at: datetime
    category: str
    kecamatan_name: str | None
    status: str  # at the end of the period
    holder: str
    description: str | None


async def case_lines(
    conn: Queryable, period: Period, limit: int, *, reader: str = "", purpose: str = ""
) -> list[CaseLine]:
    """The cases the summary counts that were filed, closed or handed over in the period, oldest
    first. With a `reader`, each listed tip's text is returned and its read written to tip_reads
    (reader, purpose) in this same statement; without one, no text is read."""
    rows = await conn.fetch(
        _with_facts() + ", listed AS (SELECT f.*, k.name AS kecamatan_name FROM facts f"
        " LEFT JOIN kecamatan k ON k.code = f.kecamatan_code"
        " WHERE f.new OR f.closed_as IS NOT NULL OR f.handovers > 0"
        " ORDER BY f.created_at, f.id LIMIT $6),"
        " logged AS (INSERT INTO tip_reads (tip_id, reader, purpose)"
        " SELECT id, $7, $8 FROM listed WHERE $7 <> '' RETURNING tip_id)"
        " SELECT l.receipt, l.created_at, l.category, l.kecamatan_name,"
        " l.status_at_end AS status, l.holder,"
        " CASE WHEN $7 <> '' THEN l.description END AS description"
        " FROM listed l ORDER BY l.created_at, l.id",
        *_params(period),
        limit,
        reader,
        purpose,
    )
    return [CaseLine(**dict(r)) for r in rows]
