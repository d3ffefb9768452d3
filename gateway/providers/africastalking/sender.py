"""
Sending SMS through Africa's Talking's SDK, one message per call, and classifying what came back
into the core outcomes (gateway.core.messages). Implements the core `Sender` protocol.

The only module that imports the SDK. The SDK is blocking (requests), so calls run in a bounded
thread pool and never on the event loop. Its base URL is fixed at construction; it is set here, in
one place, from AT_API_URL (pinned SDK version: see pyproject.toml). Every outcome becomes one of
four kinds, so the worker never parses SDK errors itself; the API key never appears in a reason,
and neither does a phone number the gateway quoted back (reasons are stored with the message).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import requests
from africastalking.Service import AfricasTalkingException
from africastalking.SMS import SMSService

from gateway.core.messages import (
    Accepted,
    AccountProblem,
    Outcome,
    OutgoingSms,
    Permanent,
    Retryable,
    Sender,
)
from gateway.phones import mask_quoted

PRODUCTION_URL = "https://api.africastalking.com/version1"
SANDBOX_URL = "https://api.sandbox.africastalking.com/version1"
TIMEOUT_S = (3.05, 9.05)  # the SDK's own default: connect, read


_ACCEPTED = {100, 101, 102}
_RETRYABLE = {407, 500, 501}  # CouldNotRoute, InternalServerError, GatewayError
_ACCOUNT = {401, 402, 405}  # RiskHold, InvalidSenderId, InsufficientBalance


def classify(response: object) -> Outcome:
    """An SDK response (dict, or str when AT's content type was not exactly JSON)."""
    data = response
    if isinstance(response, str):
        try:
            data = json.loads(response)
        except ValueError:
            return Retryable(f"unreadable response: {response[:80]!r}")
    if not isinstance(data, dict):
        return Retryable("unreadable response")
    body = data.get("SMSMessageData") or {}
    recipients = body.get("Recipients") or []
    if not recipients:
        message = str(body.get("Message", ""))[:120]
        if "InvalidSenderId" in message:
            return AccountProblem("InvalidSenderId: check AT_SENDER_ID")
        return Permanent(f"no recipient accepted: {message}")
    first = recipients[0]
    try:
        code = int(first.get("statusCode", 0))
    except (TypeError, ValueError):
        code = 0
    status = str(first.get("status", ""))[:60]
    if code in _ACCEPTED:
        return Accepted(str(first.get("messageId", "")), f"{code} {status}")
    if code in _RETRYABLE:
        return Retryable(f"{code} {status}")
    if code in _ACCOUNT:
        return AccountProblem(f"{code} {status}")
    return Permanent(f"{code} {status}")


def classify_error(error: Exception) -> Outcome:
    """An exception raised by the SDK or by requests under it."""
    if isinstance(error, AfricasTalkingException):
        text = str(error)[:160]
        lowered = text.lower()
        if "authentication" in lowered or "unauthori" in lowered:
            return AccountProblem(f"authentication refused: {text}")
        if "balance" in lowered:
            return AccountProblem(text)
        return Retryable(f"gateway error: {text}")
    if isinstance(error, requests.RequestException):
        return Retryable(f"{type(error).__name__}")
    if isinstance(error, ValueError):  # the SDK refuses numbers it cannot send to
        return Permanent(f"invalid number: {error}")
    return Retryable(f"{type(error).__name__}")


class AtSender:
    """Sends through the SDK from a bounded thread pool."""

    def __init__(
        self,
        username: str,
        api_key: str,
        base_url: str | None,
        sender_id: str | None,
        concurrency: int,
    ) -> None:
        self._api_key = api_key
        self._sms = SMSService(username, api_key)
        url = base_url or (SANDBOX_URL if username == "sandbox" else PRODUCTION_URL)
        url = url.rstrip("/")
        url = url if url.endswith("/version1") else url + "/version1"
        # The SDK has no base-URL option; these two attributes are where it keeps the host.
        self._sms._baseUrl = self._sms._contentUrl = url
        self.base_url = url
        self.sender_id = sender_id or None
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="at-send")

    @property
    def is_local(self) -> bool:
        """A loopback gateway (the demo's, a test's): sample numbers may go there."""
        host = self.base_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
        return host in ("127.0.0.1", "localhost", "::1")

    @property
    def max_batch(self) -> int:
        """AT's bulk send takes one text for many numbers; each outbox row has its own text."""
        return 1

    async def send(self, messages: Sequence[OutgoingSms]) -> list[Outcome]:
        """One outcome per message, in order; each goes out in its own SDK call, concurrently
        up to the thread pool's size."""
        return list(await asyncio.gather(*(self.send_one(m.phone, m.body) for m in messages)))

    async def send_one(self, phone: str, message: str) -> Outcome:
        """One message to one number."""
        loop = asyncio.get_running_loop()
        try:
            response = await loop.run_in_executor(self._pool, self._send, phone, message)
        except Exception as error:
            outcome = classify_error(error)
        else:
            outcome = classify(response)
        return self._redacted(outcome)

    def _send(self, phone: str, message: str) -> object:
        return self._sms.send(message, [phone], sender_id=self.sender_id, timeout=TIMEOUT_S)

    def _redacted(self, outcome: Outcome) -> Outcome:
        if isinstance(outcome, Accepted):
            return Accepted(outcome.message_id, mask_quoted(outcome.detail))
        reason = (
            outcome.reason.replace(self._api_key, "[api key]") if self._api_key else outcome.reason
        )
        return type(outcome)(mask_quoted(reason))

    async def close(self) -> None:
        """Stop the thread pool."""
        self._pool.shutdown(wait=False, cancel_futures=True)


if TYPE_CHECKING:
    _implements: type[Sender] = AtSender  # mypy checks AtSender against the protocol
