"""
The officials directory: who is alerted for which kecamatan and categories, at which tier.

An import matches each row to an official already known by a stable id (an optional `id` column,
the number the console shows), else by phone number, else by name and office, so a new phone
number is one change of that official, not "deactivate + add". A full snapshot ("replace")
deactivates the officials missing from the file (they keep their history of alerts); an update
("update") only adds and changes. Nothing is deleted. Phone numbers arrive normalised to E.164 by a
function the caller passes in, since normalising is not storage's business.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

import asyncpg

from storage.areas import desa_by_code
from storage.csv_files import parse_csv, split_list, write_csv
from storage.db import Conn, Queryable
from storage.errors import CsvProblem
from storage.registry import changed_fields

COLUMNS = ("name", "role", "phone", "office", "kecamatan_codes", "categories", "tier", "active")
# Optional: the agency an official works for, as a code TERUSKAN names (KEC, DESA, DISNAKER,
# BP3MI, POLRES, POLSEK, IMIGRASI, or any the operator adds): letters, digits, '_'; and, for the
# desa tier, the Kemendagri codes of the desa an official serves (36.04.12.2001;...): they are
# then alerted only for tips of those desa, or of their kecamatan when a tip names no desa.
OPTIONAL = ("agency", "desa_codes", "id")
AGENCY_CODE = re.compile(r"[A-Z][A-Z0-9_]{1,15}")
# Its +62... numbers start like a formula but are not one: exported as they are, never warned about.
PHONE_COLUMNS = ("phone",)
ALL = "*"
# The desa tier, as SQL over officials: a village official (kepala desa, perangkat desa) is one
# of agency DESA, or whose office is a desa ("Desa Sukamaju", "Pemerintah Desa ...", "Kantor
# Desa ...") or whose role is a village post ("Kepala Desa", "Perangkat Desa", "Sekretaris Desa",
# "Kades", "Sekdes"): older directories have no agency column (tier 1 holds both desa and
# kecamatan officials). A camat's staff with "desa" later in the role ("Kasi Pemberdayaan
# Masyarakat Desa") is not one.
VILLAGE_OFFICIAL = (
    r"(officials.agency = 'DESA'"
    r" OR officials.office ~* '^\s*((pemerintah|kantor)\s+)?desa\M'"
    r" OR officials.role ~* '^\s*((kepala|perangkat|sekretaris)\s+desa|kades|sekdes)\M')"
)
_TRUE = {"true", "ya", "yes", "1"}
_FALSE = {"false", "tidak", "no", "0"}


@dataclass(frozen=True, slots=True)
class Official:
    """One official who receives alerts."""

    name: str
    role: str
    phone: str
    office: str
    kecamatan_codes: tuple[str, ...]
    categories: tuple[str, ...]
    tier: int
    active: bool = True
    is_sample: bool = False
    id: int | None = None
    agency: str = ""
    desa_codes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DirectoryDiff:
    """What an import changed, by name; changed_fields says which fields of each changed one."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    deactivated: tuple[str, ...]
    changed_fields: tuple[str, ...] = ()
    before: int = 0


