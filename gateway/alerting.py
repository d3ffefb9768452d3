"""
The wording of what the hotline sends: the SMS catalogue in use, and an alert from a tip.

The catalogue (ussd_menus/sms_catalogue.py) is chosen and checked at start-up, so a wrong
operator file stops the service before any SMS is worded from it. `alert_text` is shared by every
path that files a tip (USSD, SMS) and by escalation.
"""

from __future__ import annotations

import structlog

from gateway.config import Config, ConfigError
from storage.alerts import TipForAlert
from ussd_menus import sms, sms_catalogue

log = structlog.get_logger()


def use_sms_catalogue(config: Config) -> None:
    """Word every SMS from the bundled catalogue with the operator's HOTLINE_SMS_CATALOGUE file
    applied for this SMS provider; ConfigError naming each bad template otherwise."""
    provider = config.sms_provider
    try:
        catalogue = sms_catalogue.load(config.sms_catalogue, provider)
    except sms_catalogue.CatalogueError as error:
        raise ConfigError([f"HOTLINE_SMS_CATALOGUE: {p}" for p in error.problems]) from error
    sms_catalogue.use(catalogue)
    log.info(
        "sms.catalogue_loaded",
        override=str(config.sms_catalogue) if config.sms_catalogue else None,
        provider=provider,
    )


def alert_text(tip: TipForAlert) -> str:
    """The alert SMS for a tip (one segment; nothing about the reporter)."""
    return sms.alert_text(
        tip.receipt, tip.category, tip.kecamatan_name, tip.desa, tip.agency_name, tip.description
    )
