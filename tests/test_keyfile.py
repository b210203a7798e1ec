"""Keys are created once, whole, private, and never replaced."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from trustflux.keyfile import create_once, read_or_create


def test_a_key_is_created_whole_and_private(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "a.key"
    assert create_once(path, b"k" * 32) == b"k" * 32
    assert path.read_bytes() == b"k" * 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["a.key"]  # no temporary file left


def test_a_key_in_use_is_never_replaced_and_racers_agree(tmp_path: Path) -> None:
    path = tmp_path / "b.key"
    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(lambda i: create_once(path, bytes([i]) * 32), range(32)))
    assert len(set(keys)) == 1 and keys[0] == path.read_bytes()
    assert create_once(path, b"x" * 32) == keys[0]


def test_read_or_create_makes_once_reads_after_and_checks_the_length(tmp_path: Path) -> None:
    path = tmp_path / "c.key"
    assert read_or_create(path, 32, create=False) is None and not path.exists()
    made = read_or_create(path, 32, create=True)
    assert made is not None and len(made) == 32
    assert read_or_create(path, 32, create=False) == made
    assert read_or_create(path, 32, create=True) == made
    path.write_bytes(b"short")
    with pytest.raises(ValueError, match="has 5 bytes, expected 32"):
        read_or_create(path, 32, create=False)
