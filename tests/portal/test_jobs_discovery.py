"""Where the notebook server is, found as Esri's client finds it, and where the token may go."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from taskform.errors import ForeignHostError, PortalError
from taskform.portal.resources.jobs import JobsClient
from taskform.portal.urls import parse_portal_url


class FakePortal:
    """The parts of PortalClient that JobsClient uses, with canned answers."""

    def __init__(self, url: str, answers: Mapping[str, dict[str, Any]]) -> None:
        self.url = parse_portal_url(url)
        self.answers = answers
        self.calls: list[tuple[str, str]] = []

    def get_json(self, url: str) -> dict[str, Any]:
        self.calls.append(("GET", url))
        return self.answers[url.removeprefix(self.url.rest + "/")]

    def call_service(self, method: str, url: str, **kw: Any) -> dict[str, Any]:
        self.calls.append((method, url))
        return {"status": "success", "jobId": "j1", "jobUrl": f"{url}/../jobs/j1"}


def jobs(url: str, answers: Mapping[str, dict[str, Any]]) -> JobsClient:
    return JobsClient(FakePortal(url, answers))  # type: ignore[arg-type]


def test_enterprise_uses_the_notebook_servers_admin_url() -> None:
    client = jobs(
        "https://gis.example.com/portal",
        {
            "portals/self": {"isPortal": True},
            "portals/self/servers": {
                "servers": [
                    {"url": "https://gis.example.com/server", "serverFunction": ""},
                    {
                        "url": "https://nb.example.com/notebookserver",
                        "adminUrl": "https://nb-internal:11443/arcgis",
                        "adminPublicUrl": "https://nb.example.com/notebookserver",
                        "serverFunction": "NotebookServer",
                    },
                    {"url": "http://plain.example.com/server", "serverFunction": ""},
                ]
            },
        },
    )
    assert client.notebook_admin_url() == "https://nb.example.com/notebookserver/admin"
    assert ("https", "nb-internal:11443") in client.trusted()
    assert ("http", "plain.example.com") not in client.trusted()  # no token over plain http
    client.check_reachable_origin("https://gis.example.com/server/rest/services/X/GPServer/Y")
    with pytest.raises(ForeignHostError):
        client.check_reachable_origin("https://elsewhere.example.com/GPServer/Y")
    with pytest.raises(ForeignHostError):
        client.check_reachable_origin("http://plain.example.com/server/GPServer/Y")


def test_arcgis_online_uses_portals_self_urls() -> None:
    client = jobs(
        "https://myorg.maps.arcgis.com",
        {
            "portals/self": {"isPortal": False},
            "portals/self/urls": {
                "urls": {
                    "features": {"https": ["services1.arcgis.com"]},
                    "notebooks": {"https": ["notebooks.arcgis.com"]},
                }
            },
        },
    )
    assert client.notebook_admin_url() == "https://notebooks.arcgis.com/admin"
    assert ("https", "services1.arcgis.com") in client.trusted()


def test_no_notebook_server_is_a_clear_error() -> None:
    client = jobs(
        "https://gis.example.com/portal",
        {"portals/self": {}, "portals/self/servers": {"servers": []}},
    )
    with pytest.raises(PortalError, match="lists no ArcGIS Notebook Server"):
        client.notebook_admin_url()
