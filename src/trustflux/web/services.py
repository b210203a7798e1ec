"""Everything a request handler needs, built once per process by the app factory."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from trustflux.accounts import Accounts, Token
from trustflux.audit import AuditTrail
from trustflux.config import Settings
from trustflux.errors import AuthenticationError, GateError
from trustflux.gate import Decision, Gate, Query
from trustflux.ledger import Choice, Ledger, Outcome
from trustflux.operations.tickets import TicketDesk
from trustflux.register import Register
from trustflux.rights.requests import RequestBook
from trustflux.web.batching import BatchRunner
from trustflux.web.security import Signer

TOKEN_CACHE_SECONDS = 30.0


class TokenCache:
    """Verified API tokens for a few seconds, so jobs do not cost a lookup per request.

    A revoked token stops working within ``TOKEN_CACHE_SECONDS``.
    """

    def __init__(self, accounts: Accounts, ttl: float = TOKEN_CACHE_SECONDS) -> None:
        self._accounts = accounts
        self._ttl = ttl
        self._cache: dict[str, tuple[Token, float]] = {}

    async def verify(self, presented: str) -> Token:
        key = hashlib.sha256(presented.encode("utf-8", "replace")).hexdigest()
        hit = self._cache.get(key)
        now = time.monotonic()
        if hit is not None and hit[1] > now:
            if hit[0].usable(self._accounts.clock()):
                return hit[0]
            raise AuthenticationError("API token revoked or expired")
        token = await run_in_threadpool(self._accounts.verify_token, presented)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key] = (token, now + self._ttl)
        return token


@dataclass
class Services:
    """The process's register, store access, signer, templates and batch runners."""

    settings: Settings
    register: Register
    engine: Engine
    ledger: Ledger
    gate: Gate
    accounts: Accounts
    signer: Signer
    templates: Jinja2Templates
    base_url: str
    secure_cookies: bool
    trail: AuditTrail
    clock: Callable[[], datetime]
    book: RequestBook
    desk: TicketDesk
    writes: BatchRunner[list[Choice], Outcome] = field(init=False)
    decisions: BatchRunner[Query, Decision | GateError] = field(init=False)
    tokens: TokenCache = field(init=False)

    def __post_init__(self) -> None:
        self.writes = BatchRunner("ledger-writes", self.ledger.append_batch, max_batch=512)
        self.decisions = BatchRunner("gate-decisions", self.gate.decide_many, max_batch=512)
        self.tokens = TokenCache(self.accounts)

    def start(self) -> None:
        self.writes.start()
        self.decisions.start()

    def stop(self) -> None:
        self.writes.stop()
        self.decisions.stop()