def parse_officials(
    text: str,
    normalize_phone: Callable[[str], str | None],
    kecamatan_codes: Collection[str],
    categories: Collection[str],
    desa: Mapping[str, str] | None = None,
) -> list[Official]:
    """Parse and validate an officials CSV; raises InvalidCsv listing every problem. `desa`
    maps each known desa code to its kecamatan code (storage.areas; the shipped list when
    None)."""
    known_desa = desa if desa is not None else desa_kecamatan()

    def parse_row(row: dict[str, str], line: int) -> tuple[Official | None, list[CsvProblem]]:
        problems: list[CsvProblem] = []

        def bad(column: str, message: str) -> None:
            problems.append(CsvProblem(line, column, message))

        if not row["name"] or len(row["name"]) > 120:
            bad("name", "required, at most 120 characters")
        phone = normalize_phone(row["phone"])
        if phone is None:
            bad("phone", f"not a phone number: {row['phone']!r}")
        codes = split_list(row["kecamatan_codes"])
        unknown = [c for c in codes if c != ALL and c not in kecamatan_codes]
        if not codes or unknown:
            bad("kecamatan_codes", f"unknown kecamatan code(s) {unknown}" if codes else "required")
        keys = split_list(row["categories"])
        wrong = [c for c in keys if c != ALL and c not in categories]
        if not keys or wrong:
            bad("categories", f"unknown category key(s) {wrong}" if keys else "required")
        tier = row["tier"]
        if tier not in ("1", "2", "3"):
            bad("tier", "must be 1, 2 or 3")
        active = row["active"].lower()
        if active not in _TRUE | _FALSE:
            bad("active", "must be true or false")
        agency = row.get("agency", "").strip().upper()
        if agency and not AGENCY_CODE.fullmatch(agency):
            bad("agency", f"not an agency code (2-16 letters, digits, '_'): {row['agency']!r}")
        desa_codes = split_list(row.get("desa_codes", ""))
        if problem := _desa_problem(desa_codes, codes, known_desa):
            bad("desa_codes", problem)
        stable_id = row.get("id", "")
        if stable_id and not (stable_id.isascii() and stable_id.isdigit() and len(stable_id) < 18):
            bad("id", f"not an official's number: {stable_id[:20]!r}")
        if problems or phone is None:
            return None, problems
        official = Official(
            name=" ".join(row["name"].split()),
            role=row["role"],
            phone=phone,
            office=row["office"],
            kecamatan_codes=codes,
            categories=keys,
            tier=int(tier),
            active=active in _TRUE,
            agency=agency,
            desa_codes=desa_codes,
            id=int(stable_id) if stable_id else None,
        )
        return official, []

    return parse_csv(text, COLUMNS, OPTIONAL, parse_row, lambda o: o.phone, "phone")


def desa_kecamatan() -> dict[str, str]:
    """Every shipped desa code and the kecamatan code it lies in."""
    return {code: d.kecamatan_code for code, d in desa_by_code().items()}


def _desa_problem(
    desa_codes: tuple[str, ...], kecamatan_codes: tuple[str, ...], known: Mapping[str, str]
) -> str | None:
    """What is wrong with an official's desa codes: unknown ones, or ones outside the
    official's kecamatan; None when nothing is."""
    unknown = [c for c in desa_codes if c not in known]
    if unknown:
        return f"unknown desa code(s) {unknown} (Kemendagri codes such as 36.04.12.2001)"
    if ALL in kecamatan_codes:
        return None
    outside = [c for c in desa_codes if known[c] not in kecamatan_codes]
    if outside:
        return f"desa code(s) {outside} outside the official's kecamatan {list(kecamatan_codes)}"
    return None


def format_officials(officials: Iterable[Official]) -> str:
    """Officials in the import format, safe to open in a spreadsheet."""
    rows = [
        {
            "name": o.name,
            "role": o.role,
            "phone": o.phone,
            "office": o.office,
            "kecamatan_codes": ";".join(o.kecamatan_codes),
            "categories": ";".join(o.categories),
            "tier": str(o.tier),
            "active": "true" if o.active else "false",
            "agency": o.agency,
            "desa_codes": ";".join(o.desa_codes),
            # The stable id an import matches first (the phone number may change).
            "id": "" if o.id is None else str(o.id),
        }
        for o in officials
    ]
    return write_csv([*COLUMNS, *OPTIONAL], rows, PHONE_COLUMNS)


_SELECT = (
    "SELECT id, name, role, phone, office, kecamatan_codes, categories, tier, active, is_sample,"
    " agency, desa_codes FROM officials"
)


async def load_officials(conn: Queryable) -> list[Official]:
    """Every official, by tier and name."""
    return [_official(r) for r in await conn.fetch(_SELECT + " ORDER BY tier, name, id")]


async def official_by_phone(conn: Queryable, phone: str) -> Official | None:
    """The active official with this E.164 number."""
    row = await conn.fetchrow(_SELECT + " WHERE phone = $1 AND active", phone)
    return _official(row) if row else None


# The migration's trigger notifies this channel when the directory changes (0027).
OFFICIALS_CHANNEL = "officials_changed"


async def active_official_phones(conn: Queryable) -> frozenset[str]:
    """The numbers of the active officials (E.164): what every process keeps in memory."""
    return frozenset(
        r["phone"] for r in await conn.fetch("SELECT phone FROM officials WHERE active")
    )


