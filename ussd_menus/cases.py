"""
The case lifecycle: every status a tip can be in and every move between them, in one place.

It lives in ussd_menus (pure: no database, no web) and not in gateway/ because residents' wording
depends on it: each status has a public line `status.<status>` in the catalogues that STATUS and
USSD menu 3 show, and the SMS catalogue check measures the longest of them. The gateway's use case
(gateway/usecases/cases.py) asks `check` before it writes anything; storage only records what was
allowed, under a row lock.

    baru              filed, no official has it yet
    diterima          an official acknowledged it (OK)
    diteruskan        handed over: to an agency (TERUSKAN), up a tier (TOLAK/KONFLIK) or alerted
    diselidiki        under investigation (also where a closed case reopens)
    menunggu_pelapor  waiting for the reporter's answer (TANYA)
    selesai_ditindak  closed, action taken
    tidak_terbukti    closed, not substantiated
    bukan_wewenang    closed, referred outside the hotline's agencies
"""

from __future__ import annotations

from dataclasses import dataclass

STATUSES = (
    "baru",
    "diterima",
    "diteruskan",
    "diselidiki",
    "menunggu_pelapor",
    "selesai_ditindak",
    "tidak_terbukti",
    "bukan_wewenang",
)
CLOSED = frozenset({"selesai_ditindak", "tidak_terbukti", "bukan_wewenang"})
OPEN = frozenset(STATUSES) - CLOSED
CHANNELS = ("sms", "console", "system")

# The kind of agency residents may learn holds their case (`kind.<kind>` in the catalogues),
# never a name or an office. A holder is a comma-separated list of agency codes or a tier.
KINDS = {
    "DESA": "desa",
    "KEC": "kecamatan",
    "DISNAKER": "disnaker",
    "BP3MI": "bp3mi",
    "POLRES": "polisi",
    "POLSEK": "polisi",
    "IMIGRASI": "imigrasi",
}
MAX_KINDS = 2  # more than this reads as "the authorities": a public line stays short


def holder_kinds(holder: str) -> tuple[str, ...]:
    """The kinds of the agencies holding a case, in the catalogue's order; none when one of
    them has no public kind (a tier, a code the operator added) or there are too many."""
    codes = [c.strip() for c in holder.split(",") if c.strip()]
    if not codes or any(c not in KINDS for c in codes):
        return ()
    kinds = tuple(k for k in dict.fromkeys(KINDS.values()) if k in {KINDS[c] for c in codes})
    return kinds if len(kinds) <= MAX_KINDS else ()


# From each status, where it may go. A handover may follow a handover (the new holder passes it
# on before acknowledging); another question may follow a question. A closed case only reopens.
_WORK = frozenset({"diteruskan", "diselidiki", "menunggu_pelapor"}) | CLOSED
MOVES: dict[str, frozenset[str]] = {
    "baru": _WORK | {"diterima"},
    "diterima": _WORK,
    "diteruskan": _WORK | {"diterima"},
    "diselidiki": _WORK - {"diselidiki"},
    "menunggu_pelapor": _WORK,
    **{closed: frozenset({"diselidiki"}) for closed in CLOSED},
}


@dataclass(frozen=True, slots=True)
class Refused:
    """A move the lifecycle does not allow, with the reason staff read (SMS and console)."""

    current: str
    wanted: str
    reason: str


def check(current: str, wanted: str) -> Refused | None:
    """None when `current` may move to `wanted`, else why not."""
    if wanted not in STATUSES:
        return Refused(current, wanted, f"status '{wanted}' tidak dikenal")
    if wanted in MOVES.get(current, frozenset()):
        return None
    if current in CLOSED:
        return Refused(current, wanted, f"kasus sudah ditutup ({current}); buka lagi dulu")
    if current == wanted:
        return Refused(current, wanted, f"kasus sudah berstatus {current}")
    return Refused(current, wanted, f"dari {current} tidak bisa ke {wanted}")


def is_reopening(current: str, wanted: str) -> bool:
    """A closed case back under investigation: allowed, and marked as such in its history."""
    return current in CLOSED and wanted == "diselidiki"
