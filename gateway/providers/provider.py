"""
What a provider package hands the app: one `Provider` value with its hooks. The registry
(gateway.providers.registry) maps each HOTLINE_SMS_PROVIDER name to one of these.

The app mounts the selected provider's callbacks, builds its `Sender` for the outbox worker and,
in the demo without an account, mounts its fake as the local gateway; the callback token guards
every provider's callback prefix; the phone simulator asks the fake to deliver a resident's SMS
in the provider's own wire format and reads back what the fake was given to send.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from gateway.config import Config
from gateway.core.messages import Sender


@dataclass(frozen=True, slots=True)
class LocalGateway:
    """Where the demo's mounted fake is, as the sender and the fake need it."""

    base_url: str  # the fake's API base, e.g. http://127.0.0.1:8000/local-infobip
    report_url: str  # our delivery callback, with ?token= when one is configured


@dataclass(frozen=True, slots=True)
class SentSms:
    """One message the fake accepted, for the simulator's inboxes."""

    id: str
    phone: str  # E.164 with '+'
    text: str
    at: float  # when the fake took it (Unix time)


# The demo's mounted fake (a sub-app), for the simulator to read back what it was given.
LOCAL_FAKE = web.AppKey("local_fake", web.Application)


@dataclass(frozen=True, slots=True)
class Provider:
    """One SMS provider's hooks."""

    name: str
    # Every callback path starts with it; the callback token middleware guards all of them.
    callback_prefix: str
    inbound_path: str
    delivery_path: str
    # Registers the provider's SMS callbacks on the app.
    routes: Callable[[web.Application], None]
    # The sender for this configuration: the local gateway's in the demo without an account;
    # raises ConfigError when the account settings are missing.
    make_sender: Callable[[Config, LocalGateway | None], Sender]
    # The protocol-faithful fake, mounted at `local_mount` in the demo (given the report URL).
    fake: Callable[[str], web.Application]
    local_mount: str
    # Post one inbound SMS to `url` as the provider would: (session, url, phone, text, our number).
    post_inbound: Callable[[aiohttp.ClientSession, str, str, str, str], Awaitable[int]]
    # What the mounted fake has accepted to send, oldest first.
    sent_messages: Callable[[web.Application], list[SentSms]]
