"""
Logging: structlog configured once, JSON lines to stdout (console renderer on a terminal).

Event names are stable `area.thing_happened` literals; data goes in keys. A processor masks every
phone-like number in every value as the last line of defence for residents' anonymity.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import orjson
import structlog

from gateway.config import Config
from gateway.phones import mask


def mask_phone_numbers(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Mask phone-like numbers in every string value."""
    for key, value in event.items():
        if isinstance(value, str):
            event[key] = mask(value)
    return event


def _json(event: Any, **_: Any) -> str:
    # orjson is several times faster than json and the summary line is written on every hop.
    return orjson.dumps(event, default=str).decode()


def configure(config: Config, *, stream: TextIO | None = None, cache: bool = True) -> None:
    """Set up structlog for the process; tests pass cache=False so capture_logs works."""
    stream = stream or sys.stdout
    console = config.log_format == "console" or (config.log_format == "auto" and stream.isatty())
    renderer: Any = (
        structlog.dev.ConsoleRenderer()
        if console
        else structlog.processors.JSONRenderer(serializer=_json)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            mask_phone_numbers,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[config.log_level.upper()]
        ),
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=cache,
    )
