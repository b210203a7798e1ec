"""Shapes of the JSON API: what callers send (``*Create``/``*In``) and get (``*Public``).

Kept apart from the tables so that a column added to the store never leaks into a response,
and so that the OpenAPI document at ``/docs`` describes exactly these.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from trustflux.accounts import Role
from trustflux.ledger import Event, Method

Lang = Literal["en", "fr"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorPublic(BaseModel):
    """Why a request was refused."""

    error: str = Field(description="Error type, e.g. OutOfOrderError.")
    detail: str = Field(description="The reason, in plain words.")


class RecordCreate(_In):
    """A consent or objection event to record (agents, the app, a subscriber for themself)."""

    subject: str = Field(description="Subscriber id (visitors' choices come from the banner).")
    purpose: str = Field(description="Register purpose id, e.g. targeted_offers.")
    event: Event
    method: Method = Field(description="How the choice was made: app, call_centre, api...")
    occurred_at: datetime | None = Field(
        default=None, description="When the person chose (ISO 8601 with zone); default now."
    )
    record_id: str | None = Field(
        default=None, description="Client-chosen UUID, to make retries safe (a replay is 409)."
    )
    notice_version: str | None = Field(default=None, description="Default: current version.")
    notice_hash: str | None = Field(
        default=None, description="SHA-256 of the notice text shown; default: the register's."
    )
    language: Lang = "fr"
    jurisdiction: str | None = Field(default=None, description="ISO 3166; default FRA.")
    expires_at: datetime | None = None


class RecordPublic(BaseModel):
    """A ledger record as the API shows it."""

    record_id: str
    subject: str
    subject_kind: str
    purpose: str
    seq: int
    event: str
    occurred_at: str
    recorded_at: str
    method: str
    jurisdiction: str
    expires_at: str | None
    notice_version: str
    notice_hash: str
    language: str
    actor: str
    prev_hash: str | None
    record_hash: str


class PurposeStatePublic(BaseModel):
    """A subject's status for one purpose: the gate's answer now and the latest choice."""

    purpose: str
    allow: bool
    code: str
    reason: str
    latest: RecordPublic | None


class DecisionPublic(BaseModel):
    """The gate's answer."""

    allow: bool
    code: str
    reason: str
    subject: str
    purpose: str
    at: str
    lawful_basis: str
    consent_mechanism: str
    dpia_status: str
    record_id: str | None


class DecisionQuery(_In):
    subject: str
    purpose: str
    at: datetime | None = None


class DecisionBatchIn(_In):
    """Up to 10,000 questions in one call."""

    queries: list[DecisionQuery] = Field(max_length=10_000)


class DecisionBatchOut(BaseModel):
    """Answers in the order asked; a malformed question gets an error in its place."""

    decisions: list[DecisionPublic | ErrorPublic]


class BannerChoice(_In):
    purpose: str
    accepted: bool
    notice_version: str | None = None
    notice_hash: str | None = None


class BannerChoicesIn(_In):
    """What the cookie banner sends when the visitor chooses."""

    visitor_id: str | None = Field(default=None, description="None on the first choice.")
    visitor_token: str | None = None
    site: str = Field(description="Channel of the site, e.g. website:fluxtel.example.")
    language: Lang = "fr"
    gpc: bool = Field(default=False, description="navigator.globalPrivacyControl was true.")
    choices: list[BannerChoice] = Field(min_length=1, max_length=50)


class BannerRecorded(BaseModel):
    purpose: str
    accepted: bool
    event: str
    method: str
    record_id: str


class BannerChoicesOut(BaseModel):
    """What the banner keeps in its first-party cookie."""

    visitor_id: str
    visitor_token: str
    expires_at: str
    gpc: bool
    recorded: list[BannerRecorded]


class AccountCreate(_In):
    username: str
    password: str = Field(min_length=12)
    role: Role
    subscriber_id: str | None = None


class AccountPublic(BaseModel):
    account_id: int
    username: str
    role: str
    subscriber_id: str | None
    disabled: bool


class TokenCreate(_In):
    name: str
    role: Role
    expires_at: datetime | None = None


class TokenPublic(BaseModel):
    token_id: str
    name: str
    role: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None


class TokenCreated(TokenPublic):
    token: str = Field(description="The bearer secret: shown once, store it now.")


class MePublic(BaseModel):
    kind: str
    name: str
    role: str
    subscriber_id: str | None


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON Schema with its ``$defs`` inlined, to embed in an OpenAPI operation."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith("#/$defs/"):
                return resolve(definitions[reference.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(value) for value in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved
