"""
Sending outbox rows through Infobip's SMS API, several per request, and classifying the answer
into one core `Outcome` per row. Implements gateway.core.messages.Sender.

Facts relied on (Infobip SMS OpenAPI spec 3.210.0, operation "Send SMS message", as mirrored in
github.com/api-evangelist/infobip openapi/infobip-sms-openapi.json; infobip.com/docs quickstart
"Send an SMS and get a delivery report", "Message status codes" and "Response status and error
codes"; github.com/nyaruka/courier handlers/infobip/handler.go):

- `POST {base}/sms/3/messages` with `Authorization: App <api key>`, `Content-Type` and `Accept`
  `application/json`. The base URL is per account ("xxxxx.api.infobip.com", no scheme given).
- Body `{"messages": [...]}`; each message has `sender`, `destinations: [{"to", "messageId"}]`
  (`to` international without '+'; `messageId` optional, ours if given, at most 200 characters),
  `content: {"text"}`, and `webhooks: {"delivery": {"url"}, "contentType": "application/json"}`
  (the delivery-report URL per message; `contentType` sits beside `delivery`, not inside it).
  Several messages in one request share a `bulkId`; each has its own text, so one outbox row is
  one message with one destination.
- 200 answer: `{"bulkId", "messages": [{"messageId", "destination", "status": {"groupId",
  "groupName", "id", "name", "description"}, "details"}]}`; the status is an acceptance (PENDING,
  e.g. PENDING_ACCEPTED id 26), the outcome comes later by delivery report. A message can also be
  REJECTED at once: REJECTED_NOT_ENOUGH_CREDITS (12), REJECTED_PREPAID_PACKAGE_EXPIRED (17),
  REJECTED_SOURCE (11) and REJECTED_SENDER (13) (sender id not registered or blocklisted),
  REJECTED_ROUTE_NOT_AVAILABLE (19) and REJECTED_DESTINATION_NOT_REGISTERED (18) (account set
  up for tests) need an operator; REJECTED_SYSTEM_ERROR (21, "retry the submission") and
  REJECTED_FLOODING_FILTER (20) pass with time; REJECTED_DUPLICATE_MESSAGE_ID (23) means a
  message with our id was already submitted; the rest (REJECTED_DESTINATION 52, _PREFIX_MISSING,
  _DND, _DESTINATION_BLOCKLISTED, _NETWORK, ...) will never succeed for that number.
- Errors: 400 `{"errorCode": "E400", "description", "action", "violations": [{"property",
  "violation"}], "resources"}`, 401 E401 (bad credentials), 403 E403 (key lacks the scope
  `sms:message:send`), 429 E429 (throttled), 500 E500. Older endpoints answer
  `{"requestError": {"serviceException": {"messageId", "text"}}}`; both shapes are read.

Idempotency: every row goes out with `messageId` = `<prefix><outbox id>`. When a request timed
out after Infobip took it, the retry is refused per message with REJECTED_DUPLICATE_MESSAGE_ID,
which we read as "already accepted" instead of sending twice. So the prefix must be unique per
deployment sharing one Infobip account.

The API key is only ever put in the Authorization header; every reason is scrubbed of it anyway.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import aiohttp
import orjson
import structlog
from yarl import URL

from gateway.core.messages import (
    Accepted,
    AccountProblem,
    Outcome,
    OutgoingSms,
    Permanent,
    Retryable,
    Sender,
)
from gateway.providers.infobip.webhooks import infobip_number

log = structlog.get_logger()

PATH = "/sms/3/messages"
DEFAULT_MAX_BATCH = 50
DEFAULT_TIMEOUT_S = 10.0
_E164 = re.compile(r"\+[1-9]\d{6,14}")
_VIOLATION_INDEX = re.compile(r"messages\[(\d+)\]")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_REASON_MAX = 200

_TAKEN = {"ACCEPTED", "PENDING", "DELIVERED"}
_ACCOUNT_REJECTIONS = {
    "REJECTED_NOT_ENOUGH_CREDITS",
    "REJECTED_PREPAID_PACKAGE_EXPIRED",
    "REJECTED_SOURCE",
    "REJECTED_SENDER",
    "REJECTED_ROUTE_NOT_AVAILABLE",
    "REJECTED_DESTINATION_NOT_REGISTERED",
}
_PASSING_REJECTIONS = {"REJECTED_SYSTEM_ERROR", "REJECTED_FLOODING_FILTER"}
DUPLICATE = "REJECTED_DUPLICATE_MESSAGE_ID"


class InfobipSender:
    """Sends batches of outbox rows to Infobip over one pooled HTTP session."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        sender: str,
        report_url: str | None,
        *,
        max_batch: int = DEFAULT_MAX_BATCH,
        concurrency: int = 4,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        message_id_prefix: str = "hotline-",
    ) -> None:
        if max_batch < 1 or concurrency < 1:
            raise ValueError("max_batch and concurrency must be at least 1")
        base = base_url.strip().rstrip("/")
        self.base_url = base if "://" in base else "https://" + base
        self.url = self.base_url + PATH
        self.sender = sender
        self.report_url = report_url
        self.message_id_prefix = message_id_prefix
        self._api_key = api_key
        self._max_batch = max_batch
        self._concurrency = concurrency
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._requests = asyncio.Semaphore(concurrency)
        self._session: aiohttp.ClientSession | None = None

    @property
    def is_local(self) -> bool:
        """A loopback gateway (the demo's fake, a test's): sample numbers may go there."""
        return URL(self.base_url).host in _LOOPBACK

    @property
    def max_batch(self) -> int:
        """Rows per request; more in one `send` call go out as several requests."""
        return self._max_batch

    async def send(self, messages: Sequence[OutgoingSms]) -> list[Outcome]:
        """One outcome per message, in order; batches of max_batch, `concurrency` at a time."""
        size = self._max_batch
        batches = [messages[i : i + size] for i in range(0, len(messages), size)]
        answers = await asyncio.gather(*(self._send_batch(batch) for batch in batches))
        return [outcome for answer in answers for outcome in answer]

    async def close(self) -> None:
        """Close the HTTP session (a later send opens a new one)."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def message_id(self, message: OutgoingSms) -> str:
        """The messageId we give Infobip for an outbox row (and that its reports carry)."""
        return f"{self.message_id_prefix}{message.outbox_id}"

    def request_body(self, messages: Sequence[OutgoingSms]) -> dict[str, object]:
        """The JSON Infobip gets for these rows: one message with one destination per row."""
        entries: list[dict[str, object]] = []
        for message in messages:
            entry: dict[str, object] = {
                "sender": self.sender,
                "destinations": [
                    {"to": infobip_number(message.phone), "messageId": self.message_id(message)}
                ],
                "content": {"text": message.body},
            }
            if self.report_url:
                entry["webhooks"] = {
                    "delivery": {"url": self.report_url},
                    "contentType": "application/json",
                }
            entries.append(entry)
        return {"messages": entries}

    async def _send_batch(self, batch: Sequence[OutgoingSms]) -> list[Outcome]:
        outcomes: list[Outcome | None] = [
            None if _E164.fullmatch(m.phone) else Permanent("not an E.164 phone number")
            for m in batch
        ]
        sendable = [m for m, outcome in zip(batch, outcomes, strict=True) if outcome is None]
        answers = iter(self._redacted(await self._post(sendable)) if sendable else [])
        return [outcome if outcome is not None else next(answers) for outcome in outcomes]

    async def _post(self, batch: Sequence[OutgoingSms]) -> list[Outcome]:
        headers = {
            "Authorization": f"App {self._api_key}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        async with self._requests:
            try:
                async with self._http().post(
                    self.url, data=orjson.dumps(self.request_body(batch)), headers=headers
                ) as response:
                    status, body = response.status, await response.read()
            except TimeoutError:
                log.warning("infobip.request_failed", error="timeout", messages=len(batch))
                return [Retryable("no answer from Infobip in time")] * len(batch)
            except aiohttp.ClientError as error:
                name = type(error).__name__
                log.warning("infobip.request_failed", error=name, messages=len(batch))
                return [Retryable(f"Infobip unreachable: {name}")] * len(batch)
        if not 200 <= status < 300:
            log.warning(
                "infobip.request_refused",
                http_status=status,
                messages=len(batch),
                error=self._scrub(_api_error(body)),
            )
        return classify(status, body, [self.message_id(m) for m in batch])

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout,
                connector=aiohttp.TCPConnector(limit=self._concurrency),
            )
        return self._session

    def _redacted(self, outcomes: list[Outcome]) -> list[Outcome]:
        return [
            Accepted(outcome.message_id, self._scrub(outcome.detail))
            if isinstance(outcome, Accepted)
            else type(outcome)(self._scrub(outcome.reason))
            for outcome in outcomes
        ]

    def _scrub(self, text: str) -> str:
        return text.replace(self._api_key, "[api key]") if self._api_key else text


def classify(status: int, body: bytes, message_ids: Sequence[str]) -> list[Outcome]:
    """Infobip's answer to one request, as one outcome per message we sent (by our messageId)."""
    count = len(message_ids)
    if 200 <= status < 300:
        return _classify_accepted(body, message_ids)
    error = _api_error(body)
    if status == 400:
        return _classify_bad_request(body, error, count)
    if status in (401, 403):
        hint = "check INFOBIP_API_KEY" if status == 401 else "the API key lacks sms:message:send"
        return [AccountProblem(f"HTTP {status} {error}: {hint}".strip())] * count
    if status == 404:
        return [AccountProblem(f"HTTP 404 {error}: check INFOBIP_BASE_URL".strip())] * count
    if status == 429 or status >= 500:
        return [Retryable(f"HTTP {status} {error}".strip())] * count
    if 400 <= status < 500:
        return [AccountProblem(f"HTTP {status} {error}: request does not fit the API")] * count
    return [Retryable(f"HTTP {status} {error}".strip())] * count


