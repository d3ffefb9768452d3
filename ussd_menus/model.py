"""
Types shared by the engine and the menus: screens, frames, actions and the injected lookups.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

Lang = str  # a language code of ussd_menus/catalogues/languages.toml

# Reserved keys. Options are numbered 1..MAX_OPTIONS, so these can never collide with one.
BACK = "0"
HOME = "00"
MORE = "99"
MAX_OPTIONS = 7

# Every screen, prefix excluded, fits this many GSM-7 characters (several telcos cut at 160).
SCREEN_LIMIT = 160


@dataclass(frozen=True, slots=True)
class Continue:
    """A screen that waits for the caller's answer."""

    text: str


@dataclass(frozen=True, slots=True)
class End:
    """A final screen: the session closes."""

    text: str


Screen = Continue | End


@dataclass(frozen=True, slots=True)
class Frame:
    """One step on the caller's way: a node, its argument (a query, a key) and a page."""

    node: str
    arg: str = ""
    page: int = 0


@dataclass(frozen=True, slots=True)
class Push:
    """Go one step deeper; BACK returns to the current step."""

    frame: Frame


@dataclass(frozen=True, slots=True)
class SetLang:
    """Switch language and return to the main menu."""

    lang: Lang


@dataclass(frozen=True, slots=True)
class Stay:
    """Stay on the current step and show a short problem first."""

    problem: str


@dataclass(frozen=True, slots=True)
class Restore:
    """Resume a saved report: put its frames back on top of the current step."""

    frames: tuple[Frame, ...]


@dataclass(frozen=True, slots=True)
class SubmitReport:
    """File the report in `report` (a serialised report). The receipt is shown on screen first;
    sending it by SMS is a later, separate choice (SendReceipt)."""

    report: str


@dataclass(frozen=True, slots=True)
class SendReceipt:
    """SMS this session's receipt to the caller, once: asked for after the receipt was shown."""


@dataclass(frozen=True, slots=True)
class AnswerQuestion:
    """Add the reporter's answer to an official's question."""

    receipt: str
    question_id: int
    text: str


@dataclass(frozen=True, slots=True)
class SendInfo:
    """SMS an information topic to the caller, within their SMS reply budget."""

    topic: str


@dataclass(frozen=True, slots=True)
class CheckSigning:
    """Run the check before signing for the calling official (ussd_menus/signing.py decides;
    the gateway gathers the agency, job orders and bans, and records the check)."""

    agency: str
    country: str  # a country code of ussd_menus/content/countries.toml
    job: str  # a job kind's key


@dataclass(frozen=True, slots=True)
class ReportSigning:
    """File the calling official's latest red check as an attributed case (as SMS LAPORKAN)."""


@dataclass(frozen=True, slots=True)
class Subscribe:
    """Subscribe the caller's own number to broadcasts for the place they typed (the caller
    confirmed on their own phone: no confirmation SMS is needed)."""

    place: str


Effect = (
    SubmitReport
    | SendReceipt
    | AnswerQuestion
    | SendInfo
    | CheckSigning
    | ReportSigning
    | Subscribe
)


@dataclass(frozen=True, slots=True)
class ReportFiled:
    """SubmitReport's outcome: the tip is filed (now or by an earlier try) under this receipt."""

    receipt: str


@dataclass(frozen=True, slots=True)
class ReportLimited:
    """SubmitReport's outcome: nothing filed, the reporter reached the hourly limit."""

    limit: int


@dataclass(frozen=True, slots=True)
class AnswerStored:
    """AnswerQuestion's outcome: whether the answer joined the thread (False: no such question)."""

    stored: bool


@dataclass(frozen=True, slots=True)
class InfoQueued:
    """SendInfo's outcome: whether the SMS is on its way (False: no usable number, or the
    caller's hourly SMS budget is spent)."""

    queued: bool


@dataclass(frozen=True, slots=True)
class ReceiptSent:
    """SendReceipt's outcome: whether the receipt SMS is queued (False: no number to send to)."""

    sent: bool


@dataclass(frozen=True, slots=True)
class SigningChecked:
    """CheckSigning's outcome: the answer (a ussd_menus.signing.SigningResult: typed loosely
    here, signing imports this module), the data's date; or the names when several agencies
    match what was typed; result None when the caller is not an official."""

    result: object = None
    as_of: date | None = None
    names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SigningReported:
    """ReportSigning's outcome: the case's receipt, or None when there was nothing to report."""

    receipt: str | None


@dataclass(frozen=True, slots=True)
class Subscribed:
    """Subscribe's outcome: the place as it reads back, or '' (no such place, or no usable
    number)."""

    place: str


Outcome = (
    ReportFiled
    | ReportLimited
    | ReceiptSent
    | AnswerStored
    | InfoQueued
    | SigningChecked
    | SigningReported
    | Subscribed
)


@dataclass(frozen=True, slots=True)
class ReportContext:
    """The 'report' fact: what this session may resume, what it already filed, the limit."""

    resume: tuple[Frame, ...] | None
    filed_receipt: str | None
    limited_at: int | None


# What a replay that loads nothing assumes (Env.assume): nothing to resume, no limit, a
# successful effect; any other fact (a tip's status) is unknown.
ASSUMED: dict[str, object] = {
    "report": ReportContext(resume=None, filed_receipt=None, limited_at=None),
    "outcome": ReportFiled("000000000"),
}


