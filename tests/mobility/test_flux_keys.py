"""Pseudonym keys: random per period, private files, destroyed for good at close."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trustflux.errors import StatisticsError
from trustflux.mobility.keys import KeyStore, PeriodKey


def test_two_periods_give_the_same_imsi_unrelated_pseudonyms(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys")
    monday, tuesday = keys.open_period("2026-03-02"), keys.open_period("2026-03-03")
    imsis = [f"2080100000{i:05d}" for i in range(2000)]
    a = [monday.pseudonym(i) for i in imsis]
    b = [tuesday.pseudonym(i) for i in imsis]
    assert monday.secret != tuesday.secret
    assert len(set(a)) == len(imsis) == len(set(b))
    assert not set(a) & set(b)  # nothing to join on across periods


def test_same_key_same_pseudonym_within_a_period(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys")
    first = keys.open_period("p1")
    again = keys.open_period("p1")
    assert first.pseudonym("208010000000001") == again.pseudonym("208010000000001")


def test_key_files_are_private_and_destroyed(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys")
    key = keys.open_period("p1")
    path = keys.path("p1")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    assert path.read_bytes() == key.secret and len(key.secret) == 32
    assert keys.destroy("p1") is True
    assert not path.exists()
    with pytest.raises(StatisticsError, match="no key for period p1"):
        keys.load("p1")
    with pytest.raises(StatisticsError, match="period p1 is closed"):
        keys.open_period("p1")


@given(st.binary(min_size=16, max_size=64), st.from_regex(r"[0-9]{15}", fullmatch=True))
def test_pseudonym_is_a_64_bit_keyed_hash(secret: bytes, imsi: str) -> None:
    value = PeriodKey("p", secret).pseudonym(imsi)
    assert -(2**63) <= value < 2**63
    assert value != PeriodKey("p", secret + b"x").pseudonym(imsi)
