"""
Phone numbers typed into a tip's story: replaced before the story is stored, and so before it is
forwarded to officials.

A resident may write their own number, or someone else's, into the text ("hubungi saya 0812 3456
7890"); stored, it would sit in clear beside the tip and go out in every alert. What counts as a
phone number, so that receipts, licence numbers, amounts and dates survive:

- a number phonenumbers' matcher finds for region ID and judges valid (mobile or landline, with
  spaces, dashes, dots or brackets), and
- written with a country or trunk prefix: '+', '62' or '0' (how Indonesians write numbers).

Receipts (9 digits, no leading zero) and licence numbers (NIB, 13+ digits from 9..) are neither.
"""

from __future__ import annotations

import phonenumbers

_REGION = "ID"
HIDDEN = "[nomor]"  # never longer than a number it replaces: the stored length limit still holds
_PREFIXES = ("+", "0", "62")


def hide_phone_numbers(text: str) -> str:
    """The text with every phone number written in it replaced by HIDDEN."""
    pieces: list[str] = []
    position = 0
    for match in phonenumbers.PhoneNumberMatcher(text, _REGION, phonenumbers.Leniency.VALID):
        if not match.raw_string.lstrip("(").startswith(_PREFIXES):
            continue
        pieces += [text[position : match.start], HIDDEN]
        position = match.end
    return "".join([*pieces, text[position:]])
