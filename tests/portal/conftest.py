"""Fixtures: a stub portal server in a thread, and clients pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from taskform.portal import PortalClient
from tests.support.stub import FAST, TOKEN, StubPortal, serving


@pytest.fixture
def stub() -> Iterator[StubPortal]:
    with serving() as portal:
        yield portal


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
