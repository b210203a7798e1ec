"""Skipping for missing services: a skip that says why, or a failure in CI."""

from __future__ import annotations

import os

import pytest


def require_service(name: str, reason: str) -> None:
    """Skip with the reason, or fail in CI (env CI set), where every service must be there."""
    if os.environ.get("CI"):
        pytest.fail(f"{name} is required in CI: {reason}")
    pytest.skip(f"{name} unavailable: {reason}")
