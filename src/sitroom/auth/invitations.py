"""Invitations into a run: a signed link to click, or a short join code to type in the room.

An invitation binds a person to a role in one run (and a player to one team, whose party
comes with it). The link carries the invitation id signed with the server secret, so nobody
can make one up; the join code is eight characters from an alphabet without look-alikes,
stored only as an HMAC under the server secret. Both are checked against the store on every
use, so revoking an invitation stops a link that is still within its signed lifetime.

A link or a code is a bearer secret, so an invitation can be limited: *single-use* (after the
first use it signs nobody in; the default for players) or *bound to a device* (the first
browser that uses it is the only one it signs in again). An invitation's session may invite
others, but never into a control role, and revoking it revokes what it created.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer

from sitroom.auth.errors import AuthError, SignOnRefused
from sitroom.auth.keys import check_secret, derive_key, token_digest
from sitroom.auth.limiter import RateLimiter
from sitroom.auth.store import (
    CONTROL_INVITATION_ROLES,
    INVITATION_ROLES,
    AuthStore,
    Clock,
    Invitation,
    InvitationStatus,
    clean_language,
    clean_name,
    system_clock,
)
from sitroom.conduct.principal import Principal, Role
from sitroom.package.model import Package, TeamKind

DEFAULT_INVITATION_TTL = timedelta(days=7)

JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
"""Capital letters and digits without 0, O, 1, I and L, which people misread."""
JOIN_CODE_LENGTH = 8
_LINK_SALT = "sitroom.invitation-link"
_MAX_TOKEN_LENGTH = 512
_SEPARATORS = str.maketrans("", "", "- \t\u00a0\u2010\u2011\u2012\u2013\u2014\u2212")


def normalise_join_code(text: str) -> str | None:
    """Return a typed join code as its eight canonical characters, or None if it is not one.

    Case, dashes and spaces do not matter: ``"abcd efgh"`` and ``"ABCD-EFGH"`` are the same.
    """
    if len(text) > 4 * JOIN_CODE_LENGTH:
        return None
    code = text.translate(_SEPARATORS).upper()
    if len(code) != JOIN_CODE_LENGTH or any(char not in JOIN_CODE_ALPHABET for char in code):
        return None
    return code


def format_join_code(code: str) -> str:
    """Return a canonical join code as people read it: ``XXXX-XXXX``."""
    half = JOIN_CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def principal_for(invitation: Invitation) -> Principal:
    """The principal an invitation acts as in its run: ``invite:<id>``, with team and party."""
    return Principal(
        id=f"invite:{invitation.id}",
        role=invitation.role,
        name=invitation.display_name,
        team=invitation.team,
        party=invitation.party,
    )


def _invitation_role(role: Role | str) -> Role:
    try:
        chosen = Role(role)
    except ValueError:
        chosen = None
    if chosen is None or chosen not in INVITATION_ROLES:
        choices = ", ".join(sorted(r.value for r in INVITATION_ROLES))
        raise AuthError("role", f"an invitation cannot grant {str(role)!r}; choose {choices}")
    return chosen


def _placement(
    package: Package, role: Role, team: str | None, party: str | None
) -> tuple[str | None, str | None]:
    """Check a role's team and party against the package; return them (party from the team).

    Players need a player team; an observer may sit with a player team or a party; a display
    may show one party's view; facilitators and evaluators belong to no team or party.
    """
    team = team or None
    party = party or None
    parties = [p.id for p in package.parties]
    player_teams = [t for t in package.player_teams()]
    known_teams = ", ".join(t.id for t in player_teams) or "(the package has no player teams)"
    if role in (Role.FACILITATOR, Role.EVALUATOR):
        if team is not None:
            raise AuthError("team", f"a {role.value} belongs to no team; leave the team empty")
        if party is not None:
            raise AuthError("party", f"a {role.value} belongs to no party; leave the party empty")
        return None, None
    if role == Role.DISPLAY and team is not None:
        raise AuthError("team", "a display shows a party's view or everyone's, not a team's")
    if role == Role.PLAYER and team is None:
        raise AuthError("team", f"a player needs a team; choose one of: {known_teams}")
    if team is not None:
        found = next((t for t in package.teams if t.id == team), None)
        if found is None:
            raise AuthError("team", f"unknown team {team!r}; choose one of: {known_teams}")
        if found.kind != TeamKind.PLAYERS:
            raise AuthError(
                "team",
                f"team {team!r} is a {found.kind.value} team, not a player team;"
                f" choose one of: {known_teams}",
            )
        if party is not None and party != found.party:
            raise AuthError(
                "party",
                f"team {team!r} belongs to party {found.party!r}, not {party!r};"
                " leave the party empty to take the team's",
            )
        return team, found.party
    if party is not None and party not in parties:
        known = ", ".join(parties) or "(the package has no parties)"
        raise AuthError("party", f"unknown party {party!r}; choose one of: {known}")
    return None, party


class Invitations:
    """Creates, lists, revokes and redeems the invitations of runs."""

    def __init__(
        self,
        store: AuthStore,
        secret: bytes,
        *,
        clock: Clock = system_clock,
        ttl: timedelta = DEFAULT_INVITATION_TTL,
        limiter: RateLimiter | None = None,
    ) -> None:
        """Keep invitations in ``store``; sign links and hash join codes with ``secret``.

        ``ttl`` is how long a new invitation can be redeemed unless told otherwise;
        ``limiter`` counts failed join-code attempts per client (10 a minute by default).
        """
        check_secret(secret)
        if ttl <= timedelta(0):
            raise ValueError("the invitation lifetime must be positive")
        self._store = store
        self._clock = clock
        self._ttl = ttl
        self._serializer = URLSafeTimedSerializer(
            secret, salt=_LINK_SALT, signer_kwargs={"digest_method": hashlib.sha256}
        )
        self._code_key = derive_key(secret, "join-code")
        self.limiter = limiter or RateLimiter(clock=clock)

    def create_invitation(
        self,
        run_id: str,
        package: Package,
        display_name: str,
        role: Role | str,
        *,
        team: str | None = None,
        party: str | None = None,
        language: str = "en",
        created_by: str | None = None,
        expires_in: timedelta | None = None,
        single_use: bool | None = None,
        bind_device: bool = False,
        idp_email: str | None = None,
        idp_subject: str | None = None,
    ) -> tuple[Invitation, str, str]:
        """Invite a person into a run; return the invitation, its link token and join code.

        ``package`` is the run's package: a player's team must be one of its player teams
        (the party comes from the team); an observer or display may name one of its parties.
        ``single_use`` defaults to True for players and False for the other roles;
        ``bind_device`` binds it to the first browser that uses it; ``idp_email`` or
        ``idp_subject`` bind it to one identity at the single sign-on provider (only that
        person, signed in there, can use it). When ``created_by`` is an
        invitation (``invite:<id>``) it must still be active and may not grant a control role
        (`CONTROL_INVITATION_ROLES`). The join code (``XXXX-XXXX``) is shown now and never
        again; raise `AuthError` naming the field that is wrong.
        """
        if not run_id or "\x00" in run_id:
            raise AuthError("run_id", "an invitation needs the id of its run")
        if created_by is not None and "\x00" in created_by:
            raise AuthError("created_by", "created_by must not contain NUL characters")
        chosen_role = _invitation_role(role)
        if created_by is not None and created_by.startswith("invite:"):
            self._check_inviter(created_by.removeprefix("invite:"), run_id, chosen_role)
        chosen_team, chosen_party = _placement(package, chosen_role, team, party)
        lifetime = self._ttl if expires_in is None else expires_in
        if lifetime <= timedelta(0):
            raise AuthError("expires_in", "an invitation must stay valid for some time")
        now = self._clock()
        invitation = Invitation(
            id=secrets.token_hex(8),
            run_id=run_id,
            display_name=clean_name("display_name", display_name, "the invitee's name"),
            role=chosen_role,
            team=chosen_team,
            party=chosen_party,
            language=clean_language(language),
            created_by=created_by,
            created_at=now,
            expires_at=now + lifetime,
            single_use=chosen_role == Role.PLAYER if single_use is None else single_use,
            bind_device=bind_device,
            idp_email=_bound_email(idp_email),
            idp_subject=_bound_subject(idp_subject),
        )
        while True:  # a code that is already taken (about 1 in 10^12) is drawn again
            code = self._new_code()
            if self._store.add_invitation(invitation, self._code_hash(code)):
                break
        return invitation, self.link_token(invitation.id), format_join_code(code)

    def _check_inviter(self, inviter_id: str, run_id: str, role: Role) -> None:
        """An invitation's session may invite only into non-control roles of its own run."""
        inviter = self._store.get_invitation(inviter_id)
        if inviter is None or inviter.run_id != run_id:
            raise AuthError("created_by", "the inviting invitation is unknown", reason="denied")
        self._active(inviter, "created_by")
        if role in CONTROL_INVITATION_ROLES:
            raise AuthError(
                "role",
                f"a {role.value} invitation opens control material, and only an account can"
                " create one; ask an administrator or a facilitator who signed in with an"
                " account",
                reason="denied",
            )

    def link_token(self, invitation_id: str) -> str:
        """A signed link token for the invitation (a new one is as good as the first)."""
        return self._serializer.dumps(invitation_id)

    def new_join_code(self, invitation_id: str) -> str:
        """Give the invitation a fresh join code (the old one stops working); return it."""
        self._active(self.get_invitation(invitation_id), "invitation")
        while True:
            code = self._new_code()
            if self._store.set_invitation_code(invitation_id, self._code_hash(code)):
                return format_join_code(code)
            if self._store.get_invitation(invitation_id) is None:
                raise _unknown(invitation_id)

    def revoke_invitation(self, invitation_id: str) -> Invitation:
        """Withdraw the invitation: its link, its code and every session it opened stop now.

        The invitations it created are withdrawn with it, so none outlives its maker.
        """
        revoked = self._store.revoke_invitation(invitation_id, self._clock())
        if revoked is None:
            raise _unknown(invitation_id)
        return revoked

    def get_invitation(self, invitation_id: str) -> Invitation:
        """Return the invitation; raise `AuthError` (unknown) if there is none with this id."""
        invitation = self._store.get_invitation(invitation_id)
        if invitation is None:
            raise _unknown(invitation_id)
        return invitation

    def list_invitations(self, run_id: str) -> list[Invitation]:
        """Return the run's invitations, oldest first (revoked and expired ones included)."""
        return self._store.list_invitations(run_id)

    def redeem_link(self, token: str, *, device: str | None = None) -> Invitation:
        """Use a link token: return the invitation it names if it still signs someone in.

        ``device`` is the browser's device secret (needed for a device-bound invitation).
        Raise `AuthError` on ``token``: unknown (forged, damaged or no such invitation),
        expired, revoked, used (single-use) or denied (bound to another device).
        """
        return self._claim(self._without_sign_on(self._from_link(token), "token"), "token", device)

    def redeem_signed_on(
        self, invitation_id: str, *, subject: str, email: str | None, device: str | None = None
    ) -> Invitation:
        """Use an invitation bound to an identity, for the person the provider vouched for.

        Raise `SignOnRefused` (``not-yours``) when ``subject`` / ``email`` (verified) are not
        the identity it is bound to, else the errors of `redeem_link`.
        """
        invitation = self.get_invitation(invitation_id)
        by_subject = invitation.idp_subject is not None and invitation.idp_subject == subject
        by_email = (
            invitation.idp_email is not None
            and email is not None
            and invitation.idp_email == email.strip().lower()
        )
        if not (by_subject or by_email):
            raise SignOnRefused(
                "not-yours",
                "this invitation is for another person at the sign-in provider; it cannot be"
                " used by whoever holds the link",
                field="token",
            )
        return self._claim(invitation, "token", device)

    def _without_sign_on(self, invitation: Invitation, field: str) -> Invitation:
        """Refuse an invitation bound to an identity when it comes without its sign-on."""
        if invitation.bound_to_idp:
            self._active(invitation, field)
            raise SignOnRefused(
                "needs-sign-on",
                "this invitation is bound to a person at the sign-in provider; open the link"
                " and sign in there to join",
                field=field,
            )
        return invitation

    def check_link(self, token: str, *, device: str | None = None) -> Invitation:
        """The invitation a link token would sign in, without using it.

        The same checks and errors as `redeem_link`, but nothing is recorded: a single-use
        link stays unused and a device-bound one stays unbound, so a page can say who the
        link signs in as before the person decides to join. A browser without a device
        secret yet passes for a device-bound invitation that no browser has used.
        """
        invitation = self._from_link(token)
        self._refuse_if_closed(invitation, "token", device)
        return invitation

    def invitation_id(self, token: str) -> str | None:
        """The id a well-signed link token names (whether or not it still signs anyone in)."""
        if len(token) > _MAX_TOKEN_LENGTH:
            return None
        try:
            invitation_id: object = self._serializer.loads(token)
        except BadSignature:
            return None
        return invitation_id if isinstance(invitation_id, str) else None

    def _from_link(self, token: str) -> Invitation:
        invitation_id = self.invitation_id(token)
        invitation = None if invitation_id is None else self._store.get_invitation(invitation_id)
        if invitation is None:
            raise AuthError(
                "token",
                "this invitation link is not valid; check that it was copied whole,"
                " or ask the facilitator for a new one",
                reason="unknown",
            )
        return invitation

    def redeem_code(
        self, code: str, *, client: str | None = None, device: str | None = None
    ) -> Invitation:
        """Use a typed join code: return its invitation if it still signs someone in.

        With ``client`` (the caller's address) the attempt is counted before the code is
        looked at (and taken back if the code is right), so a client that failed too often,
        even with many guesses at once, gets `TooManyAttempts`. Raise `AuthError` on
        ``code``: malformed, unknown, expired, revoked, used or bound to another device.
        """
        attempt = None if client is None else self.limiter.reserve([client], "code")
        canonical = normalise_join_code(code)
        if canonical is None:
            raise AuthError(
                "code", f"a join code has {JOIN_CODE_LENGTH} letters and digits, like ABCD-EFGH"
            )
        invitation = self._store.find_invitation_by_code(self._code_hash(canonical))
        if invitation is None:
            raise AuthError(
                "code", "no invitation has this join code; check it and try again", reason="unknown"
            )
        found = self._claim(self._without_sign_on(invitation, "code"), "code", device)
        if attempt is not None:
            self.limiter.forgive(attempt)
        return found

    def _claim(self, invitation: Invitation, field: str, device: str | None) -> Invitation:
        """Record this use if the invitation's rules allow it (atomically); say why not."""
        self._active(invitation, field)
        self._refuse_without_device(invitation, field, device)
        device_hash = token_digest(device) if device else None
        if self._store.claim_invitation(invitation.id, self._clock(), device_hash):
            return self._store.get_invitation(invitation.id) or invitation
        current = self._store.get_invitation(invitation.id) or invitation
        self._refuse_if_closed(current, field, device)
        raise _bound_elsewhere(field)  # bound to another device meanwhile

    def _refuse_if_closed(self, invitation: Invitation, field: str, device: str | None) -> None:
        """Raise `AuthError` if the invitation is withdrawn, expired, used up, or bound to a
        device other than ``device`` (an unbound one is not refused for lacking a device)."""
        self._active(invitation, field)
        if invitation.single_use and invitation.used_at is not None:
            raise AuthError(
                field,
                "this invitation was already used, and it signs in one person once;"
                " if that was not you, tell control; ask control for a new link",
                reason="used",
            )
        if (
            invitation.bind_device
            and invitation.device_hash is not None
            and invitation.device_hash != token_digest(device or "")
        ):
            raise _bound_elsewhere(field)

    def _refuse_without_device(
        self, invitation: Invitation, field: str, device: str | None
    ) -> None:
        if invitation.bind_device and not device:
            raise AuthError(
                field,
                "this invitation signs in one browser only, and this sign-in did not say"
                " which browser it is; allow cookies for this site and open the invitation"
                " link again, or ask control for a new link",
                reason="denied",
            )

    def _active(self, invitation: Invitation, field: str) -> Invitation:
        status = invitation.status(self._clock())
        if status == InvitationStatus.REVOKED:
            raise AuthError(
                field,
                "this invitation was withdrawn; ask the facilitator for a new one",
                reason="revoked",
            )
        if status == InvitationStatus.EXPIRED:
            when = invitation.expires_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
            raise AuthError(
                field,
                f"this invitation expired on {when}; ask the facilitator for a new one",
                reason="expired",
            )
        return invitation

    def _new_code(self) -> str:
        return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))

    def _code_hash(self, code: str) -> str:
        return hmac.new(self._code_key, code.encode("ascii"), hashlib.sha256).hexdigest()


def _bound_email(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    email = value.strip().lower()
    local, _, domain = email.rpartition("@")
    if not local or "." not in domain or any(char.isspace() for char in email) or len(email) > 254:
        raise AuthError(
            "idp_email", f"{value!r} is not an e-mail address; give one like name@agency.example"
        )
    return email


def _bound_subject(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    subject = value.strip()
    if len(subject) > 255 or any(ord(char) < 32 for char in subject):
        raise AuthError(
            "idp_subject",
            "a subject is the provider's id of the person (the 'sub' claim), one line of at"
            " most 255 characters",
        )
    return subject


def _bound_elsewhere(field: str) -> AuthError:
    return AuthError(
        field,
        "this invitation is bound to the device that used it first;"
        " ask control for a new link for this device",
        reason="denied",
    )


def _unknown(invitation_id: str) -> AuthError:
    return AuthError("invitation", f"no invitation with id {invitation_id!r}", reason="unknown")
