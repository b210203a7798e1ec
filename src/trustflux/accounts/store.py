"""Accounts (people who sign in) and API tokens (jobs), in the relational store."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from trustflux.accounts.passwords import MIN_PASSWORD_LENGTH, Passwords
from trustflux.accounts.roles import Role
from trustflux.db.engine import read_only
from trustflux.db.tables import accounts, api_tokens, subscribers
from trustflux.errors import AccountError, AuthenticationError
from trustflux.ledger.model import SubjectKind, subject_kind, utc_now

_USERNAME = re.compile(r"[A-Za-z0-9_.@+-]{3,120}")
_TOKEN = re.compile(r"tf_([a-z0-9]{12})_([A-Za-z0-9_-]{43})")
TOKEN_ROLES = frozenset({Role.AGENT, Role.DPO, Role.ANALYST, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Account:
    """A person who signs in (never carries the password hash outside this module)."""

    account_id: int
    username: str
    role: Role
    subscriber_id: str | None
    created_at: datetime
    disabled: bool


@dataclass(frozen=True, slots=True)
class Token:
    """An API token as stored (the secret itself is shown once, at creation)."""

    token_id: str
    name: str
    role: Role
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def usable(self, at: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or at < self.expires_at)


class Accounts:
    """Create, authenticate and look up accounts and tokens."""

    def __init__(
        self,
        engine: Engine,
        passwords: Passwords | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.engine = engine
        self.reader = read_only(engine)
        self.passwords = passwords or Passwords()
        self.clock = clock

    # -- accounts -----------------------------------------------------------------------------
    def create(
        self, username: str, password: str, role: Role, subscriber_id: str | None = None
    ) -> Account:
        """A new account; a subscriber account is tied to one synced subscriber."""
        if not _USERNAME.fullmatch(username):
            raise AccountError(
                f"username {username!r}: 3 to 120 letters, digits or _.@+- (an e-mail works)"
            )
        if len(password) < MIN_PASSWORD_LENGTH:
            raise AccountError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
        role = Role(role)
        if role is Role.SUBSCRIBER:
            if subscriber_id is None or subject_kind(subscriber_id) is not SubjectKind.SUBSCRIBER:
                raise AccountError("a subscriber account needs a valid subscriber id")
        elif subscriber_id is not None:
            raise AccountError(f"a {role.value} account is not tied to a subscriber")
        now = self.clock()
        try:
            with self.engine.begin() as conn:
                if subscriber_id is not None:
                    known = conn.execute(
                        select(subscribers.c.subscriber_id).where(
                            subscribers.c.subscriber_id == subscriber_id
                        )
                    ).first()
                    if known is None:
                        raise AccountError(
                            f"subscriber {subscriber_id} is not in the store: run "
                            "`trustflux subscribers sync` first"
                        )
                account_id = conn.execute(
                    insert(accounts).returning(accounts.c.account_id),
                    {
                        "username": username,
                        "password_hash": self.passwords.hash(password),
                        "role": role.value,
                        "subscriber_id": subscriber_id,
                        "created_at": now,
                        "disabled": False,
                    },
                ).scalar_one()
        except IntegrityError:
            raise AccountError(
                f"username {username!r} or subscriber {subscriber_id} already has an account"
            ) from None
        return Account(account_id, username, role, subscriber_id, now, False)

    def authenticate(self, username: str, password: str) -> Account:
        """The account if the password matches and it is enabled; otherwise one vague error."""
        with self.reader.connect() as conn:
            row = conn.execute(select(accounts).where(accounts.c.username == username)).first()
        stored = None if row is None else row.password_hash
        if not self.passwords.verify(stored, password) or row is None or row.disabled:
            raise AuthenticationError("unknown username or wrong password")
        if self.passwords.needs_rehash(row.password_hash):
            with self.engine.begin() as conn:
                conn.execute(
                    update(accounts)
                    .where(accounts.c.account_id == row.account_id)
                    .values(password_hash=self.passwords.hash(password))
                )
        return _account(row)

    def get(self, account_id: int) -> Account | None:
        with self.reader.connect() as conn:
            row = conn.execute(select(accounts).where(accounts.c.account_id == account_id)).first()
        return None if row is None else _account(row)

    def by_username(self, username: str) -> Account | None:
        with self.reader.connect() as conn:
            row = conn.execute(select(accounts).where(accounts.c.username == username)).first()
        return None if row is None else _account(row)

    def all(self) -> list[Account]:
        with self.reader.connect() as conn:
            rows = conn.execute(select(accounts).order_by(accounts.c.account_id)).all()
        return [_account(row) for row in rows]

    def set_disabled(self, username: str, disabled: bool) -> None:
        """Disable (or re-enable) an account; its sessions stop working at the next request."""
        with self.engine.begin() as conn:
            done = conn.execute(
                update(accounts).where(accounts.c.username == username).values(disabled=disabled)
            )
        if done.rowcount == 0:
            raise AccountError(f"no account {username!r}")

    # -- tokens -------------------------------------------------------------------------------
    def create_token(
        self, name: str, role: Role, *, expires_at: datetime | None = None
    ) -> tuple[Token, str]:
        """A new token and its secret form ``tf_<id>_<secret>`` (shown once, stored hashed)."""
        role = Role(role)
        if role not in TOKEN_ROLES:
            raise AccountError(f"tokens are for jobs and staff, not the {role.value} role")
        if not name.strip() or len(name) > 120:
            raise AccountError("a token needs a name of 1 to 120 characters")
        token_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(
                insert(api_tokens),
                {
                    "token_id": token_id,
                    "name": name.strip(),
                    "role": role.value,
                    "secret_sha256": _sha256(secret),
                    "created_at": now,
                    "expires_at": expires_at,
                    "revoked_at": None,
                },
            )
        token = Token(token_id, name.strip(), role, now, expires_at, None)
        return token, f"tf_{token_id}_{secret}"

    def verify_token(self, presented: str) -> Token:
        """The token a bearer string stands for, if it is valid, unexpired and not revoked."""
        match = _TOKEN.fullmatch(presented)
        if match is None:
            raise AuthenticationError("malformed API token")
        token_id, secret = match.groups()
        with self.reader.connect() as conn:
            row = conn.execute(select(api_tokens).where(api_tokens.c.token_id == token_id)).first()
        if row is None or not hmac.compare_digest(row.secret_sha256, _sha256(secret)):
            raise AuthenticationError("unknown API token")
        token = _token(row)
        if not token.usable(self.clock()):
            raise AuthenticationError("API token revoked or expired")
        return token

    def revoke_token(self, token_id: str) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(
                update(api_tokens)
                .where(api_tokens.c.token_id == token_id, api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=self.clock())
            )
        if done.rowcount == 0:
            raise AccountError(f"no active token {token_id!r}")

    def tokens(self) -> list[Token]:
        with self.reader.connect() as conn:
            rows = conn.execute(select(api_tokens).order_by(api_tokens.c.created_at)).all()
        return [_token(row) for row in rows]


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _account(row: Row[Any]) -> Account:
    return Account(
        account_id=row.account_id,
        username=row.username,
        role=Role(row.role),
        subscriber_id=row.subscriber_id,
        created_at=row.created_at,
        disabled=bool(row.disabled),
    )


def _token(row: Row[Any]) -> Token:
    return Token(
        token_id=row.token_id,
        name=row.name,
        role=Role(row.role),
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )
