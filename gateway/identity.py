"""
Reporter pseudonyms and sealed recipients: the only code that handles a resident's phone number.

A phone number in Indonesia is tied to a national ID. It is turned into a keyed hash at once
(HMAC-SHA256 over the E.164 form, so 0812.., 62812.. and +62812.. are one reporter) for rate
limits, drafts and dedupe; where an SMS must reach the number later, it is sealed (Fernet) with a
key derived from the same secret, and never stored or logged in clear.

The embedded setup generates its secret into HOTLINE_SECRET_FILE (~/.config/pmi-hotline/secret),
never into the data directory: whoever copies var/ (a backup) would otherwise hold both the sealed
numbers and the key that opens them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import shutil
from pathlib import Path

import structlog
from cryptography.fernet import Fernet

from gateway.phones import normalize

# Where earlier versions kept the generated secret, inside the data directory.
LEGACY_SECRET_FILE = "hotline-secret"  # noqa: S105 - a file name, not a secret
log = structlog.get_logger()


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

    def seal_text(self, text: str) -> bytes:
        """Any text encrypted with the same key (a consent request's proposed fields)."""
        return self._fernet.encrypt(text.encode())

    def unseal(self, sealed: bytes) -> str:
        """The phone number inside a sealed recipient."""
        return self._fernet.decrypt(sealed).decode()


def _derive(root: bytes, purpose: bytes) -> bytes:
    return hmac.new(root, purpose, hashlib.sha256).digest()


def local_secret(path: Path, data_dir: Path) -> str:
    """The embedded setup's secret: generated once into `path` (outside `data_dir`), then reused;
    a secret an earlier version left in the data directory is moved there first."""
    if path.resolve().is_relative_to(data_dir.resolve()):
        log.warning("identity.secret_in_data_dir", path=str(path), data_dir=str(data_dir))
    legacy = data_dir / LEGACY_SECRET_FILE
    if legacy.exists() and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.copyfile(legacy, path)
        path.chmod(0o600)
        legacy.unlink(missing_ok=True)  # another process moved it at the same moment
        log.warning("identity.secret_moved", to=str(path), from_=str(legacy))
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process started at the same moment
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(32))
    return path.read_text().strip()
