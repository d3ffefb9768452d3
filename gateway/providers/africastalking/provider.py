"""Africa's Talking, registered: its SMS callbacks, SDK sender and fake as one `Provider`."""

from __future__ import annotations

import aiohttp
from aiohttp import web

from gateway.config import Config, ConfigError
from gateway.core.messages import Sender
from gateway.providers.africastalking.fake import FAKE_AT, create_fake_at, post_inbound_sms
from gateway.providers.africastalking.sender import AtSender
from gateway.providers.africastalking.sms import setup_sms_routes
from gateway.providers.provider import LocalGateway, Provider, SentSms


def make_sender(config: Config, local: LocalGateway | None) -> Sender:
    """The SDK sender: to the local gateway in the demo without an account."""
    if local is not None:
        return AtSender("sandbox", "local", local.base_url, None, config.send_concurrency)
    if config.at_username is None or config.at_api_key is None:
        raise ConfigError(["AT_USERNAME and AT_API_KEY: required to send SMS outside --demo"])
    return AtSender(
        config.at_username,
        config.at_api_key,
        config.at_api_url,
        config.at_sender_id,
        config.send_concurrency,
    )


async def _post_inbound(
    session: aiohttp.ClientSession, url: str, phone: str, text: str, our_number: str
) -> int:
    return await post_inbound_sms(session, url, phone, text, our_number)


def _sent(fake: web.Application) -> list[SentSms]:
    return [SentSms(m["id"], m["to"], m["message"], float(m["at"])) for m in fake[FAKE_AT].messages]


PROVIDER = Provider(
    name="africastalking",
    callback_prefix="/at/",
    inbound_path="/at/sms/inbound",
    delivery_path="/at/sms/delivery",
    routes=setup_sms_routes,
    make_sender=make_sender,
    fake=lambda report_url: create_fake_at(None, report_url),
    local_mount="/local-at",
    post_inbound=_post_inbound,
    sent_messages=_sent,
)
