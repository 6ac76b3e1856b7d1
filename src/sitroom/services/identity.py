"""Who is who: sign-in, invitations and sessions as the web and the CLI use them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sitroom.auth import (
    AuthError,
    AuthService,
    Passwords,
    build_auth,
    cookie_settings,
    open_auth_store,
)
from sitroom.auth.store import LANGUAGES, Invitation
from sitroom.conduct.principal import Principal, Role
from sitroom.config import Settings
from sitroom.package.model import Package

__all__ = ["LANGUAGES", "AuthError", "Identity", "Invitation", "Viewer", "cookie_settings"]


@dataclass(frozen=True)
class Viewer:
    """The principal behind a request; invitation principals are bound to one run."""

    principal: Principal
    run_id: str | None = None
    language: str = "en"
    session: str | None = field(default=None, repr=False)
    invitation: str | None = None
    scope: str | None = None
    """An API token's scope (read, write or admin); None for a browser session."""
    preview: str | None = None
    """Set when control looks at a run as someone else (``services.preview``): what it looks
    as (``team:ald-nss``); ``principal`` is then that stand-in, read-only."""
    previewer: str | None = None
    """The name of the person of control behind a preview."""


@dataclass
class Identity:
    """Sign-in, invitations and sessions for one database and one server secret."""

    auth: AuthService
    settings: Settings

    @classmethod
    def open(cls, url: str, settings: Settings) -> Identity:
        """Open the auth store on the same database as the event log."""
        store = open_auth_store(url)
        ttl = timedelta(days=settings.invitation_days)
        passwords = Passwords(max_concurrent=settings.hash_concurrency)
        auth = build_auth(store, settings.secret_key, invitation_ttl=ttl, passwords=passwords)
        return cls(auth, settings)

    def close(self) -> None:
        self.auth.close()

    # -- who is behind a request --------------------------------------------------------

    def resolve(self, session: str | None, api_token: str | None) -> Viewer | None:
        """The viewer for a session cookie or an API token, or None."""
        signed = self.auth.identify(session, api_token)
        if signed is None:
            return None
        return Viewer(
            signed.principal,
            signed.run_id,
            signed.language,
            session if signed.via == "session" else None,
            signed.invitation_id,
            None if signed.scope is None else signed.scope.value,
        )

    def csrf_token(self, session: str) -> str:
        """The CSRF token that writes with this session cookie must carry."""
        return self.auth.csrf.csrf_token(session)

    def still_valid(self, viewer: Viewer) -> bool:
        """Re-checked on every SSE heartbeat: a revoked invitation ends the stream."""
        if viewer.session is None:
            return True
        return self.auth.identify(viewer.session, None) is not None

    # -- accounts -----------------------------------------------------------------------

    def create_account(self, username: str, password: str, role: str, name: str) -> None:
        """Create an admin or facilitator account; ValueError with the reason otherwise."""
        try:
            self.auth.accounts.create_account(username, name, password, Role(role))
        except (AuthError, ValueError) as exc:
            raise ValueError(getattr(exc, "message", str(exc))) from None

    def has_accounts(self) -> bool:
        return bool(self.auth.accounts.list_accounts())

    def login(self, username: str, password: str, client: str) -> str:
        """A new session token for a correct password; AuthError otherwise.

        Limited per address and per account, with a cap on concurrent hashing
        (`AuthService.sign_in`).
        """
        account = self.auth.sign_in(username, password, client)
        return self.auth.sessions.create(account)

    def logout(self, session: str) -> None:
        self.auth.sessions.end(session)

    # -- invitations --------------------------------------------------------------------

    def join_code(
        self, code: str, client: str, device: str | None = None
    ) -> tuple[str, Invitation]:
        """Redeem a join code: a session token and the invitation.

        ``device`` is the browser's device secret (the ``sitroom_device`` cookie); a
        device-bound invitation needs it.
        """
        invitation = self.auth.invitations.redeem_code(code, client=client, device=device)
        return self.auth.sessions.create(invitation), invitation

    def join_link(self, token: str, device: str | None = None) -> tuple[str, Invitation]:
        """Redeem a signed invitation link: a session token and the invitation."""
        invitation = self.auth.invitations.redeem_link(token, device=device)
        return self.auth.sessions.create(invitation), invitation

    def check_link(self, token: str, device: str | None = None) -> Invitation:
        """The invitation a link would sign in, without using it (AuthError if it would not)."""
        return self.auth.invitations.check_link(token, device=device)

    def link_names(self, token: str, invitation_id: str) -> bool:
        """True if the link token is well signed and names ``invitation_id``."""
        return self.auth.invitations.invitation_id(token) == invitation_id

    def invite(
        self,
        run_id: str,
        package: Package,
        created_by: str,
        *,
        name: str,
        role: str,
        team: str | None = None,
        party: str | None = None,
        language: str = "en",
        single_use: bool | None = None,
        bind_device: bool = False,
    ) -> dict[str, Any]:
        """Create an invitation; the link and join code are returned only now.

        ``single_use`` defaults to True for players; ``bind_device`` binds the invitation to
        the first browser that uses it. An invitation's session (``created_by`` ``invite:…``)
        cannot create facilitator or evaluator invitations.
        """
        invitation, token, code = self.auth.invitations.create_invitation(
            run_id,
            package,
            name,
            role,
            team=team,
            party=party,
            language=language,
            created_by=created_by,
            single_use=single_use,
            bind_device=bind_device,
        )
        return {
            **self.describe(invitation),
            "link": f"{self.settings.base_url}/join/{token}",
            "code": code,
        }

    def invitations(self, run_id: str) -> list[dict[str, Any]]:
        return [self.describe(i) for i in self.auth.invitations.list_invitations(run_id)]

    def revoke(self, run_id: str, invitation_id: str) -> dict[str, Any]:
        invitation = self.auth.invitations.get_invitation(invitation_id)
        if invitation.run_id != run_id:
            raise AuthError(
                "invitation", f"no invitation '{invitation_id}' in this run", reason="unknown"
            )
        return self.describe(self.auth.invitations.revoke_invitation(invitation_id))

    def describe(self, invitation: Invitation) -> dict[str, Any]:
        """An invitation as the API and the console list it (never its code or device)."""
        return {
            "id": invitation.id,
            "run": invitation.run_id,
            "name": invitation.display_name,
            "role": str(invitation.role),
            "team": invitation.team,
            "party": invitation.party,
            "language": invitation.language,
            "principal": f"invite:{invitation.id}",
            "expires_at": invitation.expires_at.isoformat(),
            "revoked_at": invitation.revoked_at.isoformat() if invitation.revoked_at else None,
            "created_by": invitation.created_by,
            "created_by_name": self._creator_name(invitation.created_by),
            "created_at": invitation.created_at.isoformat(),
            "single_use": invitation.single_use,
            "bind_device": invitation.bind_device,
            "used_at": invitation.used_at.isoformat() if invitation.used_at else None,
            "device_bound": invitation.device_hash is not None,
        }

    def _creator_name(self, created_by: str | None) -> str | None:
        """The display name behind ``account:<id>`` or ``invite:<id>``, if it still exists."""
        if created_by is None:
            return None
        kind, _, subject = created_by.partition(":")
        if kind == "account":
            account = self.auth.store.get_account(subject)
            return None if account is None else account.display_name
        if kind == "invite":
            invitation = self.auth.store.get_invitation(subject)
            return None if invitation is None else invitation.display_name
        return None
