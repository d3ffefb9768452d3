"""
The record of every check before signing (CEKIZIN): who asked, from which area, what, and the
answer with its reasons; counts per area for every console role and the list for Disnakertrans.

The area is the official's when they asked (storage/officials.py kecamatan_codes: the first
kecamatan code, or a desa code 36.04.NN.NNNN naming both); an official for the whole regency
('*') counts under no kecamatan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from storage.areas import Area
from storage.db import Queryable

_KECAMATAN = re.compile(r"36\.04\.\d{2}")
_DESA = re.compile(r"36\.04\.\d{2}\.\d{4}")
MAX_QUERY = 200


@dataclass(frozen=True, slots=True)
class SigningCheck:
    """One check as asked and answered."""

    official_id: int
    agency_query: str
    licence_number: str | None
    agency_name: str | None
    country_code: str
    job_kind: str
    result: str  # 'sign' or 'stop'
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CheckRow:
    """A recorded check, for the console list."""

    id: int
    checked_at: datetime
    official: str
    kecamatan_code: str | None
    desa_code: str | None
    agency_query: str
    licence_number: str | None
    agency_name: str | None
    country_code: str | None
    job_kind: str | None
    result: str
    reasons: tuple[str, ...]
    tip_id: int | None


@dataclass(frozen=True, slots=True)
class AreaCount:
    """Checks of one kecamatan (and desa, when the officials asking are desa officials)."""

    kecamatan_code: str | None
    kecamatan_name: str | None
    desa_code: str | None
    sign: int
    stop: int


def area_codes(codes: tuple[str, ...]) -> tuple[str | None, str | None]:
    """(kecamatan code, desa code) of an official's directory codes."""
    for code in codes:
        if _DESA.fullmatch(code):
            return code[:8], code
    for code in codes:
        if _KECAMATAN.fullmatch(code):
            return code, None
    return None, None


async def record_check(conn: Queryable, check: SigningCheck) -> int:
    """Record a check, in the area of the official's directory entry; its id."""
    codes = await conn.fetchval(
        "SELECT kecamatan_codes FROM officials WHERE id = $1", check.official_id
    )
    kecamatan, desa = area_codes(tuple(codes or ()))
    check_id: int = await conn.fetchval(
        "INSERT INTO signing_checks (official_id, kecamatan_code, desa_code, agency_query,"
        " licence_number, agency_name, country_code, job_kind, result, reasons)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        check.official_id,
        kecamatan,
        desa,
        check.agency_query[:MAX_QUERY],
        check.licence_number,
        check.agency_name,
        check.country_code,
        check.job_kind,
        check.result,
        list(check.reasons),
    )
    return check_id


async def red_to_report(conn: Queryable, official_id: int, since: datetime) -> CheckRow | None:
    """The official's latest 'stop' check since `since` not yet filed as a report."""
    rows = await _rows(
        conn,
        "s.official_id = $1 AND s.checked_at >= $2 AND s.result = 'stop' AND s.tip_id IS NULL",
        [official_id, since],
        1,
    )
    return rows[0] if rows else None


async def mark_reported(conn: Queryable, check_id: int, tip_id: int) -> None:
    """Link a check to the case it was filed as."""
    await conn.execute("UPDATE signing_checks SET tip_id = $2 WHERE id = $1", check_id, tip_id)


def _area_test(area: Area, first: int) -> tuple[str, list[object]]:
    """SQL over signing_checks s for an account's area (a desa area: that desa's checks)."""
    if area.kecamatan_code is None:
        return "true", []
    if area.desa_name is not None:
        return f"s.desa_code = ${first}", [area.code]
    return f"s.kecamatan_code = ${first}", [area.kecamatan_code]


async def counts_by_area(conn: Queryable, area: Area, since: datetime) -> list[AreaCount]:
    """Checks since `since` per kecamatan and desa inside the area, most checked first."""
    test, args = _area_test(area, 2)
    rows = await conn.fetch(
        "SELECT s.kecamatan_code, k.name AS kecamatan_name, s.desa_code,"
        " count(*) FILTER (WHERE s.result = 'sign') AS sign,"
        " count(*) FILTER (WHERE s.result = 'stop') AS stop"
        " FROM signing_checks s LEFT JOIN kecamatan k ON k.code = s.kecamatan_code"
        f" WHERE s.checked_at >= $1 AND {test}"
        " GROUP BY s.kecamatan_code, k.name, s.desa_code"
        " ORDER BY count(*) DESC, s.kecamatan_code, s.desa_code",
        since,
        *args,
    )
    return [AreaCount(**dict(r)) for r in rows]


async def list_checks(conn: Queryable, area: Area, limit: int = 200) -> list[CheckRow]:
    """The latest checks inside the area, newest first."""
    test, args = _area_test(area, 1)
    return await _rows(conn, test, args, limit)


async def _rows(conn: Queryable, test: str, args: list[object], limit: int) -> list[CheckRow]:
    rows = await conn.fetch(
        "SELECT s.id, s.checked_at, o.name AS official, s.kecamatan_code, s.desa_code,"
        " s.agency_query, s.licence_number, s.agency_name, s.country_code, s.job_kind,"
        " s.result, s.reasons, s.tip_id FROM signing_checks s"
        f" JOIN officials o ON o.id = s.official_id WHERE {test}"
        f" ORDER BY s.checked_at DESC, s.id DESC LIMIT {int(limit)}",
        *args,
    )
    return [CheckRow(**{**dict(r), "reasons": tuple(r["reasons"])}) for r in rows]
