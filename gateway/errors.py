"""
Errors the gateway raises and turns into answers.

    GatewayError
    └── BadCallback   a callback lacks a required field or has a malformed one (400)
"""

from __future__ import annotations


class GatewayError(Exception):
    """The gateway could not handle the request."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.__doc__)


class BadCallback(GatewayError):
    """The callback is malformed."""
