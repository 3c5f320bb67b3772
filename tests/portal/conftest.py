"""Fixtures: a stub portal server in a thread, and clients pointed at it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from taskform.portal import PortalClient
from tests.support.stub import FAST, TOKEN, StubPortal


@pytest.fixture
def stub() -> Iterator[StubPortal]:
    portal = StubPortal()
    portal.route("GET", "portals/self", {"user": {"username": "jo"}, "id": "org"})
    server = make_server("127.0.0.1", 0, portal, threaded=True)
    portal.url = f"http://127.0.0.1:{server.port}"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield portal
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def client(stub: StubPortal) -> Iterator[PortalClient]:
    with PortalClient(stub.url, token=TOKEN, retry=FAST) as c:
        yield c


MakeClient = Callable[..., PortalClient]


@pytest.fixture
def make_client(stub: StubPortal) -> Iterator[MakeClient]:
    made: list[PortalClient] = []

    def make(**kw: Any) -> PortalClient:
        kw.setdefault("retry", FAST)
        if not {"token", "api_key", "username", "password"} & kw.keys():
            kw["token"] = TOKEN
        c = PortalClient(stub.url, **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()
