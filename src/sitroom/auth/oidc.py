"""OpenID Connect sign-in, the relying party's side: discovery, PKCE, keys and the ID token.

One provider (the agency's Keycloak, Entra ID or any OpenID Connect provider) is named by
its issuer URL. Its metadata comes from ``/.well-known/openid-configuration`` and its
signing keys from the ``jwks_uri`` it names; both are fetched when first needed and kept.

A sign-in goes out with the authorization code flow: a random ``state`` (kept by the browser
in a cookie and, as a hash, by the server), a ``nonce`` and a PKCE code verifier (kept by the
server only; the provider gets its S256 challenge). It comes back with a code and the state;
the state must be the browser's own and is good once; the code is exchanged (with the
verifier and the client secret) for an ID token, whose signature (a key the provider
publishes, an algorithm it advertises, never ``none``), issuer, audience, expiry, issue time
and nonce are checked here. Everything else (who may sign in, with which role) is the
caller's to decide from the `SignOn` this returns.

Keys rotate: a token signed with a key id not in the kept key set makes the set be fetched
again, at most `JWKS_REFETCHES` times a minute (so a stream of forged tokens with made-up key
ids cannot make sitroom hammer the provider), and the set is refreshed hourly anyway, so a
key the provider withdrew stops being trusted.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact

from sitroom.auth.errors import SignOnRefused
from sitroom.auth.keys import token_digest
from sitroom.auth.signon import SignOn
from sitroom.auth.store import AuthStore, Clock, PendingSignIn, system_clock

SIGN_IN_TTL = timedelta(minutes=10)
"""How long a sign-in may stay at the provider before its state is forgotten."""
JWKS_REFETCHES = 6
"""Fetches of the provider's key set caused by unknown key ids, at most, per minute."""
JWKS_TTL = timedelta(hours=1)
METADATA_TTL = timedelta(hours=1)
LEEWAY = timedelta(seconds=60)
"""Clock difference tolerated between sitroom and the provider."""
MAX_TOKEN_AGE = timedelta(minutes=10)
"""An ID token issued longer ago than this is not taken from the token endpoint."""
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384",
                      "ES512", "EdDSA")  # fmt: skip
"""Asymmetric algorithms only: an HMAC token would be signed with the client secret."""


@dataclass(frozen=True)
class OidcConfig:
    """Where the provider is and who sitroom is to it."""

    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    timeout: float = 10.0


def is_loopback(url: str) -> bool:
    """True if the URL's host is this machine (the one place plain http is allowed)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(name: str, url: str) -> str:
    """Return the URL if it is https (or http on loopback); raise ValueError naming ``name``."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname and is_loopback(url):
        return url
    raise ValueError(
        f"{name}: {url!r} must be an https:// URL (plain http only on this machine's loopback)"
    )


class Provider:
    """The provider's metadata and signing keys, fetched when needed and kept."""

    def __init__(self, config: OidcConfig, *, clock: Clock = system_clock) -> None:
        self.config = config
        self._clock = clock
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._metadata_at: datetime | None = None
        self._keys: KeySet | None = None
        self._keys_at: datetime | None = None
        self._refetches: deque[datetime] = deque()

    def _get(self, url: str, what: str) -> dict[str, Any]:
        try:
            reply = httpx.get(url, timeout=self.config.timeout, follow_redirects=False)
            reply.raise_for_status()
            data = reply.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise SignOnRefused(
                "provider", f"the sign-in provider's {what} could not be read from {url}: {exc}"
            ) from None
        if not isinstance(data, dict):
            raise SignOnRefused("provider", f"the sign-in provider's {what} at {url} is not JSON")
        return data

    def metadata(self) -> dict[str, Any]:
        """The discovery document, checked: its issuer is ours, its endpoints are https."""
        now = self._clock()
        with self._lock:
            if (
                self._metadata is not None
                and self._metadata_at
                and now - self._metadata_at < METADATA_TTL
            ):
                return self._metadata
        url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
        data = self._get(url, "discovery document")
        if data.get("issuer") != self.config.issuer:
            raise SignOnRefused(
                "provider",
                f"the discovery document at {url} names the issuer {data.get('issuer')!r},"
                f" not {self.config.issuer!r}; set SITROOM_OIDC_ISSUER to the provider's own",
            )
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = data.get(key)
            try:
                check_url(key, value if isinstance(value, str) else "")
            except ValueError as exc:
                raise SignOnRefused("provider", f"discovery document at {url}: {exc}") from None
        with self._lock:
            self._metadata, self._metadata_at = data, now
        return data

    def algorithms(self) -> list[str]:
        """The signing algorithms taken: those the provider advertises, asymmetric only."""
        advertised = self.metadata().get("id_token_signing_alg_values_supported") or ["RS256"]
        return [alg for alg in SIGNING_ALGORITHMS if alg in advertised]

    def keys_for(self, kid: str | None) -> KeySet:
        """The key set, fetched again if it lacks ``kid`` (bounded) or is an hour old."""
        now = self._clock()
        with self._lock:
            keys, fetched = self._keys, self._keys_at
            stale = keys is None or fetched is None or now - fetched >= JWKS_TTL
            unknown = keys is not None and kid is not None and not _has_kid(keys, kid)
            if not stale and unknown:
                while self._refetches and now - self._refetches[0] >= timedelta(minutes=1):
                    self._refetches.popleft()
                if len(self._refetches) >= JWKS_REFETCHES:
                    assert keys is not None
                    return keys  # the caller refuses the token: its key is unknown
                self._refetches.append(now)
            elif not stale:
                assert keys is not None
                return keys
        data = self._get(str(self.metadata()["jwks_uri"]), "signing keys")
        try:
            fresh = KeySet.import_key_set(data)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise SignOnRefused(
                "provider", f"the provider's signing keys are unusable: {exc}"
            ) from None
        with self._lock:
            self._keys, self._keys_at = fresh, now
        return fresh


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _has_kid(keys: KeySet, kid: str) -> bool:
    return any(key.kid == kid for key in keys.keys)