def _official(r: asyncpg.Record) -> Official:
    return Official(
        id=r["id"],
        name=r["name"],
        role=r["role"],
        phone=r["phone"],
        office=r["office"],
        kecamatan_codes=tuple(r["kecamatan_codes"]),
        categories=tuple(r["categories"]),
        tier=r["tier"],
        active=r["active"],
        is_sample=r["is_sample"],
        agency=r["agency"],
        desa_codes=tuple(r["desa_codes"]),
    )


_COMPARED = (
    "name",
    "role",
    "phone",
    "office",
    "kecamatan_codes",
    "categories",
    "tier",
    "active",
    "agency",
    "desa_codes",
)


def _person(o: Official) -> tuple[str, str]:
    return (" ".join(o.name.casefold().split()), " ".join(o.office.casefold().split()))


def match(
    current: list[Official], officials: list[Official]
) -> list[tuple[Official | None, Official]]:
    """Each file row with the known official it is (None for a new one): by id, else by phone,
    else by name and office; no known official is matched twice."""
    by_id = {o.id: o for o in current}
    by_phone = {o.phone: o for o in current}
    by_person: dict[tuple[str, str], Official] = {}
    for o in sorted(current, key=lambda o: o.active):  # an active namesake wins
        by_person[_person(o)] = o
    used: set[int | None] = set()
    pairs: list[tuple[Official | None, Official]] = []
    for new in officials:
        candidates = (
            by_id.get(new.id) if new.id is not None else None,
            by_phone.get(new.phone),
            by_person.get(_person(new)),
        )
        old = next((c for c in candidates if c is not None and c.id not in used), None)
        if old is not None:
            used.add(old.id)
        pairs.append((old, new))
    return pairs


def directory_diff(
    current: list[Official], officials: list[Official], mode: str = "replace"
) -> DirectoryDiff:
    """What importing `officials` would change in the `current` directory (see match); an
    update deactivates nobody."""
    pairs = match(current, officials)
    matched = {old.id for old, _ in pairs if old is not None}
    changed = [
        (old, new) for old, new in pairs if old is not None and changed_fields(old, new, _COMPARED)
    ]
    gone = [o for o in current if o.id not in matched and o.active] if mode == "replace" else []
    return DirectoryDiff(
        added=tuple(new.name for old, new in pairs if old is None),
        changed=tuple(new.name for _, new in changed),
        deactivated=tuple(o.name for o in gone),
        changed_fields=tuple(changed_fields(old, new, _COMPARED) for old, new in changed),
        before=sum(1 for o in current if o.active),
    )


def _values(o: Official, sample: bool) -> tuple[object, ...]:
    return (
        o.name,
        o.role,
        o.phone,
        o.office,
        list(o.kecamatan_codes),
        list(o.categories),
        o.tier,
        o.active,
        sample,
        o.agency,
        list(o.desa_codes),
    )


async def import_officials(
    conn: Conn, officials: list[Official], *, sample: bool, mode: str = "replace"
) -> DirectoryDiff:
    """Make the directory match the file: update the matched officials (see match), add the
    new ones and, for a full snapshot, deactivate the missing."""
    async with conn.transaction():
        await conn.execute("LOCK TABLE officials IN SHARE ROW EXCLUSIVE MODE")
        current = await load_officials(conn)
        diff = directory_diff(current, officials, mode)
        pairs = match(current, officials)
        await conn.executemany(
            "UPDATE officials SET name = $1, role = $2, phone = $3, office = $4,"
            " kecamatan_codes = $5, categories = $6, tier = $7, active = $8, is_sample = $9,"
            " agency = $10, desa_codes = $11 WHERE id = $12",
            [(*_values(new, sample), old.id) for old, new in pairs if old is not None],
        )
        await conn.executemany(
            "INSERT INTO officials (name, role, phone, office, kecamatan_codes, categories,"
            " tier, active, is_sample, agency, desa_codes)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            [_values(new, sample) for old, new in pairs if old is None],
        )
        if mode == "replace":
            await conn.execute(
                "UPDATE officials SET active = false WHERE NOT (phone = ANY($1::text[]))",
                [o.phone for o in officials],
            )
    return diff
