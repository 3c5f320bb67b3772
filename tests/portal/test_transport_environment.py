"""What the environment says about requests (proxies, CA bundle, ~/.netrc), honoured as
requests' ``trust_env`` would, though taskform reads it once per host (against real loopback
servers: a proxy, a TLS server with a self-signed certificate)."""

from __future__ import annotations

import base64
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from taskform.errors import PortalError
from taskform.portal.transport.http import Transport
from taskform.portal.transport.retry import RetryPolicy
from tests.support.hostile import HostilePortal
from tests.support.stub import StubPortal, serving
from tests.support.tls import self_signed

ONCE = RetryPolicy(max_attempts=1)
# Nothing listens at port 9: these hosts are reached only through a proxy. The proxy and the
# stub it forwards to are on 127.0.0.1, which NO_PROXY exempts (else the proxy's own requests
# would go to itself).
NOBODY = "http://localhost:9"
ELSEWHERE = "http://127.0.0.2:9"
ENVIRONMENT = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENVIRONMENT + tuple(n.lower() for n in ENVIRONMENT) + ("CURL_CA_BUNDLE",):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


@pytest.fixture
def proxy(stub: StubPortal) -> Iterator[HostilePortal]:
    with HostilePortal(stub.url) as portal:  # forwards what it is asked as a proxy
        yield portal


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_stub(cert: tuple[Path, Path]) -> Iterator[StubPortal]:
    with serving((str(cert[0]), str(cert[1]))) as portal:
        yield portal


def _self(url: str, verify: bool | str = True) -> dict[str, object]:
    transport = Transport(
        f"{url}/sharing/rest", credentials=None, referer=url, timeout=5, retry=ONCE, verify=verify
    )
    try:
        return transport.call("GET", "portals/self", params={"f": "json"}, authenticated=False)
    finally:
        transport.close()


def test_the_proxy_the_environment_names_is_used(
    proxy: HostilePortal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    assert _self(NOBODY)["id"] == "org"
    assert proxy.count("GET /sharing/rest/portals/self") == 1


def test_no_proxy_exempts_the_host(proxy: HostilePortal, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with pytest.raises(PortalError, match="could not reach the portal"):
        _self(NOBODY)
    assert proxy.count("portals/self") == 0


def test_the_environment_is_read_once_per_host(
    proxy: HostilePortal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    transport = Transport(f"{NOBODY}/sharing/rest", credentials=None, referer=NOBODY, retry=ONCE)
    self_params = {"f": "json"}
    transport.call("GET", "portals/self", params=self_params, authenticated=False)
    monkeypatch.delenv("HTTP_PROXY")
    transport.call("GET", "portals/self", params=self_params, authenticated=False)
    assert proxy.count("portals/self") == 2  # the proxy read at the first request still holds
    with pytest.raises(PortalError, match="could not reach the portal"):  # another host: read anew
        transport.call_url(
            "GET", f"{ELSEWHERE}/sharing/rest/portals/self", name="self", authenticated=False
        )
    assert proxy.count("portals/self") == 2
    transport.close()


def test_requests_ca_bundle_is_trusted_when_no_bundle_is_given(
    tls_stub: StubPortal, cert: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(PortalError, match="certificate verification failed"):
        _self(tls_stub.url)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert[0]))
    assert _self(tls_stub.url)["id"] == "org"


def test_a_given_bundle_wins_over_the_environment(
    tls_stub: StubPortal, cert: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other, _ = self_signed(tmp_path)  # trusts some other certificate, not the server's
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other))
    assert _self(tls_stub.url, verify=str(cert[0]))["id"] == "org"
    with pytest.raises(PortalError, match="certificate verification failed"):
        _self(tls_stub.url)


def test_the_hosts_netrc_login_is_sent(
    stub: StubPortal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login ada password lovelace\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    _self(stub.url)
    expected = "Basic " + base64.b64encode(b"ada:lovelace").decode()
    assert stub.calls("GET", "portals/self")[-1].headers.get("Authorization") == expected


def test_a_proxy_that_refuses_is_named_without_its_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxyuser:pr0xy-pass@127.0.0.1:9")
    with pytest.raises(PortalError) as info:
        _self(NOBODY)
    text = str(info.value)
    assert "could not connect to the proxy that HTTP_PROXY/HTTPS_PROXY name" in text
    assert "pr0xy-pass" not in text and "proxyuser" not in text


@pytest.fixture
def demanding_proxy() -> Iterator[tuple[str, list[bytes]]]:
    """A loopback proxy that answers every request (a CONNECT included) with 407; its URL and
    the requests it was sent."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()
    seen: list[bytes] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                seen.append(conn.recv(65536))
                conn.sendall(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                    b'Proxy-Authenticate: Basic realm="\x1b[31mcorp"\r\nContent-Length: 0\r\n\r\n'
                )

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://proxyuser:pr0xy-pass@127.0.0.1:{server.getsockname()[1]}", seen
    finally:
        stop.set()
        thread.join(5)
        server.close()


def test_a_proxy_that_wants_credentials_says_so(
    demanding_proxy: tuple[str, list[bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, seen = demanding_proxy
    monkeypatch.setenv("HTTPS_PROXY", url)
    portal = "https://localhost:9"  # through the proxy's tunnel, which it refuses
    retry = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.02)
    transport = Transport(f"{portal}/sharing/rest", credentials=None, referer=portal, retry=retry)
    with pytest.raises(PortalError) as info:
        transport.call("GET", "portals/self", params={"f": "json"}, authenticated=False)
    transport.close()
    text = str(info.value)
    assert "the proxy refused a tunnel to the portal (HTTP 407: it wants a user name" in text
    assert "pr0xy-pass" not in text and "\x1b" not in text
    assert len(seen) == 1 and seen[0].startswith(b"CONNECT localhost:9 ")  # not retried