def _classify_accepted(body: bytes, message_ids: Sequence[str]) -> list[Outcome]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return [Retryable("unreadable answer from Infobip")] * len(message_ids)
    entries = data.get("messages") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return [Retryable("answer from Infobip without messages")] * len(message_ids)
    by_id = {
        entry["messageId"]: entry
        for entry in entries
        if isinstance(entry, dict) and isinstance(entry.get("messageId"), str)
    }
    outcomes: list[Outcome] = []
    for index, message_id in enumerate(message_ids):
        entry = by_id.get(message_id)
        if entry is None and index < len(entries) and isinstance(entries[index], dict):
            entry = entries[index]  # Infobip lists messages in request order
        if entry is None:
            outcomes.append(Retryable("no status for this message in Infobip's answer"))
        else:
            outcomes.append(_message_outcome(entry, message_id))
    return outcomes


def _message_outcome(entry: dict[str, object], our_id: str) -> Outcome:
    status = entry.get("status")
    fields = status if isinstance(status, dict) else {}
    group = str(fields.get("groupName", ""))
    name = str(fields.get("name", ""))
    text = f"{group}/{name}" if name else group
    description = str(fields.get("description", ""))
    detail = f"{text}: {description}" if description else text
    message_id = entry.get("messageId")
    if group in _TAKEN:
        return Accepted(message_id if isinstance(message_id, str) else our_id, detail[:_REASON_MAX])
    if group == "REJECTED" and name == DUPLICATE:
        return Accepted(our_id, f"already submitted ({name})")
    if group == "REJECTED" and name in _ACCOUNT_REJECTIONS:
        return AccountProblem(detail[:_REASON_MAX])
    if group == "REJECTED" and name in _PASSING_REJECTIONS:
        return Retryable(detail[:_REASON_MAX])
    if group in ("REJECTED", "UNDELIVERABLE", "EXPIRED"):
        return Permanent(detail[:_REASON_MAX])
    return Retryable(f"unknown status in Infobip's answer: {detail}"[:_REASON_MAX])


