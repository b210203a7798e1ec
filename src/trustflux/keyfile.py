"""Secret files created once: period keys, the erasure-marker key, the one-time-code key, the
local signing key.

A key must never be seen half-written by another process, nor replaced once in use: it is
written in full to a private temporary file, then hard-linked to its name, which fails if
the name exists. The loser of a race reads the winner's key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def create_once(path: Path, secret: bytes) -> bytes:
    """Store ``secret`` at ``path`` (mode 0600) unless a key is already there; return the key
    that ``path`` holds afterwards. Raises ``OSError`` when the folder cannot be written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(secret)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return path.read_bytes()
    finally:
        tmp.unlink(missing_ok=True)
    return secret


def read_or_create(path: Path, size: int, *, create: bool) -> bytes | None:
    """The ``size``-byte key at ``path``; made once when absent and ``create``, else None.

    Raises ``OSError`` when it cannot be made or read, ``ValueError`` when its length is wrong.
    """
    if not path.exists():
        if not create:
            return None
        create_once(path, secrets.token_bytes(size))
    key = path.read_bytes()
    if len(key) != size:
        raise ValueError(f"{path} has {len(key)} bytes, expected {size}")
    return key
