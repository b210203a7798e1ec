"""People who sign in (argon2-hashed passwords, roles) and API tokens for jobs."""

from trustflux.accounts.passwords import MIN_PASSWORD_LENGTH, Passwords
from trustflux.accounts.roles import STAFF_ROLES, Role
from trustflux.accounts.store import Account, Accounts, Token

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "STAFF_ROLES",
    "Account",
    "Accounts",
    "Passwords",
    "Role",
    "Token",
]
