"""
Sending SMS to the service as a resident or an official would, through the provider's callback:
the one helper every test uses (Africa's Talking's form unless a test says otherwise).
"""

from __future__ import annotations

import itertools

import asyncpg
from aiohttp.test_utils import TestClient

from gateway.providers.africastalking.fake import inbound_sms_form
from storage.outbox import outbox_rows

RESIDENT_PHONE = "+6281234567890"
SHORT_CODE = "98765"  # our number, as the provider reports it
_ids = itertools.count()


def sms_form(
    text: str, message_id: str | None = None, sender: str = RESIDENT_PHONE
) -> dict[str, str]:
    """The fields AT posts for one inbound SMS (with a link id and network code, as AT's are)."""
    form = inbound_sms_form(sender, text, SHORT_CODE, message_id or f"ATXid_test_{next(_ids)}")
    return {
        **form,
        "date": "2026-11-30 10:00:00",
        "linkId": "SampleLinkId123",
        "networkCode": "51010",
    }


async def send_sms(
    client: TestClient, text: str, sender: str = RESIDENT_PHONE, message_id: str | None = None
) -> str:
    """Post one inbound SMS as AT does, check AT gets its 200; the message's id."""
    form = sms_form(text, message_id, sender)
    response = await client.post("/at/sms/inbound", data=form)
    assert 200 == response.status, await response.text()
    return form["id"]


async def reply_to(client: TestClient, conn: asyncpg.Connection, text: str) -> str:
    """Post one SMS as the resident and return the one reply it queued."""
    before = len(await outbox_rows(conn))
    await send_sms(client, text)
    rows = await outbox_rows(conn)
    assert before + 1 == len(rows)
    return rows[-1].body
