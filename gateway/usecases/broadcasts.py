"""
Opt-in broadcasts (sosialisasi), the use cases: subscribing by SMS or USSD (a place named in
words resolved to an area), confirming, a broadcast's preview (segments per language, recipients,
cost) and its approval with the sending schedule.

Quiet hours: nothing is due between 21:00 and 07:00 WIB. A broadcast approved at night starts at
07:00; one that would run past 21:00 at the configured rate goes on at 07:00 the next day. The
clock is an argument (`now`), so tests and the console's injectable clock decide the time of day.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

import structlog
from rapidfuzz import fuzz, process

from storage.areas import REGENCY, desa_by_code
from storage.broadcasts import Schedule, confirm_subscription, request_subscription
from storage.budgets import GLOBAL, count_use
from storage.db import Conn
from storage.regions import KecamatanRow, load_kecamatan
from ussd_menus import sms
from ussd_menus.model import Lang
from ussd_menus.sms_catalogue import (
    GSM7_PART,
    PLACE_CAP,
    QUERY_CAP,
    UCS2_PART,
    is_gsm7,
    sms_length,
)
from ussd_menus.texts import plain

log = structlog.get_logger()
WIB = timezone(timedelta(hours=7), "WIB")  # as gateway.ussd (not imported: it imports this)

OPENS, CLOSES = time(7), time(21)  # the daily sending window, WIB
WINDOW_SECONDS = (CLOSES.hour - OPENS.hour) * 3600
MAX_SEGMENTS = 3
MAX_BODY = 480  # the broadcasts table's CHECK; 3 GSM-7 segments hold 459
_PLACE_WORDS = re.compile(r"^(desa|ds|kelurahan|kel|kecamatan|kec|kab|kabupaten)\.?\s+", re.I)
_CODE = re.compile(r"36\.04\.\d{2}(\.\d{4})?")
_SCORE = 85  # rapidfuzz ratio a typed place name must reach
EVERYWHERE_WORDS = frozenset({"SEMUA", "ALL", "KABUPATEN", "SERANG"})  # the whole regency


@dataclass(frozen=True, slots=True)
class Place:
    """A place a resident named: its area code and how it reads back to them."""

    area: str
    label: str


def resolve_place(text: str, kecamatan: list[KecamatanRow]) -> Place | None:
    """The area a resident named: nothing is the regency; a code as is; else the closest
    kecamatan or desa name (a kecamatan wins a tie; a desa name shared by several kecamatan is
    not guessed). None when nothing is close enough."""
    typed = _PLACE_WORDS.sub("", text.strip()).strip(" .,")
    names = {k.code: k.name for k in kecamatan}
    if not typed or typed.upper() in EVERYWHERE_WORDS:
        return Place(REGENCY, "Kab. Serang")
    if _CODE.fullmatch(typed):
        return _place_of(typed, names)
    choices = {f"k:{code}": name.lower() for code, name in names.items()}
    seen: dict[str, list[str]] = {}
    for desa in desa_by_code().values():
        seen.setdefault(desa.name.lower(), []).append(desa.code)
    choices |= {f"d:{codes[0]}": name for name, codes in seen.items() if len(codes) == 1}
    best = process.extractOne(typed.lower(), choices, scorer=fuzz.ratio, score_cutoff=_SCORE)
    if best is None:
        return None
    ties = [k for k, v in choices.items() if fuzz.ratio(typed.lower(), v) == best[1]]
    key = next((k for k in ties if k.startswith("k:")), best[2])
    return _place_of(key[2:], names)


def _place_of(code: str, names: dict[str, str]) -> Place | None:
    if code in names:
        return Place(code, f"Kec. {names[code]}")
    desa = desa_by_code().get(code)
    if desa is None:
        return None
    return Place(code, f"Desa {desa.name}, Kec. {names.get(desa.kecamatan_code, '?')}")


def first_moment(now: datetime) -> datetime:
    """The first moment a broadcast may go out: now inside 07:00-21:00 WIB, else the next
    07:00."""
    local = now.astimezone(WIB)
    opens = datetime.combine(local.date(), OPENS, WIB)
    if local < opens:
        return opens
    if local.time() >= CLOSES:
        return opens + timedelta(days=1)
    return local


def schedule(now: datetime, per_second: float) -> Schedule:
    """When a broadcast approved at `now` sends, at `per_second` messages a second."""
    first = first_moment(now)
    window_open = datetime.combine(first.date(), OPENS, WIB)
    return Schedule(first, window_open, WINDOW_SECONDS, per_second)


@dataclass(frozen=True, slots=True)
class Sized:
    """A broadcast text as sent in one language (with the way to stop): its alphabet and
    segments."""

    text: str
    alphabet: str
    segments: int


def sized(body: str, lang: str) -> Sized:
    """The text one language's subscribers get, and how many segments it costs."""
    text = f"{body} {footer(lang)}"
    length, limit = sms_length(text)
    gsm = is_gsm7(text)
    if length <= limit:
        segments = 1
    else:
        segments = math.ceil(length / (GSM7_PART if gsm else UCS2_PART))
    return Sized(text, "GSM-7" if gsm else "UCS-2", segments)


