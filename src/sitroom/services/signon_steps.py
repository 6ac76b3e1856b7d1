"""Single sign-on as ``Identity`` does it: start a sign-on at the provider and finish it into
a session (an account's, or an invitation's bound to that person), with its audit records."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sitroom import audit
from sitroom.auth import AuthError, AuthService
from sitroom.auth.errors import SignOnRefused
from sitroom.auth.invitations import principal_for
from sitroom.auth.signon import SignOnAccounts
from sitroom.auth.store import Invitation

if TYPE_CHECKING:
    from sitroom.auth.oidc import OpenIdConnect


class SignOnSteps:
    """The single sign-on part of ``Identity`` (which holds ``auth``, ``sso`` and
    ``sso_accounts``)."""

    auth: AuthService
    sso: OpenIdConnect | None
    sso_accounts: SignOnAccounts | None

    def sso_begin(self, invitation_token: str | None = None) -> tuple[str, str, str | None]:
        """Start a single sign-on: the provider's URL, the state for the browser's cookie,
        and the invitation's language (None without one).

        With ``invitation_token`` (a link to an invitation bound to an identity), the sign-on
        redeems that invitation when the right person comes back.
        """
        if self.sso is None:
            raise SignOnRefused("provider", "single sign-on is not set up on this server")
        invitation_id = language = None
        if invitation_token is not None:
            invitation = self.auth.invitations.check_link(invitation_token)
            if not invitation.bound_to_idp:
                raise AuthError(
                    "token", "this invitation is not bound to a sign-on; join with its button"
                )
            invitation_id, language = invitation.id, invitation.language
        url, state = self.sso.begin(invitation_id)
        return url, state, language

    def sso_finish(
        self,
        *,
        cookie_state: str | None,
        state: str | None,
        code: str | None,
        error: str | None,
        device: str | None,
    ) -> tuple[str, Invitation | None]:
        """Finish a single sign-on: a session token, and the invitation if it redeemed one.

        Raise `SignOnRefused` (or `AuthError` from the invitation) saying why not.
        """
        if self.sso is None or self.sso_accounts is None:
            raise SignOnRefused("provider", "single sign-on is not set up on this server")
        try:
            sign_on = self.sso.finish(
                cookie_state=cookie_state, state=state, code=code, error=error
            )
            if sign_on.invitation_id is not None:
                invitation = self.auth.invitations.redeem_signed_on(
                    sign_on.invitation_id,
                    subject=sign_on.subject,
                    email=sign_on.email,
                    device=device,
                )
                audit.record(
                    "sign-in",
                    actor=principal_for(invitation),
                    run_id=invitation.run_id,
                    method="oidc-invitation",
                )
                return self.auth.sessions.create(invitation, id_token=sign_on.id_token), invitation
            account = self.sso_accounts.account_for(sign_on)
        except (AuthError, SignOnRefused) as exc:
            audit.record(
                "sign-in",
                outcome="failure",
                method="oidc",
                reason=getattr(exc, "reason", None) or getattr(exc, "field", None),
            )
            raise
        audit.record(
            "sign-in",
            actor={"id": f"account:{account.id}", "role": account.role},
            method="oidc",
        )
        return self.auth.sessions.create(account, id_token=sign_on.id_token), None
