"""Who is who: accounts, invitations into runs, sessions, API tokens and CSRF tokens.

Admins and facilitators have accounts and sign in with a password. Everyone else is invited
into one run: by a signed link or by a short join code typed in the room. A redeemed
invitation or a password sign-in opens a server-side session; scripts use API tokens.
Each of them gives a `sitroom.conduct.principal.Principal`.
"""

from sitroom.auth.accounts import Accounts, principal_for_account
from sitroom.auth.csrf import CSRF_FIELD, CsrfGuard
from sitroom.auth.errors import AuthError, HashingBusy, TooManyAttempts
from sitroom.auth.invitations import (
    DEFAULT_INVITATION_TTL,
    Invitations,
    format_join_code,
    normalise_join_code,
    principal_for,
)
from sitroom.auth.limiter import RateLimiter
from sitroom.auth.memory import MemoryAuthStore
from sitroom.auth.passwords import MIN_PASSWORD_LENGTH, Passwords, check_password
from sitroom.auth.service import AuthService, build_auth, open_auth
from sitroom.auth.sessions import (
    SESSION_COOKIE,
    CookieSettings,
    SessionManager,
    SignedIn,
    cookie_settings,
)
from sitroom.auth.sqlstore import PostgresAuthStore, SqliteAuthStore, open_auth_store
from sitroom.auth.store import (
    Account,
    ApiTokenRecord,
    AuthStore,
    Clock,
    Invitation,
    InvitationStatus,
    SessionKind,
    SessionRecord,
    TokenScope,
)
from sitroom.auth.tokens import API_TOKEN_PREFIX, ApiTokens, parse_duration, token_scope

__all__ = [
    "API_TOKEN_PREFIX",
    "CSRF_FIELD",
    "DEFAULT_INVITATION_TTL",
    "MIN_PASSWORD_LENGTH",
    "SESSION_COOKIE",
    "Account",
    "Accounts",
    "ApiTokenRecord",
    "ApiTokens",
    "AuthError",
    "AuthService",
    "AuthStore",
    "Clock",
    "CookieSettings",
    "CsrfGuard",
    "HashingBusy",
    "Invitation",
    "InvitationStatus",
    "Invitations",
    "MemoryAuthStore",
    "Passwords",
    "PostgresAuthStore",
    "RateLimiter",
    "SessionKind",
    "SessionManager",
    "SessionRecord",
    "SignedIn",
    "SqliteAuthStore",
    "TokenScope",
    "TooManyAttempts",
    "build_auth",
    "check_password",
    "cookie_settings",
    "format_join_code",
    "normalise_join_code",
    "open_auth",
    "open_auth_store",
    "parse_duration",
    "principal_for",
    "principal_for_account",
    "token_scope",
]
