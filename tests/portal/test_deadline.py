"""The total deadline of one request, against a real loopback server that drips its answer."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from taskform.errors import TransientError
from taskform.portal.transport.http import Transport
from taskform.portal.transport.retry import RetryPolicy
from tests.support.hostile import HostilePortal
from tests.support.stub import StubPortal

ONCE = RetryPolicy(max_attempts=1)


@pytest.fixture
def hostile(stub: StubPortal) -> Iterator[HostilePortal]:
    with HostilePortal(stub.url) as portal:
        yield portal


def _transport(url: str, timeout: float) -> Transport:
    return Transport(
        f"{url}/sharing/rest", credentials=None, referer=url, timeout=timeout, retry=ONCE
    )


@pytest.mark.parametrize("headers", [False, True], ids=["body", "headers"])
def test_a_drip_is_cut_at_the_deadline(hostile: HostilePortal, headers: bool) -> None:
    hostile.rule("drip", "portals/self", interval=0.2, headers=headers)
    transport = _transport(hostile.url, timeout=1.0)
    started = time.monotonic()
    with pytest.raises(TransientError, match="no complete answer within 1s"):
        transport.call("GET", "portals/self", params={"f": "json"}, authenticated=False)
    assert 0.9 < time.monotonic() - started < 3
    transport.close()


def test_the_connection_is_usable_again_after_a_cut(hostile: HostilePortal) -> None:
    transport = _transport(hostile.url, timeout=1.0)
    hostile.rule("drip", "portals/self", interval=0.2)
    with pytest.raises(TransientError):
        transport.call("GET", "portals/self", params={"f": "json"}, authenticated=False)
    hostile.clear()
    body = transport.call("GET", "portals/self", params={"f": "json"}, authenticated=False)
    assert body["user"]["username"] == "jo"
    transport.close()


def test_a_drip_through_an_http_proxy_is_cut_too(hostile: HostilePortal) -> None:
    hostile.rule("drip", "portals/self", interval=0.2)
    transport = _transport("http://127.0.0.1:9", timeout=1.0)  # reached only via the proxy
    transport.session.proxies = {"http": hostile.url}
    transport.session.trust_env = False
    started = time.monotonic()
    with pytest.raises(TransientError, match="no complete answer within 1s"):
        transport.call("GET", "portals/self", params={"f": "json"}, authenticated=False)
    assert time.monotonic() - started < 3
    transport.close()
