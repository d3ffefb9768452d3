"""
Receipt codes: 9 digits, the last a Damm check digit, shown as 1234-5678-9.

Digits only, because a basic phone's keypad makes letters slow. The Damm digit catches every
single mistyped digit and every swap of two neighbours, so a typo is told apart from an unknown
code without a database lookup.
"""

from __future__ import annotations

import re
import secrets

_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)
BODY_DIGITS = 8
_SEPARATORS = re.compile(r"[\s.\-/]+")


def check_digit(digits: str) -> str:
    """The Damm check digit of a digit string."""
    interim = 0
    for ch in digits:
        interim = _DAMM[interim][int(ch)]
    return str(interim)


def new_receipt() -> str:
    """A fresh random receipt code (9 digits, no leading zero)."""
    body = str(secrets.randbelow(9 * 10 ** (BODY_DIGITS - 1)) + 10 ** (BODY_DIGITS - 1))
    return body + check_digit(body)


def parse_receipt(typed: str) -> str | None:
    """The receipt code in what a resident typed, or None when it is mistyped."""
    digits = _SEPARATORS.sub("", typed)
    if len(digits) != BODY_DIGITS + 1 or not digits.isdigit():
        return None
    return digits if check_digit(digits) == "0" else None


def looks_like_receipt(typed: str) -> bool:
    """Whether the text is shaped like a receipt code at all (digits and separators)."""
    digits = _SEPARATORS.sub("", typed)
    return digits.isdigit() and BODY_DIGITS - 2 <= len(digits) <= BODY_DIGITS + 3


def show_receipt(code: str) -> str:
    """A receipt as displayed: 1234-5678-9."""
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"
