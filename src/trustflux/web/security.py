"""Signing keys, sessions, anti-forgery tokens and visitor tokens.

Everything here is a signature with the service's secret key: sessions are signed, timestamped
cookies (itsdangerous), form tokens are HMACs bound to a per-browser cookie and to the
session, and a website visitor proves their anonymous id with an HMAC the banner received when
the id was issued, so nobody can write choices under another visitor's id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from trustflux.accounts import Role
from trustflux.config import Settings
from trustflux.errors import ConfigError
from trustflux.keyfile import create_once

SESSION_COOKIE = "fx_session"
CSRF_COOKIE = "fx_csrf"
SESSION_SECONDS = 2 * 3600  # fx_session lifetime declared in the register (PT2H)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SECRET_FILE = "secret_key"


def resolve_secret(settings: Settings) -> bytes:
    """The signing key: ``TRUSTFLUX_SECRET_KEY``, or locally a random key kept in the home.

    Production refuses to start without a configured key (``Settings`` checks it); local and
    test runs create one once so that sessions survive a restart.
    """
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode("utf-8")
    if settings.environment == "production":  # pragma: no cover - Settings refuses it first
        raise ConfigError("TRUSTFLUX_SECRET_KEY must be set in production")
    path = Path(settings.home) / SECRET_FILE
    if path.is_file():
        return path.read_bytes().strip()
    return create_once(path, secrets.token_urlsafe(48).encode("ascii")).strip()


@dataclass(frozen=True, slots=True)
class Session:
    """What the session cookie carries: the account, its role then, and a random nonce."""

    account_id: int
    role: Role
    nonce: str


class Signer:
    """All signatures the web service makes with its secret key."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        self._sessions = URLSafeTimedSerializer(secret, salt="trustflux.session")

    # -- sessions -------------------------------------------------------------------------
    def new_session(self, account_id: int, role: Role) -> tuple[Session, str]:
        session = Session(account_id, role, secrets.token_urlsafe(16))
        cookie = self._sessions.dumps({"a": account_id, "r": role.value, "n": session.nonce})
        return session, cookie

    def read_session(self, cookie: str | None) -> Session | None:
        """The session in a cookie, or None if absent, forged, malformed or older than 2 h."""
        if not cookie:
            return None
        try:
            data = self._sessions.loads(cookie, max_age=SESSION_SECONDS)
        except (SignatureExpired, BadSignature):
            return None
        if not isinstance(data, dict):
            return None
        try:
            return Session(int(data["a"]), Role(data["r"]), str(data["n"]))
        except (KeyError, ValueError, TypeError):
            return None

    # -- anti-forgery ---------------------------------------------------------------------
    @staticmethod
    def new_csrf_cookie() -> str:
        return secrets.token_urlsafe(32)

    def csrf_token(self, csrf_cookie: str, session: Session | None) -> str:
        """The token forms must send back: bound to this browser and to this session."""
        nonce = session.nonce if session else "-"
        return self._mac(f"csrf|{csrf_cookie}|{nonce}")

    def csrf_valid(
        self, csrf_cookie: str | None, session: Session | None, sent: str | None
    ) -> bool:
        if not csrf_cookie or not sent:
            return False
        return hmac.compare_digest(self.csrf_token(csrf_cookie, session), sent)

    # -- website visitors -----------------------------------------------------------------
    def visitor_token(self, visitor_id: str) -> str:
        """Proof, kept by the visitor's browser, that ``visitor_id`` was issued to it."""
        return self._mac(f"visitor|{visitor_id}")

    def visitor_valid(self, visitor_id: str, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(self.visitor_token(visitor_id), token)

    # -- values carried by a form between two steps ---------------------------------------
    def seal(self, value: str, purpose: str) -> str:
        """``value`` signed for one ``purpose`` and timestamped (see ``unseal``)."""
        return URLSafeTimedSerializer(self._secret, salt=f"trustflux.{purpose}").dumps(value)

    def unseal(self, sealed: str, purpose: str, max_age: int) -> str | None:
        """The value sealed for ``purpose`` at most ``max_age`` seconds ago, else None."""
        serializer = URLSafeTimedSerializer(self._secret, salt=f"trustflux.{purpose}")
        try:
            value = serializer.loads(sealed, max_age=max_age)
        except (SignatureExpired, BadSignature):
            return None
        return value if isinstance(value, str) else None

    def _mac(self, message: str) -> str:
        digest = hmac.new(self._secret, message.encode("utf-8"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
