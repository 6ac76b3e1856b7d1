"""Who is who: sign-in, invitations and sessions as the web and the CLI use them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sitroom import audit
from sitroom.auth import (
    AuthError,
    AuthService,
    Passwords,
    build_auth,
    cookie_settings,
    open_auth_store,
)
from sitroom.auth.errors import SignOnRefused
from sitroom.auth.invitations import principal_for
from sitroom.auth.mailstore import OutboxMessage, SqlMailStore, clean_address
from sitroom.auth.resets import PasswordResets
from sitroom.auth.signon import SignOnAccounts, SignOnPolicy
from sitroom.auth.sqlstore import SqlAuthStore
from sitroom.auth.store import LANGUAGES, Account, Invitation, InvitationStatus
from sitroom.conduct.principal import Principal, Role
from sitroom.config import Settings
from sitroom.package.model import Package, text_in
from sitroom.services.injectmail import Recipient
from sitroom.services.mailtext import invitation_letter, reset_letter
from sitroom.services.naming import invitation_name as invitation_name
from sitroom.services.outbox import Outbox, delivery_view
from sitroom.services.people import AccountNames, PeopleViews, RunPeople
from sitroom.services.signon_steps import SignOnSteps

if TYPE_CHECKING:
    from sitroom.auth.oidc import OpenIdConnect

__all__ = [
    "LANGUAGES",
    "AuthError",
    "Identity",
    "Invitation",
    "SignOnRefused",
    "Viewer",
    "cookie_settings",
    "invitation_name",
]

SIGN_ON_CALLBACK = "/signin/oidc/callback"
"""Where the provider sends people back; register ``<redirect base>`` + this there."""


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
class Identity(SignOnSteps, PeopleViews):
    """Sign-in, invitations and sessions for one database and one server secret."""

    auth: AuthService
    settings: Settings
    mail: SqlMailStore | None = None
    """Addresses, the outbox and reset tokens (None on an in-memory auth store)."""
    outbox: Outbox | None = None
    """Sends invitation and reset e-mail (None until bootstrap gives it one)."""
    sso: OpenIdConnect | None = None
    """Single sign-on, when SITROOM_OIDC_ISSUER is set."""
    sso_accounts: SignOnAccounts | None = None
    people: RunPeople = field(init=False, repr=False)
    """The names and roster of each run's people, read once and held briefly (`names`)."""
    accounts: AccountNames = field(init=False, repr=False)
    """The names of accounts, read once and held briefly (`account_names`)."""

    def __post_init__(self) -> None:
        self.people = RunPeople(self.auth.invitations.list_invitations)
        store = self.auth.store
        self.accounts = AccountNames(
            self.auth.accounts.list_accounts, lambda: store.account_changes.count
        )

    @classmethod
    def open(cls, url: str, settings: Settings) -> Identity:
        """Open the auth store on the same database as the event log."""
        store = open_auth_store(url)
        ttl = timedelta(days=settings.invitation_days)
        passwords = Passwords(max_concurrent=settings.hash_concurrency)
        auth = build_auth(
            store,
            settings.secret_key,
            invitation_ttl=ttl,
            passwords=passwords,
            session_recheck=timedelta(seconds=settings.session_recheck_seconds),
        )
        mail = SqlMailStore(store.database) if isinstance(store, SqlAuthStore) else None
        if not settings.oidc_issuer:
            return cls(auth, settings, mail)
        # Only a server with single sign-on on pays for importing the OpenID Connect client.
        from sitroom.auth.oidc import OidcConfig, OpenIdConnect

        try:
            sso = OpenIdConnect(
                OidcConfig(
                    issuer=settings.oidc_issuer,
                    client_id=settings.oidc_client_id,
                    client_secret=settings.oidc_client_secret,
                    redirect_uri=(settings.oidc_redirect_base or settings.base_url)
                    + SIGN_ON_CALLBACK,
                    scopes=settings.oidc_scopes,
                ),
                store,
            )
        except ValueError:
            auth.close()
            raise
        policy = SignOnPolicy(
            roles=tuple((group, Role(role)) for group, role in settings.oidc_roles),
            groups_claim=settings.oidc_groups_claim,
            name_claim=settings.oidc_name_claim,
            allowed_domains=settings.oidc_allowed_domains,
            allowed_subjects=settings.oidc_allowed_subjects,
            allowed_groups=settings.oidc_allowed_groups,
        )
        return cls(auth, settings, mail, sso=sso, sso_accounts=SignOnAccounts(store, policy))

    @property
    def resets(self) -> PasswordResets | None:
        """Password resets, where e-mail is on (a link can only be mailed)."""
        if self.mail is None or self.outbox is None or not self.outbox.enabled:
            return None
        if self._resets is None:
            self._resets = PasswordResets(
                self.auth.store,
                self.mail,
                self.auth.accounts,
                self.auth.sessions,
                ttl=timedelta(minutes=self.settings.reset_minutes),
                limiter=None,
            )
        return self._resets

    _resets: PasswordResets | None = field(default=None, repr=False)

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
        """Re-checked on every SSE heartbeat: a revoked invitation ends the stream.

        The database is asked once per ``SITROOM_SESSION_RECHECK`` per session, the
        heartbeats in between from memory (`SessionManager.still_live`).
        """
        if viewer.session is None:
            return True
        return self.auth.sessions.still_live(viewer.session)

    def still_valid_in_memory(self, viewer: Viewer) -> bool:
        """`still_valid` answered without the database, when it can be (else False: ask
        `still_valid`). Cheap: the event loop asks this before it hands a check to a thread."""
        return viewer.session is None or self.auth.sessions.held(viewer.session)

    # -- accounts -----------------------------------------------------------------------

    def create_account(self, username: str, password: str, role: str, name: str) -> None:
        """Create an admin or facilitator account; ValueError with the reason otherwise."""
        try:
            account = self.auth.accounts.create_account(username, name, password, Role(role))
        except (AuthError, ValueError) as exc:
            message = getattr(exc, "message", str(exc))
            audit.record(
                "account-created", outcome="failure", username=username, role=role, reason=message
            )
            raise ValueError(message) from None
        audit.record(
            "account-created",
            actor=None,
            account_id=account.id,
            username=username,
            role=role,
        )

    def has_accounts(self) -> bool:
        return bool(self.auth.accounts.list_accounts())

    def login(self, username: str, password: str, client: str) -> str:
        """A new session token for a correct password; AuthError otherwise.

        Limited per address and per account, with a cap on concurrent hashing
        (`AuthService.sign_in`).
        """
        if not self.settings.local_passwords:
            raise SignOnRefused(
                "passwords-off",
                "password sign-in is turned off on this server; sign in with single sign-on",
                field="password",
            )
        try:
            account = self.auth.sign_in(username, password, client)
        except AuthError as exc:
            audit.record(
                "sign-in",
                outcome="failure",
                source=client,
                username=username[:64],
                reason=exc.reason,
            )
            raise
        audit.record(
            "sign-in",
            actor={"id": f"account:{account.id}", "role": account.role},
            source=client,
            method="password",
        )
        return self.auth.sessions.create(account)

    def logout(self, session: str) -> str | None:
        """End the session; the provider's logout URL if it was a single sign-on's."""
        signed = self.auth.identify(session, None)
        id_token = self.auth.sessions.id_token(session) if self.sso is not None else None
        self.auth.sessions.end(session)
        if signed is not None:
            audit.record("sign-out", actor=signed.principal, run_id=signed.run_id)
        if self.sso is None or id_token is None:
            return None
        after = (self.settings.oidc_redirect_base or self.settings.base_url) + "/signin"
        return self.sso.end_session_url(id_token, after)

    # -- invitations --------------------------------------------------------------------

    def join_code(
        self, code: str, client: str, device: str | None = None
    ) -> tuple[str, Invitation]:
        """Redeem a join code: a session token and the invitation.

        ``device`` is the browser's device secret (the ``sitroom_device`` cookie); a
        device-bound invitation needs it.
        """
        try:
            invitation = self.auth.invitations.redeem_code(code, client=client, device=device)
        except AuthError as exc:
            audit.record(
                "invitation-used", outcome="failure", source=client, via="code", reason=exc.reason
            )
            raise
        self._used(invitation, "code")
        return self.auth.sessions.create(invitation), invitation

    def join_link(self, token: str, device: str | None = None) -> tuple[str, Invitation]:
        """Redeem a signed invitation link: a session token and the invitation."""
        try:
            invitation = self.auth.invitations.redeem_link(token, device=device)
        except AuthError as exc:
            audit.record("invitation-used", outcome="failure", via="link", reason=exc.reason)
            raise
        self._used(invitation, "link")
        return self.auth.sessions.create(invitation), invitation

    @staticmethod
    def _used(invitation: Invitation, via: str) -> None:
        audit.record(
            "invitation-used",
            actor={"id": f"invite:{invitation.id}", "role": str(invitation.role)},
            run_id=invitation.run_id,
            invitation_id=invitation.id,
            via=via,
        )

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
        email: str | None = None,
        idp_email: str | None = None,
        idp_subject: str | None = None,
    ) -> dict[str, Any]:
        """Create an invitation; the link and join code are returned only now.

        A blank ``name`` becomes the role, team and party by their names (``invitation_name``).

        ``single_use`` defaults to True for players; ``bind_device`` binds the invitation to
        the first browser that uses it. An invitation's session (``created_by`` ``invite:…``)
        cannot create facilitator or evaluator invitations. With ``email`` the link is
        e-mailed (queued in the outbox; `AuthError` on ``email`` when e-mail is off).
        """
        name = name.strip() or invitation_name(package, role, team, party, language)
        address = clean_address(email) if email and email.strip() else None
        if address is not None and (self.outbox is None or not self.outbox.enabled):
            raise AuthError(
                "email",
                "this server sends no e-mail (SITROOM_SMTP_HOST is not set); leave the address"
                " empty and hand the link or the join code over yourself",
            )
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
            idp_email=idp_email,
            idp_subject=idp_subject,
        )
        self.people.changed()
        link = f"{self.settings.base_url}/join/{token}"
        if address is not None:
            self._mail_invitation(invitation, package, address, link)
        audit.record(
            "invitation-created",
            actor={"id": created_by, "role": None},
            run_id=run_id,
            invitation_id=invitation.id,
            role=role,
            team=team,
            party=party,
            single_use=invitation.single_use,
        )
        return {**self.describe(invitation), "link": link, "code": code}

    def _mail_invitation(
        self, invitation: Invitation, package: Package, address: str, link: str
    ) -> None:
        assert self.mail is not None and self.outbox is not None
        subject = f"invite:{invitation.id}"
        self.mail.set_address(subject, address)
        languages = package.exercise.languages
        lang = invitation.language
        title, body = invitation_letter(
            lang,
            name=invitation.display_name,
            exercise=text_in(package.exercise.title, lang, languages),
            role=str(invitation.role),
            link=link,
            expires=invitation.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
        )
        self.outbox.queue(
            f"invitation:{invitation.id}",
            kind="invitation",
            subject=subject,
            recipient=address,
            title=title,
            body=body,
            run_id=invitation.run_id,
        )

    def invitations(self, run_id: str) -> list[dict[str, Any]]:
        found = self.auth.invitations.list_invitations(run_id)
        deliveries = self._deliveries(run_id)
        return [self.describe(i, deliveries) for i in found]

    def _deliveries(self, run_id: str) -> dict[str, OutboxMessage]:
        if self.mail is None:
            return {}
        return {m.subject: m for m in self.mail.messages(run_id=run_id, kind="invitation")}

    def send_again(self, run_id: str, invitation_id: str) -> dict[str, Any]:
        """Send an invitation's e-mail again (after it failed or was given up)."""
        invitation = self.auth.invitations.get_invitation(invitation_id)
        if invitation.run_id != run_id or self.outbox is None:
            raise AuthError(
                "invitation",
                f"no e-mail of invitation '{invitation_id}' in this run",
                reason="unknown",
            )
        if not self.outbox.send_again(f"invitation:{invitation_id}"):
            raise AuthError(
                "invitation", "this e-mail is not waiting to be sent again", reason="invalid"
            )
        return self.describe(invitation, self._deliveries(run_id))

    def recipients(self, run_id: str) -> list[Recipient]:
        """The run's players (active invitations) with an address, for the ``mail`` follower.

        Injects are mailed to the players they are addressed to; control, evaluators and
        observers follow them on their screens.
        """
        if self.mail is None:
            return []
        now = datetime.now(UTC)
        found = []
        for invitation in self.auth.invitations.list_invitations(run_id):
            if invitation.status(now) == InvitationStatus.REVOKED or invitation.role != Role.PLAYER:
                continue
            address = self.mail.address(f"invite:{invitation.id}")
            if address:
                found.append(Recipient(principal_for(invitation), address, invitation.language))
        return found

    # -- password reset -----------------------------------------------------------------

    def set_account_email(self, username: str, email: str | None) -> Account:
        """Give an account an address for password resets (None or "" removes it)."""
        found = self.auth.store.find_account(username)
        if found is None:
            raise AuthError("username", f"no account named {username!r}", reason="unknown")
        if self.mail is None:
            raise AuthError("email", "this database keeps no e-mail addresses")
        address = clean_address(email) if email and email.strip() else None
        self.mail.set_address(f"account:{found[0].id}", address)
        return found[0]

    def account_email(self, account_id: str) -> str | None:
        """The address an account's password resets go to, if any."""
        return None if self.mail is None else self.mail.address(f"account:{account_id}")

    def request_reset(self, who: str, client: str) -> None:
        """Mail a reset link if ``who`` (username or address) is an account with an address.

        Says nothing either way; `TooManyAttempts` when ``client`` asked too often.
        """
        resets = self.resets
        if resets is None:
            return
        issued = resets.request(who, client)
        if issued is None:
            return
        account, address, token = issued
        assert self.outbox is not None
        title, body = reset_letter(
            account.language,
            name=account.display_name,
            link=f"{self.settings.base_url}/reset/{token}",
            minutes=self.settings.reset_minutes,
        )
        self.outbox.queue(
            f"reset:{token_key(token)}",
            kind="reset",
            subject=f"account:{account.id}",
            recipient=address,
            title=title,
            body=body,
        )

    def check_reset(self, token: str) -> Account:
        """The account a reset link would change (AuthError when it would not)."""
        resets = self.resets
        if resets is None:
            raise AuthError("token", "password reset by e-mail is off", reason="unknown")
        return resets.check(token)

    def reset_password(self, token: str, password: str, client: str) -> Account:
        """Set a new password with a reset link (once)."""
        resets = self.resets
        if resets is None:
            raise AuthError("token", "password reset by e-mail is off", reason="unknown")
        return resets.reset(token, password, client)

    def revoke(self, run_id: str, invitation_id: str, by: Any = None) -> dict[str, Any]:
        """Revoke an invitation of ``run_id``; ``by`` (a principal) is named in the audit."""
        invitation = self.auth.invitations.get_invitation(invitation_id)
        if invitation.run_id != run_id:
            raise AuthError(
                "invitation", f"no invitation '{invitation_id}' in this run", reason="unknown"
            )
        revoked = self.auth.invitations.revoke_invitation(invitation_id)
        self.people.changed()
        if self.mail is not None:  # a link not mailed yet is never mailed now
            self.mail.cancel(
                f"invitation:{invitation_id}", datetime.now(UTC), "the invitation was withdrawn"
            )
        audit.record(
            "invitation-revoked",
            actor=by,
            run_id=run_id,
            invitation_id=invitation_id,
            role=str(invitation.role),
        )
        return self.describe(revoked)

    def describe(
        self, invitation: Invitation, deliveries: dict[str, OutboxMessage] | None = None
    ) -> dict[str, Any]:
        """An invitation as the API and the console list it (never its code or device).

        ``email`` is its delivery by e-mail (None when it was not mailed): the address, the
        state (queued, sending, sent, failed, bounced, dead), the attempts, the last SMTP
        answer and when the next attempt is due.
        """
        subject = f"invite:{invitation.id}"
        if deliveries is None:
            deliveries = self._deliveries(invitation.run_id)
        message = deliveries.get(subject)
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
            "email": None if message is None else delivery_view(message),
            "idp_email": invitation.idp_email,
            "idp_subject": invitation.idp_subject,
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


def token_key(token: str) -> str:
    """The outbox key of a reset message: a digest, so the key never holds the token."""
    return hashlib.sha256(b"outbox:" + token.encode()).hexdigest()[:32]
