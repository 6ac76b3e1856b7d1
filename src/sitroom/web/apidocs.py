"""The API documentation page, ``/docs``: Swagger UI from the vendored copy, nothing from a CDN.

FastAPI's own page loads Swagger UI from a CDN, which an air-gapped network cannot reach; this
one serves ``static/vendor/swagger-ui``. Its one inline script (the call that starts Swagger UI)
is allowed by its hash, not by ``'unsafe-inline'``; Swagger UI sets inline styles as it draws,
so styles are the one thing this page's policy relaxes. ReDoc is not offered.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

router = APIRouter()

ASSETS = "/static/vendor/swagger-ui"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def docs_policy(html: str) -> str:
    """The page's Content-Security-Policy: its inline scripts by hash, styles relaxed."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    )


@router.get("/docs", include_in_schema=False)
async def docs(request: Request) -> HTMLResponse:
    """Swagger UI over this server's OpenAPI document."""
    page = get_swagger_ui_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} — API",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        oauth2_redirect_url=None,
        # Swagger UI would send the document to an online validator; nothing leaves the site.
        swagger_ui_parameters={"validatorUrl": None},
    )
    html = bytes(page.body).decode()
    page.headers["Content-Security-Policy"] = docs_policy(html)
    return page
