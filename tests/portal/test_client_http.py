"""The client against a stub server: auth header, error envelopes, odd bodies, retries, logs."""

from __future__ import annotations

import json
import logging
import socket
import time
from typing import NoReturn
from urllib.parse import quote_plus

import pytest
import requests
from werkzeug.wrappers import Response

from taskform.errors import (
    AuthError,
    BadResponse,
    NotFound,
    PermissionDenied,
    PortalError,
    TransientError,
)
from taskform.portal import PortalClient, RetryPolicy
from tests.portal.conftest import MakeClient
from tests.support.stub import DROP, TOKEN, StubPortal, json_error, task_json, task_list

LIST = "community/users/jo/tasks"
HTML = Response(
    "<html><body><h1>502 Bad Gateway</h1></body></html>", status=502, mimetype="text/html"
)


def test_token_only_in_the_header(stub: StubPortal, client: PortalClient) -> None:
    stub.route("GET", LIST, task_list([task_json("a" * 32)]))
    client.list_tasks(["jo"])
    (seen,) = stub.calls("GET", LIST)
    assert seen.headers["X-Esri-Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in seen.raw_url and not seen.form
    assert "token" not in seen.args
    assert seen.args == {
        "f": "json",
        "num": "100",
        "start": "1",
        "sortField": "created",
        "sortOrder": "asc",
    }


def test_html_error_page_is_a_bad_response_naming_the_request(
    stub: StubPortal, client: PortalClient
) -> None:
    stub.route("GET", LIST, HTML)
    with pytest.raises(BadResponse) as info:
        client.list_tasks(["jo"])
    assert str(info.value) == f"GET {LIST}: the portal answered with HTML, not JSON (HTTP 502)"
    assert isinstance(info.value, TransientError)  # a 502 may pass: it was retried
    assert len(stub.calls("GET", LIST)) == 4


def test_html_with_200_is_not_retried(stub: StubPortal, client: PortalClient) -> None:
    stub.route(
        "GET", "portals/self", Response("<!doctype html><p>Sign in</p>", mimetype="text/html")
    )
    with pytest.raises(
        BadResponse, match=r"GET portals/self: the portal answered with HTML, not JSON \(HTTP 200\)"
    ):
        client.signed_in_user()
    assert len(stub.calls("GET", "portals/self")) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"total": 3, "tasks": [{"id": "a"', "truncated or invalid JSON"),
        ("", "an empty body"),
        ("[1, 2]", "JSON a list where an object was expected"),
        ('{"total": 1}', "no 'tasks' list"),
        ('{"total": 1, "tasks": [{"title": "no id"}]}', "unexpected answer: a task has no 'id'"),
        ('{"total": "x", "nextStart": 5, "tasks": []}', "no 'total'"),
    ],
)
def test_malformed_answers(stub: StubPortal, client: PortalClient, body: str, message: str) -> None:
    stub.route("GET", LIST, Response(body, mimetype="application/json"))
    with pytest.raises(BadResponse, match=message) as info:
        client.list_tasks(["jo"])
    assert str(info.value).startswith(f"GET {LIST}: ")


def test_502_then_success_is_retried_and_logged(
    stub: StubPortal, client: PortalClient, caplog: pytest.LogCaptureFixture
) -> None:
    stub.on("GET", LIST, HTML)
    stub.route("GET", LIST, task_list([task_json("a" * 32)]))
    with caplog.at_level(logging.INFO, logger="taskform.http"):
        assert [t.id for t in client.list_tasks(["jo"])["jo"]] == ["a" * 32]
    assert len(stub.calls("GET", LIST)) == 2
    assert f"retrying GET {LIST} after HTTP 502 (attempt 2/4, waiting" in caplog.text


def test_429_with_retry_after_is_honoured(stub: StubPortal, client: PortalClient) -> None:
    limited = Response(
        '{"error": {"code": 429, "message": "slow down"}}',
        status=429,
        headers={"Retry-After": "0.3"},
    )
    stub.on("GET", "portals/self", limited)
    started = time.monotonic()
    assert client.signed_in_user() == "jo"
    assert time.monotonic() - started >= 0.3
    assert len(stub.calls("GET", "portals/self")) == 2


def test_retries_stop_after_max_total(stub: StubPortal, make_client: MakeClient) -> None:
    stub.route("GET", "portals/self", Response("busy", status=503, headers={"Retry-After": "5"}))
    client = make_client(retry=RetryPolicy(max_attempts=10, backoff_base=0.01, max_total=1.0))
    started = time.monotonic()
    with pytest.raises(TransientError):
        client.signed_in_user()
    assert time.monotonic() - started < 1.0
    assert len(stub.calls()) == 1  # waiting 5 s would pass the 1 s budget: give up at once


@pytest.mark.parametrize(
    ("code", "error", "text"),
    [
        (403, PermissionDenied, "not allowed to manage the tasks of 'jo'"),
        (404, NotFound, "gone"),
        (400, PortalError, "bad field (minute is wrong; use 0-59) [code 400]"),
        (499, AuthError, "Token Required"),
    ],
)
def test_error_envelopes_become_typed_errors(
    stub: StubPortal, client: PortalClient, code: int, error: type[PortalError], text: str
) -> None:
    messages = {
        403: "You do not have permissions",
        404: "gone",
        400: "bad field",
        499: "Token Required",
    }
    stub.route(
        "GET",
        LIST,
        json_error(code, messages[code], ["minute is wrong; use 0-59"] if code == 400 else []),
    )
    with pytest.raises(error) as info:
        client.list_tasks(["jo"])
    assert text in str(info.value)
    assert type(info.value) is error
    assert len(stub.calls("GET", LIST)) == 1  # not retried


def test_403_outside_a_users_tasks(stub: StubPortal, client: PortalClient) -> None:
    stub.route("GET", "community/users/al", json_error(403, "You do not have permissions."))
    with pytest.raises(PermissionDenied, match=r"GET community/users/al: not allowed: You do"):
        client.user_info("al")


def test_500_in_the_body_is_retried(stub: StubPortal, client: PortalClient) -> None:
    stub.on("GET", LIST, json_error(500, "oops"))
    stub.route("GET", LIST, task_list([]))
    assert client.list_tasks(["jo"]) == {"jo": []}
    with pytest.raises(TransientError, match=r"oops \[code 500\]"):
        stub.route("GET", LIST, json_error(500, "oops"))
        client.list_tasks(["jo"])


def test_expired_fixed_token_says_so(stub: StubPortal, client: PortalClient) -> None:
    stub.route("GET", "portals/self", json_error(498, "Invalid token."))
    with pytest.raises(
        AuthError, match=r"refused the token \(ARCGIS_TOKEN\) as invalid or expired"
    ):
        client.signed_in_user()
    assert len(stub.calls()) == 1


def test_password_sign_in_and_renewal_on_498(
    stub: StubPortal, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    issued = iter(["gen-token-1", "gen-token-2", "gen-token-3"])
    stub.route(
        "POST",
        "generateToken",
        lambda r: {"token": next(issued), "expires": 4102444800000, "ssl": True},
    )
    stub.on("GET", "portals/self", json_error(498, "Invalid token."))
    client = make_client(username="jo", password="pw-Secret-99")
    with caplog.at_level(logging.DEBUG):
        assert client.signed_in_user() == "jo"
    gen = stub.calls("POST", "generateToken")
    assert len(gen) == 2
    assert gen[0].form == {
        "username": "jo",
        "password": "pw-Secret-99",
        "client": "referer",
        "referer": stub.url,
        "expiration": "60",
        "f": "json",
    }
    assert "pw-Secret-99" not in gen[0].raw_url
    tokens = [c.headers.get("X-Esri-Authorization") for c in stub.calls("GET", "portals/self")]
    assert tokens == ["Bearer gen-token-1", "Bearer gen-token-2"]
    assert "signing in again" in caplog.text
    for secret in ("pw-Secret-99", "gen-token-1", "gen-token-2"):
        assert secret not in caplog.text


def test_498_twice_after_renewal_is_an_auth_error(
    stub: StubPortal, make_client: MakeClient
) -> None:
    stub.route("POST", "generateToken", {"token": "gen-token-x", "expires": 4102444800000})
    stub.route("GET", "portals/self", json_error(498, "Invalid token."))
    client = make_client(username="jo", password="pw-Secret-99")
    with pytest.raises(AuthError, match="even after signing in again"):
        client.signed_in_user()
    assert len(stub.calls("GET", "portals/self")) == 2


def test_wrong_password_is_an_auth_error_without_the_password(
    stub: StubPortal, make_client: MakeClient
) -> None:
    stub.route(
        "POST",
        "generateToken",
        json_error(400, "Unable to generate token.", ["Invalid username or password."]),
    )
    client = make_client(username="jo", password="pw-Wrong-77")
    with pytest.raises(AuthError) as info:
        client.signed_in_user()
    text = str(info.value)
    assert "signing in as 'jo' failed: Unable to generate token; check" in text
    assert "Invalid username or password." in text and "pw-Wrong-77" not in text


@pytest.mark.parametrize(
    ("code", "message"),
    [(498, "Invalid token."), (499, "Token required."), (400, "Unable to generate token")],
)
def test_refused_sign_in_names_the_credentials(
    stub: StubPortal, make_client: MakeClient, code: int, message: str
) -> None:
    stub.route("POST", "generateToken", json_error(code, message))
    client = make_client(username="jo", password="pw-Refused-31")
    with pytest.raises(AuthError) as info:
        client.signed_in_user()
    text = str(info.value)
    assert text.startswith(f"POST generateToken: signing in as 'jo' failed: {message.rstrip('.')};")
    assert "check ARCGIS_USERNAME and ARCGIS_PASSWORD" in text and "pw-Refused-31" not in text
    assert ".;" not in text
    assert len(stub.calls("POST", "generateToken")) == 1


def test_sign_in_over_a_closed_port_is_a_connection_error_not_a_credentials_one() -> None:
    with socket.socket() as probe:  # a port on 127.0.0.1 that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = PortalClient(
        f"http://127.0.0.1:{port}",
        username="jo",
        password="pw-Closed-42",
        retry=RetryPolicy(max_attempts=2, backoff_base=0.01),
    )
    with pytest.raises(TransientError) as info:
        client.signed_in_user()
    assert not isinstance(info.value, AuthError)
    assert str(info.value) == (
        "POST generateToken: could not reach the portal: "
        "could not connect (connection refused or unreachable)"
    )


def test_sign_in_when_the_host_does_not_resolve_is_not_a_credentials_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_such_host(*_args: object, **_kw: object) -> NoReturn:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    client = PortalClient("https://gis.example.invalid/portal", username="jo", password="pw-Dns-7")
    with pytest.raises(PortalError) as info:
        client.signed_in_user()
    assert not isinstance(info.value, AuthError)
    assert str(info.value) == (
        "POST generateToken: could not reach the portal: "
        "cannot resolve the host name gis.example.invalid"
    )


def test_sign_in_answered_with_html_is_a_bad_response_not_a_credentials_error(
    stub: StubPortal, make_client: MakeClient
) -> None:
    stub.route("POST", "generateToken", Response("<html>Sign in</html>", mimetype="text/html"))
    client = make_client(username="jo", password="pw-Html-88")
    with pytest.raises(BadResponse, match="POST generateToken: the portal answered with HTML"):
        client.signed_in_user()


def test_secrets_echoed_encoded_are_scrubbed_from_messages(
    stub: StubPortal, make_client: MakeClient
) -> None:
    password = 'pw/"Odd" ch@rs+1'
    echoed = [f"password={quote_plus(password)}", f"raw {json.dumps(password)[1:-1]}"]
    stub.route(
        "POST", "generateToken", json_error(400, f"Unable to generate token {password}", echoed)
    )
    client = make_client(username="jo", password=password)
    with pytest.raises(AuthError) as info:
        client.signed_in_user()
    text = str(info.value)
    assert "password=***" in text and "raw ***" in text
    for form in (password, quote_plus(password), json.dumps(password)[1:-1], "ch@rs", "ch%40rs"):
        assert form not in text


def test_echoed_secrets_are_scrubbed_from_messages(stub: StubPortal, client: PortalClient) -> None:
    stub.route("GET", LIST, json_error(400, f"bad token {TOKEN}", [f"token={TOKEN}"]))
    with pytest.raises(PortalError) as info:
        client.list_tasks(["jo"])
    assert TOKEN not in str(info.value) and "***" in str(info.value)


def test_connection_refused_is_transient() -> None:
    client = PortalClient(
        "http://127.0.0.1:9", token=TOKEN, retry=RetryPolicy(max_attempts=2, backoff_base=0.01)
    )
    with pytest.raises(
        TransientError, match=r"GET portals/self: could not reach the portal: could not connect"
    ) as info:
        client.signed_in_user()
    error: BaseException | None = info.value
    while error is not None:  # nothing in the chain may hold the request and its auth header
        assert not isinstance(error, requests.RequestException), repr(error)
        error = error.__context__
    assert "127.0.0.1:9" not in str(info.value)


def test_timeout_is_transient(stub: StubPortal, make_client: MakeClient) -> None:
    def slow(_request: object) -> dict[str, object]:
        time.sleep(0.5)
        return {"user": {"username": "jo"}}

    stub.route("GET", "portals/self", slow)
    client = make_client(timeout=0.2, retry=RetryPolicy(max_attempts=2, backoff_base=0.01))
    with pytest.raises(TransientError, match=r"no complete answer within 0.2s"):
        client.signed_in_user()
    assert len(stub.calls()) == 2


def test_dropped_connection_on_a_read_is_retried(stub: StubPortal, client: PortalClient) -> None:
    stub.on("GET", "portals/self", DROP)
    assert client.signed_in_user() == "jo"
    assert len(stub.calls()) == 2


def test_debug_log_line_per_request(
    stub: StubPortal, client: PortalClient, caplog: pytest.LogCaptureFixture
) -> None:
    stub.route("GET", LIST, task_list([]))
    with caplog.at_level(logging.DEBUG, logger="taskform.http"):
        client.list_tasks(["jo"])
    (record,) = [r for r in caplog.records if r.name == "taskform.http"]
    assert record.levelno == logging.DEBUG
    message = record.getMessage()
    assert message.startswith(f"GET {LIST} -> 200 in ") and message.endswith(" ms (attempt 1)")
    assert "?" not in message and "start=" not in message


def test_signed_in_user_is_cached_and_admin_check(stub: StubPortal, client: PortalClient) -> None:
    stub.route(
        "GET",
        "community/users/jo",
        {"username": "jo", "role": "org_user", "privileges": ["portal:admin:viewUsers"]},
    )
    assert client.signed_in_user() == "jo"
    assert client.signed_in_user() == "jo"
    assert len(stub.calls("GET", "portals/self")) == 1
    assert client.user_info("jo")["username"] == "jo"
    assert client.is_admin() is True


def test_no_signed_in_user_is_an_auth_error(stub: StubPortal, client: PortalClient) -> None:
    stub.route("GET", "portals/self", {"id": "org"})
    with pytest.raises(AuthError, match="does not know who is signed in"):
        client.signed_in_user()


def test_get_json_same_host_only(stub: StubPortal, client: PortalClient) -> None:
    stub.route("GET", "/server/rest/services/T/GPServer/Clip", {"name": "Clip"})
    assert client.get_json(f"{stub.url}/server/rest/services/T/GPServer/Clip?x=1") == {
        "name": "Clip"
    }
    (seen,) = stub.calls("GET", "/server/rest/services/T/GPServer/Clip")
    assert seen.args == {"x": "1", "f": "json"}
    assert seen.headers["X-Esri-Authorization"] == f"Bearer {TOKEN}"
    with pytest.raises(PortalError, match="another host"):
        client.get_json("https://evil.example.com/server/rest/services?f=json")
    assert len(stub.calls()) == 1


def test_redirects_are_not_followed(stub: StubPortal, client: PortalClient) -> None:
    stub.route(
        "GET",
        "portals/self",
        Response("", status=302, headers={"Location": "https://idp.example.com/login"}),
    )
    with pytest.raises(BadResponse, match=r"redirected to idp.example.com \(HTTP 302\)"):
        client.signed_in_user()