def footer(lang: str) -> str:
    """How to stop, at the end of every broadcast."""
    return sms.say("broadcast_stop", "en" if lang == "en" else "id")


@dataclass(frozen=True, slots=True)
class Preview:
    """What the author sees before submitting: each language's size, who it reaches, the cost,
    and the problems that refuse it (console text keys)."""

    by_lang: dict[str, Sized]
    recipients: int
    cost: int
    problems: list[str]


def preview(body_id: str, body_en: str, recipients: int, price: int) -> Preview:
    """The preview of a broadcast to `recipients` subscribers at `price` a segment (the cost
    counts the longer language for every recipient: the most it can cost)."""
    by_lang = {"id": sized(body_id.strip(), "id"), "en": sized(body_en.strip(), "en")}
    problems = []
    if not body_id.strip() or not body_en.strip():
        problems.append("broadcast_text_missing")
    if any(s.segments > MAX_SEGMENTS for s in by_lang.values()):
        problems.append("broadcast_too_long")
    if recipients == 0:
        problems.append("broadcast_empty_area")
    most = max(s.segments for s in by_lang.values())
    return Preview(by_lang, recipients, recipients * most * price, problems)


def place_label(area: str, kecamatan: list[KecamatanRow]) -> str:
    """How a stored area reads back to a subscriber."""
    if area == REGENCY:
        return "Kab. Serang"
    place = _place_of(area, {k.code: k.name for k in kecamatan})
    return place.label if place else area


# A number may ask to subscribe this many times a day; all numbers together this many times an
# hour (each request costs a confirmation SMS: a flood of spoofed senders stops here).
SUBSCRIBE_PER_NUMBER_PER_DAY = 3
SUBSCRIBE_REQUESTS_PER_HOUR = 500
_INFO_WORD = re.compile(r"^\s*info\b[\s:#.,*-]*", re.I)


async def subscribe_by_sms(conn: Conn, sender: bytes, sealed: bytes, rest: str, lang: Lang) -> str:
    """DAFTAR INFO [place]: the reply. A new number is asked to confirm with YA (nothing is sent
    to it before); a subscriber already confirmed moves to the new place at once."""
    if await over_limit(conn, sender):
        return sms.say("subscribe_limited", lang)
    typed = _INFO_WORD.sub("", rest)
    place = resolve_place(typed, await load_kecamatan(conn))
    if place is None:
        return sms.say("subscribe_unknown", lang, query=plain(typed, QUERY_CAP))
    stored = await request_subscription(
        conn, sender, sealed, place.area, "en" if lang == "en" else "id", confirmed=False
    )
    label = plain(place.label, PLACE_CAP)
    log.info("broadcasts.subscribe_requested", area=place.area, confirmed=stored.confirmed)
    return sms.say("subscribe_done" if stored.confirmed else "subscribe_confirm", lang, place=label)


async def over_limit(conn: Conn, sender: bytes) -> bool:
    """Count a subscription request; True past the number's daily or everyone's hourly limit."""
    if await count_use(conn, "subscribe", sender, "day") > SUBSCRIBE_PER_NUMBER_PER_DAY:
        log.info("broadcasts.subscribe_limited", scope="number")
        return True
    if await count_use(conn, "subscribe", GLOBAL, "hour") > SUBSCRIBE_REQUESTS_PER_HOUR:
        log.warning("broadcasts.subscribe_limited", scope="all", alarm=True)
        return True
    return False


async def subscribe_by_ussd(
    conn: Conn, sender: bytes, sealed: bytes, typed: str, lang: Lang
) -> str:
    """The caller confirmed on their own phone: subscribe the number at once; the place as it
    reads back, or '' (no such place, or over the limits)."""
    if await over_limit(conn, sender):
        return ""
    place = resolve_place(typed, await load_kecamatan(conn))
    if place is None:
        return ""
    await request_subscription(
        conn, sender, sealed, place.area, "en" if lang == "en" else "id", confirmed=True
    )
    log.info("broadcasts.subscribed", area=place.area, channel="ussd")
    return plain(place.label, PLACE_CAP)


async def confirm_by_sms(conn: Conn, sender: bytes, lang: Lang) -> str:
    """YA / YES: the number confirms its own subscription."""
    stored = await confirm_subscription(conn, sender)
    if stored is None:
        return sms.say("subscribe_nothing", lang)
    log.info("broadcasts.subscribed", area=stored.area, channel="sms")
    label = plain(place_label(stored.area, await load_kecamatan(conn)), PLACE_CAP)
    return sms.say("subscribe_done", lang, place=label)
