"""Period keys for pseudonyms: created at random, kept in their own folder, destroyed at close.

A pseudonym is HMAC-SHA256(key, IMSI) cut to 64 bits. Without the key, the pseudonyms of two
periods cannot be joined to each other or to an IMSI; destroying the key at the end of the
period is what makes the statistics zone unlinkable afterwards.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from trustflux.errors import StatisticsError
from trustflux.keyfile import create_once

KEY_BYTES = 32


@dataclass(frozen=True)
class PeriodKey:
    """The secret of one period (never written beside the data it pseudonymises)."""

    period: str
    secret: bytes

    def pseudonym(self, imsi: str) -> int:
        digest = hmac.new(self.secret, imsi.encode("ascii"), hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big", signed=True)


class KeyStore:
    """Keys of open periods, one file each, readable only by their owner."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, period: str) -> Path:
        return self.folder / f"period-{period}.key"

    def open_period(self, period: str) -> PeriodKey:
        """The period's key, created on first use (a closed period cannot be reopened)."""
        path = self.path(period)
        if path.exists():
            return PeriodKey(period, path.read_bytes())
        if self.is_closed(period):
            raise StatisticsError(
                f"period {period} is closed: its key was destroyed and cannot be recreated"
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        return PeriodKey(period, create_once(path, secrets.token_bytes(KEY_BYTES)))

    def is_closed(self, period: str) -> bool:
        """True once the period's key has been destroyed."""
        return self.path(period).with_suffix(".closed").exists()

    def load(self, period: str) -> PeriodKey:
        """An existing key; a missing one is an error (never silently recreated)."""
        path = self.path(period)
        if not path.exists():
            raise StatisticsError(f"no key for period {period} in {self.folder}")
        return PeriodKey(period, path.read_bytes())

    def destroy(self, period: str) -> bool:
        """Overwrite and delete the key; leave a marker so the period is never reopened."""
        path = self.path(period)
        if not path.exists():
            return False
        size = path.stat().st_size
        with path.open("r+b") as fh:
            fh.write(secrets.token_bytes(size))
            fh.flush()
            os.fsync(fh.fileno())
        path.unlink()
        path.with_suffix(".closed").touch()
        return True
