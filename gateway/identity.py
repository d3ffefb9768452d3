"""
Reporter pseudonyms and sealed recipients: the only code that handles a resident's phone number.

A phone number in Indonesia is tied to a national ID. It is turned into a keyed hash at once
(HMAC-SHA256 over the E.164 form, so 0812.., 62812.. and +62812.. are one reporter) for rate
limits, drafts and dedupe; where an SMS must reach the number later, it is sealed (Fernet) with a
key derived from the same secret, and never stored or logged in clear.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

from gateway.phones import normalize

SECRET_FILE = "hotline-secret"  # noqa: S105 - a file name, not a secret


class Identity:
    """Keys derived from HOTLINE_SECRET."""

    def __init__(self, secret: str) -> None:
        root = secret.encode()
        self._pseudonym_key = _derive(root, b"reporter-key")
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(root, b"recipient-seal")))

    def reporter_key(self, phone: str) -> bytes | None:
        """The pseudonym of a phone number, or None when it is not a phone number."""
        e164 = normalize(phone)
        if e164 is None:
            return None
        return hmac.new(self._pseudonym_key, e164.encode(), hashlib.sha256).digest()

    def seal(self, phone: str) -> bytes:
        """A phone number encrypted for the outbox."""
        return self._fernet.encrypt((normalize(phone) or phone).encode())

    def unseal(self, sealed: bytes) -> str:
        """The phone number inside a sealed recipient."""
        return self._fernet.decrypt(sealed).decode()


def _derive(root: bytes, purpose: bytes) -> bytes:
    return hmac.new(root, purpose, hashlib.sha256).digest()


def local_secret(data_dir: Path) -> str:
    """The embedded setup's secret: generated once into the data directory, then reused."""
    path = data_dir / SECRET_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process started at the same moment
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(32))
    return path.read_text().strip()
