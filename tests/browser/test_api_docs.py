"""The API documentation page works on an air-gapped network: Swagger UI comes from the site
itself, under the page's own policy, and the browser asks nothing of any other host."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Site


def test_the_api_documentation_loads_from_the_site_alone(site: Site, new_page: Any) -> None:
    page = new_page()
    elsewhere: list[str] = []

    def note(request: Any) -> None:
        if not request.url.startswith((site.base, "data:")):
            elsewhere.append(request.url)

    page.on("request", note)
    page.goto(f"{site.base}/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "sitroom" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-summary-path[data-path='/api/health']")
    assert elsewhere == []
