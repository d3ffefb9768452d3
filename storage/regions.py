"""
Kabupaten Serang's kecamatan (seeded by a migration: public administrative facts).
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Queryable


@dataclass(frozen=True, slots=True)
class KecamatanRow:
    """One kecamatan with its Kemendagri code."""

    code: str
    name: str


async def load_kecamatan(conn: Queryable) -> list[KecamatanRow]:
    """All kecamatan, by name."""
    rows = await conn.fetch("SELECT code, name FROM kecamatan ORDER BY name")
    return [KecamatanRow(r["code"], r["name"]) for r in rows]
