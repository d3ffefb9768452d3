"""
Areas an account may see: the whole regency (`*`), one kecamatan (`36.04.NN`) or one desa
(`36.04.NN.NNNN`).

The desa list ships with the package (storage/data/serang-desa.csv, ODbL: see the README beside
it) and is read once at import time; kecamatan codes are checked against the kecamatan table.
A tip belongs to an area by its kecamatan code and, for a desa area, by its desa code (tips filed
since desa codes, migration 0021) or, for an older tip without one, by the desa name it was filed
with. A tip with no kecamatan belongs only to the regency.
`area_condition` is the one SQL test every tip query uses, so lists, pages, charts, exports and
the API agree on what an account may see.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from storage.db import Queryable
from storage.errors import StorageError

REGENCY = "*"
_KECAMATAN = re.compile(r"36\.04\.\d{2}")
_DESA = re.compile(r"36\.04\.\d{2}\.\d{4}")


class InvalidArea(StorageError):
    """Not `*`, a known kecamatan code or a known desa code."""


@dataclass(frozen=True, slots=True)
class Desa:
    """One desa or kelurahan with its Kemendagri code."""

    code: str
    name: str
    kecamatan_code: str


@dataclass(frozen=True, slots=True)
class Area:
    """What an account may see: kecamatan None means the whole regency; desa_name narrows a
    kecamatan to one desa (the one `code` names)."""

    code: str
    kecamatan_code: str | None = None
    desa_name: str | None = None

    @property
    def regency(self) -> bool:
        """The whole regency: every tip, those without a kecamatan included."""
        return self.kecamatan_code is None

    @property
    def desa_match(self) -> list[str] | None:
        """What area_condition's desa parameter takes: [desa code, desa name], or None for a
        kecamatan or the regency."""
        return None if self.desa_name is None else [self.code, self.desa_name]


EVERYWHERE = Area(REGENCY)


@cache
def desa_by_code() -> dict[str, Desa]:
    """The 326 desa and kelurahan of Kabupaten Serang, by code."""
    text = (resources.files("storage") / "data" / "serang-desa.csv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines())
    return {r["desa_code"]: Desa(r["desa_code"], r["desa"], r["kecamatan_code"]) for r in rows}


def area_of(code: str) -> Area:
    """The area a stored code stands for (stored codes were checked when set)."""
    if _DESA.fullmatch(code):
        desa = desa_by_code().get(code)
        # An unknown stored desa sees nothing rather than its whole kecamatan: no desa name is
        # longer than 100 characters (a CHECK on tips says so).
        return Area(code, code[:8], desa.name if desa else "?" * 101)
    if _KECAMATAN.fullmatch(code):
        return Area(code, code)
    return EVERYWHERE


async def checked_area(conn: Queryable, text: str) -> Area:
    """The area a person typed, or InvalidArea saying what is accepted."""
    code = text.strip()
    if code == REGENCY:
        return EVERYWHERE
    if _KECAMATAN.fullmatch(code):
        if await conn.fetchval("SELECT 1 FROM kecamatan WHERE code = $1", code) is None:
            raise InvalidArea(f"area {code!r}: no such kecamatan in Kabupaten Serang")
        return area_of(code)
    if _DESA.fullmatch(code):
        if code not in desa_by_code():
            raise InvalidArea(f"area {code!r}: no such desa in Kabupaten Serang")
        return area_of(code)
    raise InvalidArea(
        f"area {code[:40]!r}: '*' (the regency), a kecamatan code such as 36.04.13"
        " or a desa code such as 36.04.13.2001"
    )


def area_condition(alias: str, kecamatan_param: int, desa_param: int) -> str:
    """SQL true for the tips (table alias `alias`) inside the area whose kecamatan code and
    `Area.desa_match` are the numbered parameters (NULL kecamatan: the regency, every tip; NULL
    desa: the whole kecamatan). A tip with a desa code matches by code, an older one by name."""
    k, d = f"${kecamatan_param}::text", f"${desa_param}::text[]"
    return (
        f"({k} IS NULL OR ({alias}.kecamatan_code = {k} AND ({d} IS NULL"
        f" OR {alias}.desa_code = ({d})[1]"
        f" OR ({alias}.desa_code IS NULL AND lower(btrim({alias}.desa)) = lower(({d})[2])))))"
    )


def desa_in(kecamatan_code: str) -> tuple[Desa, ...]:
    """The desa of one kecamatan, by name."""
    return tuple(
        sorted(
            (d for d in desa_by_code().values() if d.kecamatan_code == kecamatan_code),
            key=lambda d: d.name,
        )
    )
