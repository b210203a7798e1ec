"""Who may do what in the trust center."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """The roles of people and jobs; every route names the roles it admits."""

    SUBSCRIBER = "subscriber"
    """Manages their own choices, reads their own history and receipts."""
    AGENT = "agent"
    """Customer service: reads a subscriber's choices, records those given by phone."""
    DPO = "dpo"
    """Data protection officer: reads any history, receipt and decision."""
    ANALYST = "analyst"
    """Jobs and analysts: ask the gate, never read individual histories."""
    ADMIN = "admin"
    """Creates accounts and API tokens; records no choice on anyone's behalf."""


STAFF_ROLES = frozenset({Role.AGENT, Role.DPO, Role.ANALYST, Role.ADMIN})
