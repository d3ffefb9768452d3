"""
The wording of an alert to officials, from a tip as storage describes it.

One function, shared by every path that files a tip (USSD, SMS) and by escalation.
"""

from __future__ import annotations

from storage.alerts import TipForAlert
from ussd_menus import sms


def alert_text(tip: TipForAlert) -> str:
    """The alert SMS for a tip (one segment; nothing about the reporter)."""
    return sms.alert_text(
        tip.receipt, tip.category, tip.kecamatan_name, tip.desa, tip.agency_name, tip.description
    )
