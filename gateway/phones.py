"""
Phone numbers: normalisation to E.164 and masking for logs.

A phone number in Indonesia is registered to a national ID, so it identifies a person: it is
normalised only to be hashed or to address an official, and is never logged unmasked.
"""

from __future__ import annotations

import re

import phonenumbers

_REGION = "ID"
# Anything that looks like a phone number: E.164 with '+', or Indonesian mobile forms.
PHONE_PATTERN = re.compile(r"(?<![\d])(?:\+\s?\d[\d\s.-]{7,16}\d|(?:62|0)8\d{7,12})(?![\d])")


def normalize(raw: str) -> str | None:
    """E.164 form of a mobile number ('0812..', '62812..', '+62 812..' agree), or None."""
    try:
        parsed = phonenumbers.parse(raw.strip(), _REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask(text: str) -> str:
    """Every phone-like number in text reduced to its last two digits."""
    return PHONE_PATTERN.sub(_mask_one, text)


def _mask_one(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "***" + digits[-2:]
