"""
SMS as the core sees it: an inbound message, a delivery report in our own status taxonomy, an
outgoing message, what became of a send, and the `Sender` protocol the outbox worker calls.
USSD as the core sees it: one hop of a session (`UssdHop`) and how a session ended.

Every provider adapter parses its callbacks into `InboundSms` / `DeliveryReport` and implements
`Sender`; the core never sees a provider's field names or status words. Phone numbers here are
always E.164 with a leading '+', whatever form the provider uses on the wire.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


@dataclass(frozen=True, slots=True)
class InboundSms:
    """One SMS a resident or an official sent to our number."""

    provider_message_id: str  # the provider's id: a repeated callback carries the same one
    phone: str  # the sender, E.164 with '+'
    our_number: str  # the number or short code it was sent to
    text: str
    received_at: datetime | None  # when the provider got it, if it says


class DeliveryStatus(StrEnum):
    """Our status taxonomy for an outgoing SMS; storage keeps these words, never a provider's."""

    QUEUED = "queued"  # the provider has it but has not passed it on yet
    SENT = "sent"  # passed on towards the operator; the outcome is still to come
    DELIVERED = "delivered"
    FAILED_TEMPORARY = "failed_temporary"  # not delivered; trying again may work
    FAILED_PERMANENT = "failed_permanent"  # not delivered; trying again will not help
    EXPIRED = "expired"  # undelivered when its validity period ran out
    REJECTED = "rejected"  # refused before it was sent (number, content, account)
    UNKNOWN = "unknown"  # a status we do not know: recorded with the raw text, never refused


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What a provider says became of one message we sent."""

    provider_message_id: str  # the id the provider gave (or took from us) at send time
    status: DeliveryStatus
    raw_status: str  # the provider's own status words, kept for the delivery log
    reason: str  # the provider's error or description, kept for the delivery log ('' if none)


@dataclass(frozen=True, slots=True)
class OutgoingSms:
    """One outbox row, ready to send."""

    outbox_id: int
    phone: str  # E.164 with '+'
    body: str


@dataclass(frozen=True, slots=True)
class Accepted:
    """The provider took the message; delivery comes later by report."""

    message_id: str
    detail: str


@dataclass(frozen=True, slots=True)
class Retryable:
    """Worth trying again later: provider errors, throttling, timeouts, connection refused."""

    reason: str


@dataclass(frozen=True, slots=True)
class Permanent:
    """Will never succeed for this message: invalid number, blocklisted, malformed, ..."""

    reason: str


@dataclass(frozen=True, slots=True)
class AccountProblem:
    """Nothing will send until an operator acts: bad API key, no credit, bad sender id."""

    reason: str


Outcome = Accepted | Retryable | Permanent | AccountProblem


class Sender(Protocol):
    """How the outbox worker sends; one implementation per SMS provider.

    Implementations never raise for a failed send (every failure is an `Outcome`) and never put
    a credential into a reason.
    """

    @property
    def is_local(self) -> bool:
        """A loopback gateway (the demo's, a test's): sample numbers may go there."""
        ...

    @property
    def max_batch(self) -> int:
        """How many messages one `send` call should carry at most (1: no batching)."""
        ...

    async def send(self, messages: Sequence[OutgoingSms]) -> list[Outcome]:
        """One outcome per message, in the order given."""
        ...

    async def close(self) -> None:
        """Release connections and threads."""
        ...


@dataclass(frozen=True, slots=True)
class FullPath:
    """Every input of the session so far, '*'-joined, resent on each hop ('' on the dial).

    Africa's Talking's style. A '*' typed inside free text is not escaped: the core records
    where each typed text ended, so the path stays readable on any later hop, in any process.
    """

    text: str


@dataclass(frozen=True, slots=True)
class LatestInput:
    """Only this hop's input (BEGIN/CONTINUE style gateways); the core keeps the earlier ones.

    `new` is the dial (BEGIN): the session starts, and `text` is empty or what was dialled
    after the service code.
    """

    text: str
    new: bool = False


@dataclass(frozen=True, slots=True)
class UssdHop:
    """One hop of a USSD session, from any gateway."""

    session_id: str
    phone: str  # the caller, as the gateway sent it (only its pseudonym and seal are kept)
    service_code: str
    input: FullPath | LatestInput
    network: str = ""  # the mobile network's code, if the gateway says


class UssdEndStatus(StrEnum):
    """How a USSD session ended, in our words."""

    COMPLETED = "completed"  # the caller reached an end screen
    INCOMPLETE = "incomplete"  # the caller hung up or timed out mid-menu
    FAILED = "failed"  # the gateway or network failed the session


@dataclass(frozen=True, slots=True)
class UssdSessionEnded:
    """A gateway's notice that a session is over (for the drop-off figures)."""

    session_id: str
    status: UssdEndStatus
    raw_status: str  # the gateway's own word, kept for the log
    path: FullPath | None  # the inputs, if the gateway sends them; else the core's own record
    hops: int | None
    duration_ms: int | None
    network: str
    error: str
    ended_at: datetime | None
