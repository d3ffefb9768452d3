"""
How the menus word things: a catalogue text by key, outside data made screen-safe, dates.

The texts themselves are in the catalogues (ussd_menus/catalogue.py). The service title is
neutral on purpose; a resident may be watched by the recruiter.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from ussd_menus import catalogue
from ussd_menus.model import Lang


def t(key: str, lang: Lang, **values: object) -> str:
    """The text for key in lang (catalogues/<lang>.po), formatted with values."""
    text = catalogue.active().text(key, lang)
    return text.format(**values) if values else text


def plain(value: str, limit: int) -> str:
    """Outside data made screen-safe: ASCII only, one line, at most `limit` characters."""
    ascii_only = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    # GSM-7 extension characters cost two slots and some handsets drop them.
    cleaned = " ".join(ascii_only.translate(_GSM_EXTENSION).split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 2].rstrip() + ".."


def words(value: str, limit: int) -> str:
    """Outside data made screen-safe and cut, if it must be, between words: '' when not even its
    first word fits (a half word reads as a different name or place)."""
    whole = plain(value, 10_000)
    if len(whole) <= limit:
        return whole
    cut = whole[: max(0, limit - 2) + 1].rsplit(" ", 1)[0].rstrip(" ,.-") if limit > 2 else ""
    return cut + ".." if cut and " " in whole[: max(0, limit - 2) + 1] else ""


def tidy(text: str) -> str:
    """A sentence put together from parts, some empty: single spaces, none before punctuation."""
    return _SPACE_BEFORE_MARK.sub(r"\1", " ".join(text.split()))


_SPACE_BEFORE_MARK = re.compile(r"\s+([.,:;])")
_GSM_EXTENSION = str.maketrans("[]{}|^~\\`", "()()/    ")


def day(value: date) -> str:
    """A date as residents write it."""
    return value.strftime("%d-%m-%Y")


# A USSD code shown to residents: '*', digits and '#', short enough for every screen and SMS.
_SERVICE_CODE = re.compile(r"\*[0-9*]{1,11}#")
SERVICE_CODE_SAMPLE = "*123*456*78#"  # the longest code way_back shows (sms_catalogue's sample)


def way_back(lang: Lang, service_code: str) -> str:
    """How to come back to check a report: 'tekan *123# lalu 3' with the configured code, or
    a wording without it when the code is unset or would not fit."""
    code = service_code.strip()
    if _SERVICE_CODE.fullmatch(code):
        return t("report.back_code", lang, code=code)
    return t("report.back_menu", lang)
