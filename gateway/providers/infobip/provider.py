"""Infobip, registered: its SMS webhooks, batching sender and fake as one `Provider`."""

from __future__ import annotations

import aiohttp
from aiohttp import web

from gateway.config import Config, ConfigError
from gateway.core.messages import Sender
from gateway.providers.infobip.callbacks import DELIVERY_PATH, INBOUND_PATH, setup_sms_routes
from gateway.providers.infobip.fake import FAKE_INFOBIP, create_fake_infobip, post_inbound
from gateway.providers.infobip.sender import InfobipSender
from gateway.providers.infobip.webhooks import e164
from gateway.providers.provider import LocalGateway, Provider, SentSms

DEMO_SENDER = "HOTLINE"


def make_sender(config: Config, local: LocalGateway | None) -> Sender:
    """The batching sender: to the local fake in the demo without an account."""
    if local is not None:
        return InfobipSender(
            local.base_url,
            "local",
            config.infobip_sender or DEMO_SENDER,
            local.report_url,
            max_batch=config.infobip_max_batch,
            concurrency=config.send_concurrency,
            message_id_prefix=config.infobip_message_id_prefix,
        )
    missing = config.infobip_missing()
    if missing or config.infobip_base_url is None or config.infobip_api_key is None:
        raise ConfigError([f"{', '.join(missing)}: required to send SMS through Infobip"])
    return InfobipSender(
        config.infobip_base_url,
        config.infobip_api_key,
        config.infobip_sender or "",
        config.infobip_report_url,
        max_batch=config.infobip_max_batch,
        concurrency=config.send_concurrency,
        message_id_prefix=config.infobip_message_id_prefix,
    )


async def _post_inbound(
    session: aiohttp.ClientSession, url: str, phone: str, text: str, our_number: str
) -> int:
    return await post_inbound(session, url, phone, text, our_number)


def _sent(fake: web.Application) -> list[SentSms]:
    return [
        SentSms(m["messageId"], e164(m["to"]), m["text"], float(m["at"]))
        for m in fake[FAKE_INFOBIP].messages
    ]


PROVIDER = Provider(
    name="infobip",
    callback_prefix="/infobip/",
    inbound_path=INBOUND_PATH,
    delivery_path=DELIVERY_PATH,
    routes=setup_sms_routes,
    make_sender=make_sender,
    fake=lambda _report_url: create_fake_infobip(None),  # report URLs travel in each message
    local_mount="/local-infobip",
    post_inbound=_post_inbound,
    sent_messages=_sent,
)
