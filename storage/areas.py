"""
Areas an account may see: the whole regency (`*`), one kecamatan (`36.04.NN`) or one desa
(`36.04.NN.NNNN`).

The desa list ships with the package (storage/data/serang-desa.csv, ODbL: see the README beside
it) and is read once at import time; kecamatan codes are checked against the kecamatan table.
A tip belongs to an area by its kecamatan code and, for a desa area, by its desa name (residents
pick or type the desa's name, not its code). A tip with no kecamatan belongs only to the regency.
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
    kecamatan to one desa."""

    code: str
    kecamatan_code: str | None = None
    desa_name: str | None = None

    @property
    def regency(self) -> bool:
        """The whole regency: every tip, those without a kecamatan included."""
        return self.kecamatan_code is None


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
    """SQL true for the tips (table alias `alias`) inside the area whose kecamatan code and desa
    name are the numbered parameters (NULL kecamatan: the regency, every tip)."""
    k, d = f"${kecamatan_param}::text", f"${desa_param}::text"
    return (
        f"({k} IS NULL OR ({alias}.kecamatan_code = {k}"
        f" AND ({d} IS NULL OR lower(btrim({alias}.desa)) = lower({d}))))"
    )
