"""
Phone numbers: normalisation to E.164, masking for logs, and for outside text we store.

A phone number in Indonesia is registered to a national ID, so it identifies a person: it is
normalised only to be hashed or to address an official, and is never logged unmasked. Text that
comes from outside and is stored (a gateway's error, a delivery report's reason) may quote the
request, recipient included, so it is masked too before it reaches the database.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

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


# In a form-encoded echo, '+' between digits is a space: "to=%2B62+812+3456+7890".
_FORM_SPACE = re.compile(r"(?<=\d)\+(?=\d)")


def mask_quoted(text: str) -> str:
    """Outside text made safe to store: percent-escapes decoded, every phone-like number masked."""
    return mask(_FORM_SPACE.sub(" ", unquote(text)))


def _mask_one(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "***" + digits[-2:]
