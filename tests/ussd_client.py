"""Talking USSD to the app under test as Africa's Talking does: one hop, or a whole walk."""

from __future__ import annotations

import itertools

from aiohttp.test_utils import TestClient

RESIDENT = "+6281234567890"
_ids = itertools.count()


async def hop(client: TestClient, text: str, session_id: str, phone: str = RESIDENT) -> str:
    """Post one USSD hop as AT does; the body."""
    form = {
        "sessionId": session_id,
        "phoneNumber": phone,
        "networkCode": "51010",
        "serviceCode": "*123*45#",
        "text": text,
    }
    response = await client.post("/at/ussd", data=form)
    assert 200 == response.status, await response.text()
    return await response.text()


async def walk(client: TestClient, inputs: list[str], phone: str = RESIDENT) -> str:
    """Dial and answer each input in turn within one session; the last screen."""
    session = f"ATUid_walk_{next(_ids)}"
    body = await hop(client, "", session, phone)
    for n in range(1, len(inputs) + 1):
        body = await hop(client, "*".join(inputs[:n]), session, phone)
    return body
