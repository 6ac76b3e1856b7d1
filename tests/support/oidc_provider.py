"""An OpenID Connect provider for the tests, run as a process of its own on 127.0.0.1.

It is a real provider over HTTP, put together from authlib's and joserfc's parts (PKCE
challenges, JWK keys, JWT signing): discovery, a login form for people (username and
password), the authorization code flow with PKCE required (S256), codes good once, client
authentication (client_secret_basic, or none for a public client), ID tokens signed with
RS256 under a key id, a JWKS endpoint, and RP-initiated logout.

Tests steer it through ``/control/…`` (never part of a real provider): rotate its signing key,
have the next ID token go wrong in one way (another issuer, audience or nonce, expired,
signed with a key it does not publish), add users, and read what it saw (key set fetches,
logouts). Usage: ``python -m tests.support.oidc_provider --port N --config FILE.json``.
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import secrets
import time
from typing import Any
from urllib.parse import unquote, urlencode

import uvicorn
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route


class ProviderState:
    """Everything the provider knows; one process, one state."""

    def __init__(self, config: dict[str, Any], base: str) -> None:
        self.base = base
        self.users: dict[str, dict[str, Any]] = dict(config.get("users", {}))
        self.clients: dict[str, dict[str, Any]] = dict(config.get("clients", {}))
        self.token_seconds = int(config.get("token_seconds", 300))
        self.keys: list[RSAKey] = [self.new_key()]
        self.published: list[RSAKey] = list(self.keys)
        self.codes: dict[str, dict[str, Any]] = {}
        self.tamper: dict[str, Any] = {}
        self.jwks_fetches = 0
        self.logouts: list[dict[str, Any]] = []

    @staticmethod
    def new_key() -> RSAKey:
        return RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(6), "use": "sig"})

    @property
    def signing_key(self) -> RSAKey:
        return self.keys[-1]


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title></head>"
        f"<body><h1>{title}</h1>{body}</body></html>",
        status_code=status,
    )


def build_app(state: ProviderState) -> Starlette:
    async def discovery(request: Request) -> Response:
        base = state.base
        return JSONResponse(
            {
                "issuer": base,
                "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token",
                "jwks_uri": f"{base}/jwks",
                "end_session_endpoint": f"{base}/end_session",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "none"],
                "scopes_supported": ["openid", "email", "profile", "groups"],
            }
        )

    async def jwks(request: Request) -> Response:
        state.jwks_fetches += 1
        return JSONResponse(KeySet(list(state.published)).as_dict(private=False))

    def _check_request(params: dict[str, str]) -> str | None:
        client = state.clients.get(params.get("client_id", ""))
        if client is None:
            return "unknown client_id"
        if params.get("redirect_uri") not in client["redirect_uris"]:
            return "redirect_uri is not registered for this client"
        if params.get("response_type") != "code":
            return "only response_type=code is supported"
        if "openid" not in params.get("scope", "").split():
            return "scope must include openid"
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return "PKCE is required: code_challenge with code_challenge_method=S256"
        return None

    def _form(params: dict[str, str], error: str = "") -> HTMLResponse:
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in params.items()
            if k not in ("username", "password", "action")
        )
        notice = f'<p role="alert">{html.escape(error)}</p>' if error else ""
        return _page(
            "Provider sign-in",
            f'{notice}<form method="post" action="/authorize">{hidden}'
            '<label for="username">Username</label><input id="username" name="username">'
            '<label for="password">Password</label>'
            '<input id="password" name="password" type="password">'
            '<button type="submit" name="action" value="login">Sign in</button>'
            '<button type="submit" name="action" value="cancel">Cancel</button></form>',
        )

    async def authorize(request: Request) -> Response:
        if request.method == "GET":
            params = dict(request.query_params)
        else:
            params = {k: str(v) for k, v in (await request.form()).items()}
        problem = _check_request(params)
        if problem:
            return _page("Bad request", f"<p>{html.escape(problem)}</p>", 400)
        if request.method == "GET":
            return _form(params)
        redirect = params["redirect_uri"]
        if params.get("action") == "cancel":
            query = urlencode({"error": "access_denied", "state": params.get("state", "")})
            return RedirectResponse(f"{redirect}?{query}", status_code=303)
        user = state.users.get(params.get("username", ""))
        if user is None or user.get("password") != params.get("password"):
            return _form(params, "Wrong username or password.")
        code = secrets.token_urlsafe(24)
        state.codes[code] = {
            "client_id": params["client_id"],
            "redirect_uri": redirect,
            "nonce": params.get("nonce"),
            "challenge": params["code_challenge"],
            "user": params["username"],
            "used": False,
            "at": time.time(),
        }
        query = urlencode({"code": code, "state": params.get("state", "")})
        return RedirectResponse(f"{redirect}?{query}", status_code=303)

    def _client_of(request: Request, form: dict[str, str]) -> str | None:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            raw = base64.b64decode(header[6:]).decode()
            client_id, _, secret = raw.partition(":")
            client_id, secret = unquote(client_id), unquote(secret)
            client = state.clients.get(client_id)
            if client is None or not secrets.compare_digest(client.get("secret") or "", secret):
                return None
            return client_id
        client_id = form.get("client_id", "")
        client = state.clients.get(client_id)
        if client is None or client.get("secret"):  # a confidential client must authenticate
            return None
        return client_id

    def _error(error: str, description: str, status: int = 400) -> JSONResponse:
        return JSONResponse({"error": error, "error_description": description}, status)

    async def token(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        client_id = _client_of(request, form)
        if client_id is None:
            return _error("invalid_client", "client authentication failed", 401)
        if form.get("grant_type") != "authorization_code":
            return _error("unsupported_grant_type", "only authorization_code")
        grant = state.codes.get(form.get("code", ""))
        if grant is None or grant["used"] or grant["client_id"] != client_id:
            return _error("invalid_grant", "unknown or used code")
        grant["used"] = True
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return _error("invalid_grant", "redirect_uri differs")
        verifier = form.get("code_verifier", "")
        if not verifier or create_s256_code_challenge(verifier) != grant["challenge"]:
            return _error("invalid_grant", "PKCE verification failed")
        user = state.users[grant["user"]]
        now = int(time.time())
        tamper, state.tamper = state.tamper, {}
        claims: dict[str, Any] = {
            "iss": tamper.get("iss", state.base),
            "sub": user["sub"],
            "aud": tamper.get("aud", client_id),
            "iat": now + int(tamper.get("iat_offset", 0)),
            "exp": now + int(tamper.get("exp_offset", state.token_seconds)),
            "auth_time": now,
            **{k: v for k, v in user.items() if k not in ("password", "sub")},
        }
        if grant["nonce"] is not None or "nonce" in tamper:
            claims["nonce"] = tamper.get("nonce", grant["nonce"])
        key = state.new_key() if tamper.get("foreign_key") else state.signing_key
        header = {"alg": "RS256", "kid": tamper.get("kid", key.kid), "typ": "JWT"}
        id_token = jwt.encode(header, claims, key)
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(24),
                "token_type": "Bearer",
                "expires_in": state.token_seconds,
                "id_token": id_token,
                "scope": "openid",
            },
            headers={"Cache-Control": "no-store"},
        )

    async def end_session(request: Request) -> Response:
        params = dict(request.query_params)
        hint = params.get("id_token_hint", "")
        try:
            claims = jwt.decode(hint, KeySet(list(state.published)), algorithms=["RS256"]).claims
        except (JoseError, ValueError):
            return _page("Bad request", "<p>id_token_hint is not one of ours</p>", 400)
        client = state.clients.get(str(claims.get("aud")), {})
        after = params.get("post_logout_redirect_uri")
        if after is not None and after not in client.get("post_logout_redirect_uris", []):
            return _page("Bad request", "<p>post_logout_redirect_uri not registered</p>", 400)
        state.logouts.append({"sub": claims.get("sub"), "after": after})
        if after:
            return RedirectResponse(after, status_code=303)
        return _page("Signed out", "<p>You are signed out at the provider.</p>")

    async def rotate(request: Request) -> Response:
        body = await request.json() if await request.body() else {}
        key = state.new_key()
        state.keys.append(key)
        state.published = [key] if body.get("drop_old") else [*state.published, key]
        return JSONResponse({"kid": key.kid})

    async def set_tamper(request: Request) -> Response:
        state.tamper = await request.json()
        return JSONResponse(state.tamper)

    async def put_user(request: Request) -> Response:
        state.users[request.path_params["username"]] = await request.json()
        return Response(status_code=204)

    async def put_client(request: Request) -> Response:
        state.clients[request.path_params["client_id"]] = await request.json()
        return Response(status_code=204)

    async def stats(request: Request) -> Response:
        return JSONResponse(
            {
                "jwks_fetches": state.jwks_fetches,
                "logouts": state.logouts,
                "kids": [key.kid for key in state.published],
            }
        )

    return Starlette(
        routes=[
            Route("/.well-known/openid-configuration", discovery),
            Route("/jwks", jwks),
            Route("/authorize", authorize, methods=["GET", "POST"]),
            Route("/token", token, methods=["POST"]),
            Route("/end_session", end_session),
            Route("/control/rotate", rotate, methods=["POST"]),
            Route("/control/tamper", set_tamper, methods=["POST"]),
            Route("/control/users/{username}", put_user, methods=["PUT"]),
            Route("/control/clients/{client_id}", put_client, methods=["PUT"]),
            Route("/control/stats", stats),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--config", required=True)
    args = parser.parse_args()
    with open(args.config) as handle:
        config = json.load(handle)
    state = ProviderState(config, f"http://127.0.0.1:{args.port}")
    uvicorn.run(build_app(state), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
