"""Who a single sign-on lets in, and as which account: the allow-list and the role mapping.

The provider says who a person is; sitroom decides what they may do. An allow-list (e-mail
domains, subjects, groups; empty lists admit everyone the provider signs in) says who may
sign in at all. The role mapping turns the provider's groups into an account role (admin or
facilitator; everyone else joins runs by invitation), and it is evaluated again at every
sign-in, so a person taken out of the group loses the role at their next sign-in, and one
in no mapped group cannot sign in with an account (their sessions end).

An account is created at the first sign-in and linked to the identity (issuer, subject), the
pair the provider promises never to give to anyone else. It has no password: the marker
stored in its place never verifies.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from sitroom import audit
from sitroom.auth.accounts import clean_username
from sitroom.auth.errors import AuthError, SignOnRefused
from sitroom.auth.keys import token_digest
from sitroom.auth.store import (
    Account,
    AuthStore,
    Clock,
    LinkedIdentity,
    SessionKind,
    clean_name,
    system_clock,
)
from sitroom.conduct.principal import Role

log = logging.getLogger("sitroom.auth")

NO_PASSWORD = "!single-sign-on"
"""Stored as the password hash of an account made by single sign-on: it never verifies."""
_RANK = {Role.ADMIN: 2, Role.FACILITATOR: 1}


@dataclass(frozen=True)
class SignOn:
    """A person the provider vouched for: the checked ID token and what the sign-in was for."""

    issuer: str
    subject: str
    claims: dict[str, Any]
    id_token: str = field(repr=False)
    invitation_id: str | None = None

    @property
    def email(self) -> str | None:
        """The e-mail address the provider says is this person's and has verified."""
        email = self.claims.get("email")
        if not isinstance(email, str) or self.claims.get("email_verified") is False:
            return None
        return email.strip().lower() or None


def claim_at(claims: dict[str, Any], path: str) -> Any:
    """The claim at a dotted path (``realm_access.roles`` for Keycloak's realm roles)."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return claims.get(path)  # a claim whose own name has dots (Auth0's namespaced ones)
        value = value[part]
    return value


@dataclass(frozen=True)
class SignOnPolicy:
    """The allow-list, the role mapping and which claims to read."""

    roles: tuple[tuple[str, Role], ...] = ()
    """(group, role) pairs: a member of the group gets the role (the highest one wins)."""
    groups_claim: str = "groups"
    name_claim: str = "name"
    allowed_domains: tuple[str, ...] = ()
    allowed_subjects: tuple[str, ...] = ()
    allowed_groups: tuple[str, ...] = ()

    def groups(self, sign_on: SignOn) -> set[str]:
        """The groups the provider says the person is in (a list, or one space-separated text)."""
        value = claim_at(sign_on.claims, self.groups_claim)
        if isinstance(value, str):
            return set(value.split())
        if isinstance(value, list):
            return {str(item) for item in value if isinstance(item, str | int)}
        return set()

    def admits(self, sign_on: SignOn) -> None:
        """Raise `SignOnRefused` (``not-allowed``) unless the allow-list lets the person in."""
        if not (self.allowed_domains or self.allowed_subjects or self.allowed_groups):
            return
        email = sign_on.email
        domain = email.rpartition("@")[2] if email else None
        if domain is not None and domain in self.allowed_domains:
            return
        if sign_on.subject in self.allowed_subjects:
            return
        if self.groups(sign_on) & set(self.allowed_groups):
            return
        who = email or sign_on.subject
        raise SignOnRefused(
            "not-allowed",
            f"{who} signed in at the provider, but sitroom's allow-list does not admit them"
            " (SITROOM_OIDC_ALLOWED_DOMAINS, _SUBJECTS, _GROUPS)",
        )

    def role(self, sign_on: SignOn) -> Role | None:
        """The account role the person's groups give, or None."""
        groups = self.groups(sign_on)
        found = [role for group, role in self.roles if group in groups]
        return max(found, key=lambda role: _RANK[role]) if found else None

    def display_name(self, sign_on: SignOn) -> str:
        """The name to show: the configured claim, else e-mail or subject, made safe."""
        for candidate in (
            claim_at(sign_on.claims, self.name_claim),
            sign_on.claims.get("name"),
            sign_on.claims.get("preferred_username"),
            sign_on.email,
            sign_on.subject,
        ):
            if isinstance(candidate, str):
                try:
                    return clean_name("name", candidate[:100])
                except AuthError:
                    continue
        return "sign-on user"


