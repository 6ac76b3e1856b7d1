"""The sign-in page as every door renders it: the password form, the join code, and the
single sign-on button when it is set up; and what a refused single sign-on says."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from sitroom.bootstrap import Services
from sitroom.services.identity import AuthError, SignOnRefused
from sitroom.web.render import N_, page, ui_language

SIGN_ON_MESSAGES = {
    "provider": N_(
        "The sign-in provider could not be reached, or single sign-on is not set up right."
        " Try again in a moment; if it goes on, tell the administrator."
    ),
    "state": N_(
        "This sign-in was not started in this browser, was used already, or took too long."
        " Start again from the sign-in page."
    ),
    "token": N_(
        "The sign-in provider's answer did not pass sitroom's checks, so nobody was signed"
        " in. Start again; if it happens again, tell the administrator."
    ),
    "cancelled": N_("The sign-in was cancelled or refused at the provider."),
    "not-allowed": N_(
        "You signed in at the provider, but this sitroom does not admit your account."
        " Ask the administrator to add you."
    ),
    "no-role": N_(
        "You signed in at the provider, but you are in no group that gives a role in"
        " sitroom. Ask the administrator to add you to one."
    ),
    "not-yours": N_(
        "This invitation is for another person. Sign in at the provider as the person it"
        " was sent to, or ask the facilitator for an invitation of your own."
    ),
    "needs-sign-on": N_(
        "This invitation is bound to a person at the sign-in provider. Open the invitation"
        " link and sign in with the provider to join."
    ),
    "disabled": N_("This account is disabled. Ask the administrator."),
    "passwords-off": N_(
        "Password sign-in is turned off on this server. Sign in with the provider instead."
    ),
}
"""What a person is told when a single sign-on does not sign them in, by its kind."""


def sign_on_context(svc: Services) -> dict[str, Any]:
    """What the sign-in page needs to offer single sign-on (and whether passwords are on)."""
    settings = svc.settings
    return {
        "sso_name": settings.oidc_provider_name if svc.identity.sso is not None else None,
        "local_passwords": settings.local_passwords,
        "reset_on": svc.identity.resets is not None,
    }


def signin_page(
    request: Request, svc: Services, status_code: int = 200, **context: Any
) -> Response:
    """The sign-in page, with the single sign-on button when it is set up."""
    context.setdefault("error", None)
    return page(
        request,
        "signin.html",
        ui_language(request),
        status_code=status_code,
        **sign_on_context(svc),
        **context,
    )


def refused_message(exc: AuthError) -> str | None:
    """The person's message for a refused single sign-on, or None if it is another error."""
    if isinstance(exc, SignOnRefused):
        return SIGN_ON_MESSAGES[exc.kind]
    return None
