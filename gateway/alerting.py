"""
The wording of what the hotline says: the content and SMS catalogue in use, an alert from a tip.

The content (ussd_menus/catalogue.py: texts in every language, facts, hotlines) and the SMS
catalogue (ussd_menus/sms_catalogue.py) are chosen and checked at start-up, so a wrong operator
file or a fact without a source stops the service before anything is worded from it.
`alert_text` is shared by every path that files a tip (USSD, SMS) and by escalation.
"""

from __future__ import annotations

import structlog

from gateway.config import Config, ConfigError
from storage.alerts import TipForAlert
from ussd_menus import catalogue, sms, sms_catalogue

log = structlog.get_logger()


def use_wording(config: Config) -> None:
    """Word every screen and SMS from the bundled content with the operator's
    HOTLINE_HOTLINES_FILE and HOTLINE_SMS_CATALOGUE (for this SMS provider) applied;
    ConfigError naming each problem otherwise."""
    try:
        content = catalogue.load(config.hotlines_file)
    except catalogue.ContentError as error:
        raise ConfigError([f"content: {p}" for p in error.problems]) from error
    catalogue.use(content)
    provider = config.sms_provider
    try:
        templates = sms_catalogue.load(config.sms_catalogue, provider)
    except sms_catalogue.CatalogueError as error:
        raise ConfigError([f"HOTLINE_SMS_CATALOGUE: {p}" for p in error.problems]) from error
    sms_catalogue.use(templates)
    log.info(
        "sms.catalogue_loaded",
        override=str(config.sms_catalogue) if config.sms_catalogue else None,
        hotlines=str(config.hotlines_file) if config.hotlines_file else None,
        provider=provider,
    )


def alert_text(tip: TipForAlert) -> str:
    """The alert SMS for a tip (up to 3 concatenated segments; nothing about the reporter)."""
    return sms.alert_text(
        tip.receipt, tip.category, tip.kecamatan_name, tip.desa, tip.agency_name, tip.description
    )