class SignOnAccounts:
    """Finds, creates and updates the account a single sign-on signs in as."""

    def __init__(
        self, store: AuthStore, policy: SignOnPolicy, *, clock: Clock = system_clock
    ) -> None:
        self._store = store
        self.policy = policy
        self._clock = clock

    def account_for(self, sign_on: SignOn) -> Account:
        """The person's account, created or updated from the provider's word; or a refusal."""
        self.policy.admits(sign_on)
        role = self.policy.role(sign_on)
        found = self._store.find_linked_identity(sign_on.issuer, sign_on.subject)
        if role is None:
            if found is not None:  # taken out of every mapped group: out of every session too
                self._store.delete_sessions(SessionKind.ACCOUNT, found[1].id)
            groups = ", ".join(sorted(self.policy.groups(sign_on))) or "none"
            raise SignOnRefused(
                "no-role",
                f"{sign_on.email or sign_on.subject} is in no group that gives a sitroom role"
                f" (their groups: {groups}); an administrator maps groups to roles with"
                " SITROOM_OIDC_ROLES",
            )
        name = self.policy.display_name(sign_on)
        now = self._clock()
        if found is not None:
            identity, account = found
            if account.disabled:
                raise SignOnRefused("disabled", f"the account {account.username!r} is disabled")
            updated = self._store.update_linked_account(
                identity, role=role, display_name=name, email=sign_on.email, at=now
            )
            if account.role != role:  # the provider's groups changed
                audit.record(
                    "role-changed",
                    actor={"id": f"account:{account.id}", "role": role.value},
                    username=account.username,
                    previous=account.role.value,
                    role=role.value,
                    via="oidc-groups",
                )
            log.info(
                "single sign-on: subject %r of %s signed in as account %r (%s)",
                sign_on.subject,
                sign_on.issuer,
                account.username,
                role.value,
            )
            return updated or account
        identity = LinkedIdentity(
            issuer=sign_on.issuer,
            subject=sign_on.subject,
            account_id="",
            email=sign_on.email,
            linked_at=now,
            last_sign_in=now,
        )
        for username in self._usernames(sign_on):
            account = Account(
                id=secrets.token_hex(8),
                username=username,
                display_name=name,
                role=role,
                created_at=now,
            )
            try:
                self._store.add_linked_account(account, identity, NO_PASSWORD)
            except AuthError as exc:
                if exc.field == "identity":  # a concurrent first sign-in linked it
                    linked = self._store.find_linked_identity(sign_on.issuer, sign_on.subject)
                    if linked is not None:
                        return linked[1]
                continue  # the username is taken: try the next one
            log.info(
                "single sign-on: subject %r of %s linked to a new account %r (%s)",
                sign_on.subject,
                sign_on.issuer,
                username,
                role.value,
            )
            audit.record(
                "account-created",
                actor={"id": f"account:{account.id}", "role": role.value},
                account_id=account.id,
                username=username,
                role=role.value,
                via="oidc",
            )
            return account
        raise SignOnRefused("provider", "no free username could be found for this sign-on")

    def _usernames(self, sign_on: SignOn) -> list[str]:
        """Usernames to try: the provider's preferred one, the e-mail, then a made-up one."""
        names = []
        for candidate in (sign_on.claims.get("preferred_username"), sign_on.email):
            if isinstance(candidate, str):
                try:
                    names.append(clean_username(candidate))
                except AuthError:
                    pass
        digest = token_digest(f"{sign_on.issuer}\x00{sign_on.subject}")
        names.append(f"sso-{digest[:12]}")
        names.append(f"sso-{digest[:24]}")
        return list(dict.fromkeys(names))