@dataclass(frozen=True, slots=True)
class Do:
    """Ask the gateway to carry out an effect, then show `then` (which reads its outcome)."""

    effect: Effect
    then: Frame


Action = Push | SetLang | Stay | Restore | Do


class Needed(Exception):
    """A step needs a fact the gateway has not loaded yet; the gateway loads it and replays."""

    def __init__(self, kind: str, key: str = "") -> None:
        super().__init__(kind, key)
        self.kind = kind
        self.key = key


@dataclass(frozen=True, slots=True)
class Option:
    """A numbered choice on a screen."""

    label: str
    action: Action


@dataclass(frozen=True, slots=True)
class View:
    """What a step shows, and what its keys do."""

    body: str
    options: tuple[Option, ...] = ()
    # A last body line that a problem line replaces, so a re-prompt still fits the screen.
    note: str = ""
    more: Action | None = None
    end: bool = False
    free_text: bool = False
    footer: str | None = None


class AgencyRecord(Protocol):
    """What the menus need to know of an agency."""

    @property
    def licence_number(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def status_since(self) -> date | None: ...
    @property
    def status_until(self) -> date | None: ...
    @property
    def valid_until(self) -> date | None: ...
    @property
    def head_office_city(self) -> str: ...
    @property
    def has_serang_branch(self) -> bool: ...
    def effective_status(self, today: date) -> str: ...


class JobOrderRecord(Protocol):
    """A job order as the menus read it (storage.job_orders.JobOrder): an agency may recruit
    for a job in a country until a date."""

    @property
    def licence_number(self) -> str: ...
    @property
    def country_code(self) -> str: ...
    @property
    def job_kind(self) -> str: ...
    @property
    def valid_until(self) -> date: ...
    @property
    def data_date(self) -> date: ...


class AgencyLookup(Protocol):
    """The registry as the menus see it: one snapshot, and the date it was taken (None when no
    import said), which every agency answer states so a resident knows how old it is; and the
    agencies' job orders (None: none were ever imported) with their data date."""

    @property
    def snapshot_date(self) -> date | None: ...
    @property
    def job_orders_date(self) -> date | None: ...
    def search(self, query: str) -> Sequence[AgencyRecord]: ...
    def get(self, licence_number: str) -> AgencyRecord | None: ...
    def job_orders(self, licence_number: str) -> Sequence[JobOrderRecord] | None: ...


class NoAgencies:
    """An empty registry, for wording that reads only a context's date and language."""

    snapshot_date: date | None = None
    job_orders_date: date | None = None

    def search(self, query: str) -> list[AgencyRecord]:
        """Nothing matches."""
        return []

    def get(self, licence_number: str) -> AgencyRecord | None:
        """No agency."""
        return None

    def job_orders(self, licence_number: str) -> Sequence[JobOrderRecord] | None:
        """No job orders imported."""
        return None


@dataclass(frozen=True, slots=True)
class Kecamatan:
    """A kecamatan of Kabupaten Serang."""

    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Desa:
    """A desa or kelurahan of Kabupaten Serang, with the kecamatan it lies in."""

    code: str
    name: str
    kecamatan_code: str


@dataclass(frozen=True, slots=True)
class Env:
    """Everything from outside that a hop may read.

    `facts` holds what the gateway loaded on demand (a draft, a tip's status, an effect's
    outcome), keyed by (kind, key); a step asking for a missing one raises Needed.
    """

    agencies: AgencyLookup
    today: date
    kecamatan: tuple[Kecamatan, ...] = ()
    # The desa of every kecamatan (the report's desa step lists a kecamatan's own).
    desa: tuple[Desa, ...] = ()
    session_id: str = ""
    # The configured USSD code (HOTLINE_USSD_CODE), to tell residents the way back; "" if unset.
    service_code: str = ""
    facts: Mapping[tuple[str, str], object] = field(default_factory=dict)
    # A replay that must load nothing (the database just failed; a finished session's last
    # step): a missing fact takes its ASSUMED value instead of stopping the replay.
    assume: bool = False

    def fact(self, kind: str, key: str = "") -> object:
        """A loaded fact; raises Needed when the gateway has yet to load it."""
        try:
            return self.facts[(kind, key)]
        except KeyError:
            if self.assume:
                return ASSUMED.get(kind)
            raise Needed(kind, key) from None

    def knows(self, kind: str, key: str = "") -> bool:
        """Whether `fact` would answer without Needed."""
        return self.assume or (kind, key) in self.facts


@dataclass(frozen=True, slots=True)
class Context:
    """A hop's language and environment, handed to every node."""

    lang: Lang
    env: Env


class Node(Protocol):
    """One kind of step in the menu tree."""

    def view(self, frame: Frame, ctx: Context) -> View: ...
    def on_text(self, frame: Frame, text: str, ctx: Context) -> Action: ...


class ChoiceNode:
    """Base for steps answered with a number: they never receive free text."""

    def on_text(self, frame: Frame, text: str, ctx: Context) -> Action:
        """Choice steps are never asked to handle free text."""
        raise TypeError(f"{type(self).__name__} takes no free text")
