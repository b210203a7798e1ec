"""Skipping for missing services: a skip that says why, or a failure in CI."""

from __future__ import annotations

import os
import shutil

import pytest


def require_service(name: str, reason: str) -> None:
    """Skip with the reason, or fail in CI (env CI set), where every service must be there."""
    if os.environ.get("CI"):
        pytest.fail(f"{name} is required in CI: {reason}")
    pytest.skip(f"{name} unavailable: {reason}")


def require_spark() -> None:
    """Java and pyspark, or a skip (a failure in CI) that names the missing one."""
    if shutil.which("java") is None:
        require_service("Spark", "no java on PATH (Spark needs Java 17)")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        require_service("Spark", "pyspark is not installed (pip install 'trustflux[spark]')")
