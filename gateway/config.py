"""
Configuration: read from the environment once, into one typed, frozen object.

`Config.from_env` is the only place that reads environment variables; a bad value stops start-up
with a single message naming every bad variable. Secrets are kept out of repr().
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Literal, TypeVar, cast, get_args

LogFormat = Literal["json", "console", "auto"]
Network = IPv4Network | IPv6Network
T = TypeVar("T")


class ConfigError(Exception):
    """Some environment variables are missing or invalid."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid configuration:\n  " + "\n  ".join(problems))


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the service reads from its environment."""

    database_url: str | None = field(default=None, repr=False)
    data_dir: Path = Path("var")
    host: str = "0.0.0.0"  # noqa: S104 - a server in a container listens on every interface
    port: int = 8000
    log_level: str = "info"
    log_format: LogFormat = "auto"
    max_body_bytes: int = 8192
    db_pool_size: int = 10
    db_timeout_s: float = 3.0
    ussd_service_code: str = ""
    # The number residents send SMS to, and the public pages' address (the poster's QR code);
    # both shown to the public, "" when not configured.
    sms_number: str = ""
    public_url: str = ""
    secret: str | None = field(default=None, repr=False)
    tips_per_hour: int = 5
    agency_flag_per_day: int = 5
    draft_minutes: int = 10
    tip_retention_days: int = 180
    dead_letter_hours: int = 72
    # Where the embedded setup keeps its generated HOTLINE_SECRET: never next to the database.
    secret_file: Path = Path("~/.config/pmi-hotline/secret")
    at_username: str | None = None
    at_api_key: str | None = field(default=None, repr=False)
    at_sender_id: str | None = None
    at_api_url: str | None = None
    # Which SMS provider sends and receives (gateway/providers/registry.py has the names).
    sms_provider: str = "africastalking"
    infobip_base_url: str | None = None
    infobip_api_key: str | None = field(default=None, repr=False)
    infobip_sender: str | None = None
    # Delivery reports' URL put in each message (with ?token=); unset: the portal's setting.
    infobip_report_url: str | None = field(default=None, repr=False)
    # messageId = prefix + outbox id: unique per deployment sharing one Infobip account.
    infobip_message_id_prefix: str = "hotline-"
    # Outbox rows per request to Infobip (1: one at a time).
    infobip_max_batch: int = 50
    # One token, or several separated by commas while rotating (any one is accepted).
    callback_token: str | None = field(default=None, repr=False)
    send_concurrency: int = 16
    max_attempts: int = 8
    retry_base_s: float = 30.0
    escalation_check_s: float = 30.0
    # REKAP: the weekly digest is due on this ISO weekday (1 = Monday) at this hour, WIB; an
    # official's REKAP by SMS is answered at most once per this many minutes.
    rekap_weekday: int = 1
    rekap_hour: int = 7
    rekap_throttle_minutes: int = 10
    # The console home warns when the registry, job orders or bans are older than this.
    data_stale_days: int = 30
    # Prospective migrants (issue 16 item 2): a consent request waits this long for the
    # resident's YA; a record is deleted this many days after its return (or its planned month,
    # when nobody recorded a departure).
    migrant_consent_hours: int = 72
    migrant_retention_days: int = 90
    run_worker: bool = True
    header_timeout_s: float = 10.0
    max_connections: int = 1000
    # Abuse budgets (issue 11): replies per sender, outbound SMS, tip floods, receipt guesses.
    sms_replies_per_hour: int = 10
    sms_per_hour: int = 2000
    # Broadcasts (issue 16): messages a second handed to the SMS provider, and the price of one
    # segment (rupiah) for the console's cost estimate. Claims stay within sms_per_hour too.
    broadcast_per_second: float = 0.5
    sms_price_per_segment: int = 350
    sms_catalogue: Path | None = None  # an operator's SMS wording overrides (README "SMS wording")
    hotlines_file: Path | None = None  # an operator's local/corrected hotlines (README "Facts")
    tip_flood_per_minute: int = 30
    receipt_misses_per_hour: int = 50
    # None: Secure session cookies outside the demo, plain ones in it (see `secure_cookies`).
    cookie_secure: bool | None = None
    trusted_proxies: tuple[Network, ...] = ()
    session_idle_minutes: int = 30
    login_verifications: int = 4
    # Not from the environment: `hotline serve --demo` sets it; it mounts the phone simulator.
    demo: bool = False
    # Not from the environment: `hotline serve --workers N` tells each worker how many serve the
    # port (SO_REUSEPORT, the flood guard's share; gateway/workers.py).
    workers: int = 1
    # ... and which of them this process is (None: the only process, `serve` without --workers).
    worker: int | None = None

    @property
    def sms_account(self) -> bool:
        """The selected SMS provider's account is configured."""
        if self.sms_provider == "infobip":
            return self.infobip_base_url is not None
        return self.at_username is not None

    @property
    def local_gateway(self) -> bool:
        """The demo without a provider account: SMS go to the provider's built-in fake.
        Outside the demo it is never mounted: it lists every SMS with its recipient in clear."""
        return self.demo and not self.sms_account

    @property
    def sms_enabled(self) -> bool:
        """SMS are sent: through the provider, or in the demo through the local gateway."""
        return self.sms_account or self.demo

    def infobip_missing(self) -> list[str]:
        """The Infobip settings still unset (all three are needed to send)."""
        values = {
            "INFOBIP_BASE_URL": self.infobip_base_url,
            "INFOBIP_API_KEY": self.infobip_api_key,
            "INFOBIP_SENDER": self.infobip_sender,
        }
        return [name for name, value in values.items() if value is None]

    @property
    def callback_tokens(self) -> tuple[str, ...]:
        """Every accepted callback token (more than one while rotating)."""
        return tuple(t for t in (self.callback_token or "").split(",") if t)

    @property
    def secure_cookies(self) -> bool:
        """Console cookies carry Secure: HOTLINE_COOKIE_SECURE, else on unless in the demo."""
        return self.cookie_secure if self.cookie_secure is not None else not self.demo

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Config:
        """Parse every variable; raise ConfigError naming all bad ones at once."""
        problems: list[str] = []
        d = cls()  # defaults (a slotted class has no class-level default values)

        def get(name: str, parse: Callable[[str], T], default: T) -> T:
            raw = environ.get(name, "").strip()
            if not raw:
                return default
            try:
                return parse(raw)
            except ValueError as error:
                problems.append(f"{name}: {error}")
                return default

        config = cls(
            database_url=environ.get("DATABASE_URL", "").strip() or None,
            data_dir=get("HOTLINE_DATA_DIR", Path, d.data_dir),
            host=get("HOST", str, d.host),
            port=get("PORT", _int_between(1, 65535), d.port),
            log_level=get("LOG_LEVEL", _one_of("debug", "info", "warning", "error"), d.log_level),
            log_format=get("LOG_FORMAT", _log_format, d.log_format),
            max_body_bytes=get(
                "HOTLINE_MAX_BODY_BYTES", _int_between(1024, 1 << 20), d.max_body_bytes
            ),
            db_pool_size=get("HOTLINE_DB_POOL_SIZE", _int_between(1, 100), d.db_pool_size),
            db_timeout_s=get("HOTLINE_DB_TIMEOUT_S", _float_between(0.1, 60), d.db_timeout_s),
            ussd_service_code=get("HOTLINE_USSD_CODE", str, d.ussd_service_code),
            sms_number=get("HOTLINE_SMS_NUMBER", str, d.sms_number),
            public_url=get("HOTLINE_PUBLIC_URL", _http_url, d.public_url).rstrip("/"),
            secret=get("HOTLINE_SECRET", _secret, d.secret),
            tips_per_hour=get("HOTLINE_TIPS_PER_HOUR", _int_between(1, 1000), d.tips_per_hour),
            agency_flag_per_day=get(
                "HOTLINE_AGENCY_FLAG_PER_DAY", _int_between(2, 10000), d.agency_flag_per_day
            ),
            draft_minutes=get("HOTLINE_DRAFT_MINUTES", _int_between(1, 1440), d.draft_minutes),
            tip_retention_days=get(
                "HOTLINE_TIP_RETENTION_DAYS", _int_between(1, 3650), d.tip_retention_days
            ),
            dead_letter_hours=get(
                "HOTLINE_DEAD_LETTER_HOURS", _int_between(1, 8760), d.dead_letter_hours
            ),
            secret_file=get("HOTLINE_SECRET_FILE", Path, d.secret_file),
            at_username=get("AT_USERNAME", str, d.at_username),
            at_api_key=get("AT_API_KEY", str, d.at_api_key),
            at_sender_id=get("AT_SENDER_ID", str, d.at_sender_id),
            at_api_url=get("AT_API_URL", _http_url, d.at_api_url),
            sms_provider=get("HOTLINE_SMS_PROVIDER", _provider_name, d.sms_provider),
            infobip_base_url=get("INFOBIP_BASE_URL", str, d.infobip_base_url),
            infobip_api_key=get("INFOBIP_API_KEY", str, d.infobip_api_key),
            infobip_sender=get("INFOBIP_SENDER", str, d.infobip_sender),
            infobip_report_url=get("INFOBIP_REPORT_URL", _http_url, d.infobip_report_url),
            infobip_message_id_prefix=get(
                "INFOBIP_MESSAGE_ID_PREFIX", _message_id_prefix, d.infobip_message_id_prefix
            ),
            infobip_max_batch=get("INFOBIP_MAX_BATCH", _int_between(1, 1000), d.infobip_max_batch),
            callback_token=get("HOTLINE_CALLBACK_TOKEN", _token_list, d.callback_token),
            send_concurrency=get(
                "HOTLINE_SEND_CONCURRENCY", _int_between(1, 256), d.send_concurrency
            ),
            max_attempts=get("HOTLINE_MAX_ATTEMPTS", _int_between(1, 50), d.max_attempts),
            retry_base_s=get("HOTLINE_RETRY_BASE_S", _float_between(0.01, 3600), d.retry_base_s),
            escalation_check_s=get(
                "HOTLINE_ESCALATION_CHECK_S", _float_between(0.05, 3600), d.escalation_check_s
            ),
            rekap_weekday=get("HOTLINE_REKAP_WEEKDAY", _int_between(1, 7), d.rekap_weekday),
            rekap_hour=get("HOTLINE_REKAP_HOUR", _int_between(0, 23), d.rekap_hour),
            rekap_throttle_minutes=get(
                "HOTLINE_REKAP_THROTTLE_MINUTES", _int_between(1, 1440), d.rekap_throttle_minutes
            ),
            data_stale_days=get(
                "HOTLINE_DATA_STALE_DAYS", _int_between(1, 3650), d.data_stale_days
            ),
            migrant_consent_hours=get(
                "HOTLINE_MIGRANT_CONSENT_HOURS", _int_between(1, 720), d.migrant_consent_hours
            ),
            migrant_retention_days=get(
                "HOTLINE_MIGRANT_RETENTION_DAYS", _int_between(1, 3650), d.migrant_retention_days
            ),
            run_worker=get("HOTLINE_WORKER", _on_off, d.run_worker),
            header_timeout_s=get(
                "HOTLINE_HEADER_TIMEOUT_S", _float_between(0.5, 300), d.header_timeout_s
            ),
            max_connections=get(
                "HOTLINE_MAX_CONNECTIONS", _int_between(10, 100_000), d.max_connections
            ),
            sms_replies_per_hour=get(
                "HOTLINE_SMS_REPLIES_PER_HOUR", _int_between(1, 1000), d.sms_replies_per_hour
            ),
            sms_per_hour=get("HOTLINE_SMS_PER_HOUR", _int_between(1, 1_000_000), d.sms_per_hour),
            broadcast_per_second=get(
                "HOTLINE_BROADCAST_PER_SECOND",
                _float_between(0.01, 1000),
                d.broadcast_per_second,
            ),
            sms_price_per_segment=get(
                "HOTLINE_SMS_PRICE_PER_SEGMENT",
                _int_between(0, 100_000),
                d.sms_price_per_segment,
            ),
            sms_catalogue=get("HOTLINE_SMS_CATALOGUE", Path, d.sms_catalogue),
            hotlines_file=get("HOTLINE_HOTLINES_FILE", Path, d.hotlines_file),
            tip_flood_per_minute=get(
                "HOTLINE_TIP_FLOOD_PER_MINUTE", _int_between(1, 100_000), d.tip_flood_per_minute
            ),
            receipt_misses_per_hour=get(
                "HOTLINE_RECEIPT_MISSES_PER_HOUR",
                _int_between(1, 1_000_000),
                d.receipt_misses_per_hour,
            ),
            cookie_secure=get("HOTLINE_COOKIE_SECURE", _on_off, d.cookie_secure),
            trusted_proxies=get("HOTLINE_TRUSTED_PROXIES", _networks, d.trusted_proxies),
            session_idle_minutes=get(
                "HOTLINE_SESSION_IDLE_MINUTES", _int_between(1, 720), d.session_idle_minutes
            ),
            login_verifications=get(
                "HOTLINE_LOGIN_VERIFICATIONS", _int_between(1, 64), d.login_verifications
            ),
        )
        if (config.at_username is None) != (config.at_api_key is None):
            problems.append(
                "AT_USERNAME and AT_API_KEY: set both, or neither for the local gateway"
            )
        missing = config.infobip_missing()
        if config.sms_provider == "infobip" and missing and len(missing) < 3:
            problems.append(f"{', '.join(missing)}: required with the other Infobip settings")
        if config.database_url and not config.database_url.startswith(
            ("postgres://", "postgresql://")
        ):
            problems.append("DATABASE_URL: must start with postgresql://")
        if problems:
            raise ConfigError(problems)
        return config


