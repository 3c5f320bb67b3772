"""Portal URL handling, the retry policy, credentials and their secrecy (no network)."""

from __future__ import annotations

import email.utils
from typing import Any

import pytest

from taskform import redact
from taskform.errors import AuthError, PortalError
from taskform.portal import PortalClient, RetryPolicy
from taskform.portal.auth.credentials import PasswordSignIn, Secret, StaticToken
from taskform.portal.transport.retry import parse_retry_after
from taskform.portal.urls import InsecureURLError, is_loopback, parse_portal_url


@pytest.mark.parametrize(
    ("typed", "portal", "rest"),
    [
        (
            "https://myorg.maps.arcgis.com",
            "https://myorg.maps.arcgis.com",
            "https://myorg.maps.arcgis.com/sharing/rest",
        ),
        (
            "https://gis.example.com/portal/",
            "https://gis.example.com/portal",
            "https://gis.example.com/portal/sharing/rest",
        ),
        (
            "https://gis.example.com/portal/sharing/rest/",
            "https://gis.example.com/portal",
            "https://gis.example.com/portal/sharing/rest",
        ),
        (
            "https://gis.example.com/portal/sharing",
            "https://gis.example.com/portal",
            "https://gis.example.com/portal/sharing/rest",
        ),
        (
            "gis.example.com/portal",
            "https://gis.example.com/portal",
            "https://gis.example.com/portal/sharing/rest",
        ),
        (
            "HTTPS://GIS.Example.com:7443/arcgis",
            "https://gis.example.com:7443/arcgis",
            "https://gis.example.com:7443/arcgis/sharing/rest",
        ),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080", "http://127.0.0.1:8080/sharing/rest"),
        ("http://localhost:1/p", "http://localhost:1/p", "http://localhost:1/p/sharing/rest"),
        ("http://[::1]:9", "http://[::1]:9", "http://[::1]:9/sharing/rest"),
    ],
)
def test_rest_root_from_the_typed_url(typed: str, portal: str, rest: str) -> None:
    url = parse_portal_url(typed)
    assert (url.portal, url.rest) == (portal, rest)


@pytest.mark.parametrize(
    "host",
    [
        "gis.example.com",
        "10.0.0.1",
        "128.0.0.1",
        "localhost.example.com",
        "app.localhost",
        "localhost.localdomain",
        "0.0.0.0",
    ],
)
def test_plain_http_is_refused_unless_loopback(host: str) -> None:
    with pytest.raises(InsecureURLError, match=f"refusing plain http:// for {host}.*https://"):
        parse_portal_url(f"http://{host}/portal")
    with pytest.raises(AuthError):
        PortalClient(f"http://{host}", token="x" * 10)


def test_loopback_hosts() -> None:
    loopback = ("127.0.0.1", "127.9.8.7", "127.255.255.254", "localhost", "LOCALHOST", "::1")
    assert all(is_loopback(h) for h in (*loopback, "[::1]", "localhost.", "0:0:0:0:0:0:0:1"))
    # Only 127.0.0.0/8, localhost and ::1 (the contract): not *.localhost, which a resolver
    # may send anywhere, nor other local-looking names and addresses.
    others = ("10.0.0.1", "::2", "example.com", "0.0.0.0", "app.localhost", "a.b.localhost")
    assert not any(is_loopback(h) for h in (*others, "localhost.localdomain", "128.0.0.1"))


@pytest.mark.parametrize("bad", ["", "ftp://x.example.com", "https://", "https://h/p?token=abc"])
def test_unusable_urls(bad: str) -> None:
    with pytest.raises(PortalError):
        parse_portal_url(bad)


def test_credentials_in_the_url_are_refused_without_echoing_them() -> None:
    with pytest.raises(AuthError) as info:
        parse_portal_url("https://jo:hunter2secret@gis.example.com")
    assert "hunter2secret" not in str(info.value)