class OpenIdConnect:
    """Sends people to the provider and checks who comes back."""

    def __init__(
        self, config: OidcConfig, store: AuthStore, *, clock: Clock = system_clock
    ) -> None:
        check_url("SITROOM_OIDC_ISSUER", config.issuer)
        if not config.client_id:
            raise ValueError("SITROOM_OIDC_CLIENT_ID: the client id the provider gave sitroom")
        if "openid" not in config.scopes:
            raise ValueError("SITROOM_OIDC_SCOPES: must include 'openid'")
        self.config = config
        self.provider = Provider(config, clock=clock)
        self._store = store
        self._clock = clock

    def begin(self, invitation_id: str | None = None) -> tuple[str, str]:
        """Start a sign-in: the provider's URL to send the browser to, and the state.

        The state goes into a cookie of the browser (`finish` compares it with the one that
        comes back); its hash, the nonce and the PKCE verifier are recorded here.
        """
        metadata = self.provider.metadata()
        state = secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(48)
        now = self._clock()
        self._store.add_pending_sign_in(
            PendingSignIn(
                state_hash=token_digest(state),
                nonce=nonce,
                code_verifier=verifier,
                invitation_id=invitation_id,
                created_at=now,
            ),
            now - SIGN_IN_TTL,
        )
        url = prepare_grant_uri(
            metadata["authorization_endpoint"],
            self.config.client_id,
            "code",
            redirect_uri=self.config.redirect_uri,
            scope=" ".join(self.config.scopes),
            state=state,
            nonce=nonce,
            code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256",
        )
        return str(url), state

    def finish(
        self,
        *,
        cookie_state: str | None,
        state: str | None,
        code: str | None,
        error: str | None = None,
    ) -> SignOn:
        """Check a return from the provider and exchange its code; the person it vouched for.

        Raise `SignOnRefused`: ``state`` when the state is missing, not this browser's, used
        or too old; ``cancelled`` when the provider answered with an error; ``token`` when
        the ID token fails a check; ``provider`` when the provider cannot be reached.
        """
        if not state or not cookie_state or not hmac.compare_digest(state, cookie_state):
            raise SignOnRefused(
                "state",
                "this sign-in was not started by this browser (or its cookie is gone);"
                " start again from the sign-in page",
            )
        pending = self._store.take_pending_sign_in(token_digest(state), self._clock() - SIGN_IN_TTL)
        if pending is None:
            raise SignOnRefused(
                "state",
                "this sign-in was used already or took too long; start again from the sign-in page",
            )
        if error:
            raise SignOnRefused("cancelled", f"the sign-in provider answered: {error[:200]}")
        if not code:
            raise SignOnRefused("token", "the sign-in provider sent no authorization code")
        id_token = self._exchange(code, pending.code_verifier)
        claims = self.check_id_token(id_token, pending.nonce)
        return SignOn(
            issuer=str(claims["iss"]),
            subject=str(claims["sub"]),
            claims=claims,
            id_token=id_token,
            invitation_id=pending.invitation_id,
        )

    def _exchange(self, code: str, verifier: str) -> str:
        endpoint = str(self.provider.metadata()["token_endpoint"])
        config = self.config
        fields = {"code": code, "code_verifier": verifier}
        auth: httpx.BasicAuth | None = None
        if config.client_secret:  # client_secret_basic: both parts form-encoded (RFC 6749 2.3.1)
            auth = httpx.BasicAuth(
                quote(config.client_id, safe=""), quote(config.client_secret, safe="")
            )
        else:  # a public client: PKCE alone proves it started the sign-in
            fields["client_id"] = config.client_id
        body = prepare_token_request(
            "authorization_code", redirect_uri=config.redirect_uri, **fields
        )
        try:
            reply = httpx.post(
                endpoint,
                content=body,
                auth=auth,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept": "application/json",
                },
                timeout=config.timeout,
            )
        except httpx.HTTPError as exc:
            raise SignOnRefused(
                "provider", f"the token endpoint {endpoint} failed: {exc}"
            ) from None
        try:
            token = reply.json()
        except ValueError:
            token = None
        if not isinstance(token, dict) or reply.status_code != 200:
            said = (
                token.get("error_description") or token.get("error")
                if isinstance(token, dict)
                else None
            )
            raise SignOnRefused(
                "token",
                f"the sign-in provider refused the authorization code ({reply.status_code}"
                f"{': ' + str(said)[:200] if said else ''})",
            )
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise SignOnRefused("token", "the sign-in provider sent no ID token")
        return id_token

    def check_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims if its signature, issuer, audience, times and nonce hold."""
        try:
            header = extract_compact(id_token.encode()).headers()
        except (JoseError, ValueError) as exc:
            raise SignOnRefused("token", f"the ID token is not a signed token: {exc}") from None
        algorithms = self.provider.algorithms()
        if header.get("alg") not in algorithms:
            raise SignOnRefused(
                "token",
                f"the ID token is signed with {header.get('alg')!r}; the provider advertises"
                f" {', '.join(algorithms) or 'no asymmetric algorithm'}",
            )
        kid = header.get("kid")
        keys = self.provider.keys_for(kid if isinstance(kid, str) else None)
        if isinstance(kid, str) and not _has_kid(keys, kid):
            raise SignOnRefused(
                "token",
                f"the ID token is signed with a key ({kid!r}) the provider does not publish",
            )
        try:
            decoded = jwt.decode(id_token, keys, algorithms=algorithms)
        except (JoseError, ValueError) as exc:
            raise SignOnRefused("token", f"the ID token's signature does not hold: {exc}") from None
        metadata = self.provider.metadata()
        now = self._clock()
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            options={
                "iss": {"essential": True, "value": metadata["issuer"]},
                "aud": {"essential": True, "value": self.config.client_id},
                "nonce": {"essential": True},
            },
            params={"nonce": nonce, "client_id": self.config.client_id},
        )
        try:
            claims.validate(now=int(now.timestamp()), leeway=int(LEEWAY.total_seconds()))
        except ExpiredTokenError:
            raise SignOnRefused("token", "the ID token has expired") from None
        except JoseError as exc:
            raise SignOnRefused("token", f"the ID token does not hold: {exc}") from None
        issued = claims.get("iat")
        if not isinstance(issued, int | float) or issued < (now - MAX_TOKEN_AGE).timestamp():
            raise SignOnRefused("token", "the ID token was issued too long ago")
        return dict(claims)

    def end_session_url(self, id_token: str | None, after: str) -> str | None:
        """The provider's logout URL (RP-initiated logout), if it advertises one."""
        try:
            endpoint = self.provider.metadata().get("end_session_endpoint")
        except SignOnRefused:
            return None
        if not isinstance(endpoint, str):
            return None
        try:
            check_url("end_session_endpoint", endpoint)
        except ValueError:
            return None
        if _origin(endpoint) != _origin(self.config.issuer):
            return None  # the pages' form-action names the issuer's origin only

        query = {"post_logout_redirect_uri": after, "client_id": self.config.client_id}
        if id_token:
            query["id_token_hint"] = id_token
        separator = "&" if "?" in endpoint else "?"
        return f"{endpoint}{separator}{urlencode(query)}"
