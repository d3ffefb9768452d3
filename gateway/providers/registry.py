"""
The SMS providers this hotline can use, by HOTLINE_SMS_PROVIDER name. Adding a provider is one
package under gateway/providers/ exporting a `Provider`, plus one line here.
"""

from __future__ import annotations

from gateway.config import Config, ConfigError
from gateway.providers.africastalking.provider import PROVIDER as AFRICASTALKING
from gateway.providers.infobip.provider import PROVIDER as INFOBIP
from gateway.providers.provider import Provider

PROVIDERS: dict[str, Provider] = {
    AFRICASTALKING.name: AFRICASTALKING,
    INFOBIP.name: INFOBIP,
}


def provider_for(config: Config) -> Provider:
    """The configured SMS provider (ConfigError for a name not registered here)."""
    provider = PROVIDERS.get(config.sms_provider)
    if provider is None:
        names = ", ".join(sorted(PROVIDERS))
        raise ConfigError([f"HOTLINE_SMS_PROVIDER: must be one of {names}"])
    return provider


def callback_prefixes() -> tuple[str, ...]:
    """Every provider's callback prefix: the callback token guards all of them."""
    return tuple(p.callback_prefix for p in PROVIDERS.values())