def test_backoff_is_exponential_capped_and_jittered() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_max=8.0, jitter=False)
    assert [policy.backoff(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    jittered = RetryPolicy(backoff_base=0.5, backoff_max=8.0)
    values = [jittered.backoff(4) for _ in range(200)]
    assert all(0 <= v <= 4.0 for v in values) and len(set(values)) > 100


def test_attempts_are_bounded_in_count_and_time() -> None:
    now = [0.0]
    attempts = RetryPolicy(max_attempts=3, jitter=False, max_total=10.0).start(clock=lambda: now[0])
    attempts.begin()
    assert attempts.next_delay() == 0.5
    attempts.begin()
    assert attempts.next_delay(retry_after=3.0) == 3.0  # Retry-After wins when longer
    attempts.begin()
    assert attempts.next_delay() is None  # third attempt was the last
    timed = RetryPolicy(max_attempts=10, jitter=False, max_total=10.0).start(clock=lambda: now[0])
    timed.begin()
    now[0] = 9.8
    assert timed.next_delay() is None  # the wait would end past max_total
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


def test_retry_after_parsing() -> None:
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    date = email.utils.formatdate(1000.0 + 30, usegmt=True)
    assert parse_retry_after(date, now=lambda: 1000.0) == pytest.approx(30.0)


def test_from_env_order_and_missing_credentials() -> None:
    url = "http://127.0.0.1:1"
    both = {"ARCGIS_TOKEN": "t" * 8, "ARCGIS_API_KEY": "k" * 8}
    assert "token (ARCGIS_TOKEN)" in repr(PortalClient.from_env(url, env=both))
    assert "API key" in repr(PortalClient.from_env(url, env={"ARCGIS_API_KEY": "k" * 8}))
    pw = PortalClient.from_env(url, env={"ARCGIS_USERNAME": "jo", "ARCGIS_PASSWORD": "pw-secret"})
    assert "'jo'" in repr(pw) and "pw-secret" not in repr(pw)
    with pytest.raises(
        AuthError, match=r"ARCGIS_TOKEN.*ARCGIS_API_KEY.*ARCGIS_USERNAME and ARCGIS_PASSWORD"
    ):
        PortalClient.from_env(url, env={})
    with pytest.raises(AuthError, match="ARCGIS_PASSWORD is not set"):
        PortalClient.from_env(url, env={"ARCGIS_USERNAME": "jo"})
    with pytest.raises(AuthError, match="only one kind"):
        PortalClient(url, token="t" * 8, password="p" * 8, username="jo")


def test_secrets_never_show_in_reprs() -> None:
    secret = Secret("very-secret-value")
    assert "very-secret-value" not in repr(secret) + str(secret) + f"{secret}"
    token = StaticToken("tok-very-secret")
    assert "tok-very-secret" not in repr(token) + repr(vars(token))
    login = PasswordSignIn("jo", "pw-very-secret", referer="https://x")
    assert "pw-very-secret" not in repr(login) + repr(vars(login))
    client = PortalClient("http://127.0.0.1:1", username="jo", password="pw-very-secret")
    everything: list[Any] = [client, vars(client), client._http, vars(client._http)]
    assert "pw-very-secret" not in repr(everything)


def test_scrub_replaces_plain_and_url_encoded_secrets() -> None:
    redact.register("p@ss w0rd!")
    text = "a p@ss w0rd! b p%40ss+w0rd%21 c p%40ss%20w0rd%21"
    assert redact.scrub(text) == "a *** b *** c ***"
    redact.register("abc")
    assert redact.scrub("short abc") == "short abc"  # too short to be a real secret


def test_credentials_register_their_secrets_as_they_arrive() -> None:
    StaticToken("tok-registered-1")
    answers = iter(["gen-registered-1", "gen-registered-2"])
    login = PasswordSignIn(
        "jo",
        "pw-registered-1",
        referer="https://x",
        generate=lambda form: {"token": next(answers)},
    )
    assert redact.scrub("tok-registered-1 pw-registered-1") == "*** ***"
    assert redact.scrub("gen-registered-1") == "gen-registered-1"  # not issued yet
    first = login.token()
    assert login.renew(first, "GET portals/self") == "gen-registered-2"
    assert redact.scrub("gen-registered-1 gen-registered-2") == "*** ***"
    assert set(login.secrets()) == {"pw-registered-1", "gen-registered-1", "gen-registered-2"}


def test_a_password_equal_to_the_user_name_is_not_registered() -> None:
    PasswordSignIn("same-as-user", "same-as-user", referer="https://x")
    assert redact.scrub("community/users/same-as-user") == "community/users/same-as-user"


def test_missing_ca_bundle_is_reported() -> None:
    with pytest.raises(PortalError, match="CA bundle"):
        PortalClient("https://gis.example.com", token="t" * 8, verify="/nonexistent/ca.pem")