def _classify_bad_request(body: bytes, error: str, count: int) -> list[Outcome]:
    """Per message when the violations name messages[i], else the whole batch."""
    blamed: dict[int, str] = {}
    for violation in _violations(body):
        found = _VIOLATION_INDEX.search(violation[0])
        if found and int(found.group(1)) < count:
            blamed.setdefault(int(found.group(1)), f"{violation[0]}: {violation[1]}")
    if not blamed:
        return [Permanent(f"HTTP 400 {error}".strip()[:_REASON_MAX])] * count
    return [
        Permanent(f"HTTP 400 {blamed[i]}"[:_REASON_MAX])
        if i in blamed
        else Retryable("request refused because of another message in it")
        for i in range(count)
    ]


def _violations(body: bytes) -> list[tuple[str, str]]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return []
    items = data.get("violations") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return []
    return [
        (str(item.get("property", "")), str(item.get("violation", "")))
        for item in items
        if isinstance(item, dict)
    ]


def _api_error(body: bytes) -> str:
    """'E401 description' from either of Infobip's error shapes; '' when there is none."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return ""
    if not isinstance(data, dict):
        return ""
    code, text = data.get("errorCode"), data.get("description")
    request_error = data.get("requestError")
    if code is None and isinstance(request_error, dict):
        exception = request_error.get("serviceException")
        if isinstance(exception, dict):
            code, text = exception.get("messageId"), exception.get("text")
    return " ".join(str(part) for part in (code, text) if part)[:_REASON_MAX]


if TYPE_CHECKING:
    _implements: type[Sender] = InfobipSender  # mypy checks InfobipSender against the protocol