def _provider_name(raw: str) -> str:
    from gateway.providers.registry import PROVIDERS  # the providers import this module

    if raw not in PROVIDERS:
        raise ValueError(f"must be one of {', '.join(sorted(PROVIDERS))}, got {raw!r}")
    return raw


def _message_id_prefix(raw: str) -> str:
    if len(raw) > 40 or not raw.replace("-", "").replace("_", "").isalnum():
        raise ValueError("at most 40 letters, digits, '-' or '_'")
    return raw


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        value = int(raw)
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}, got {value}")
        return value

    return parse


def _float_between(low: float, high: float) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        value = float(raw)
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}, got {value}")
        return value

    return parse


def _secret(raw: str) -> str:
    if len(raw) < 16:
        raise ValueError("must be at least 16 characters (the value is not shown)")
    return raw


def _token_list(raw: str) -> str:
    """One token or a comma-separated list (rotation), each a secret; kept comma-joined."""
    tokens = [token.strip() for token in raw.split(",")]
    for position, token in enumerate(tokens, start=1):
        if len(token) < 16:
            raise ValueError(
                f"token {position} of {len(tokens)} must be at least 16 characters"
                " (the value is not shown)"
            )
    return ",".join(tokens)


def _http_url(raw: str) -> str:
    if not raw.startswith(("http://", "https://")):
        raise ValueError(f"must be an http(s) URL, got {raw!r}")
    return raw


def _on_off(raw: str) -> bool:
    if raw.lower() in ("on", "true", "1", "yes"):
        return True
    if raw.lower() in ("off", "false", "0", "no"):
        return False
    raise ValueError(f"must be on or off, got {raw!r}")


def _networks(raw: str) -> tuple[Network, ...]:
    """Comma-separated addresses or CIDR blocks ('10.0.0.5, 172.16.0.0/12')."""
    return tuple(ip_network(part.strip(), strict=False) for part in raw.split(",") if part.strip())


def _one_of(*choices: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw.lower() not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}, got {raw!r}")
        return raw.lower()

    return parse


def _log_format(raw: str) -> LogFormat:
    for choice in get_args(LogFormat):
        if raw == choice:
            return cast(LogFormat, choice)
    raise ValueError(f"must be json, console or auto, got {raw!r}")
