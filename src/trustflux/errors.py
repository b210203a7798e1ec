"""One exception root for trustflux, with one subclass per layer.

Core code raises these; only the edges (CLI, web) turn them into messages and exit codes.
"""


class TrustfluxError(Exception):
    """Root of every error trustflux raises on purpose."""


class ConfigError(TrustfluxError):
    """Settings are missing, malformed or unsafe."""


class InputError(TrustfluxError):
    """An input file or directory cannot be read as the data model expects."""


class StoreError(TrustfluxError):
    """The store is missing, locked or inconsistent."""


class WorldError(TrustfluxError):
    """The synthetic world generator was given parameters it cannot honour."""


class RegisterError(TrustfluxError):
    """The processing register is invalid; the message names the file and the field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems) if problems else "invalid register")


class StatisticsError(TrustfluxError):
    """The statistics pipeline cannot produce a release (no data, no key, budget exceeded)."""
