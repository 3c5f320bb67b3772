"""Portal resources, generateToken, the three ways to send a token, API keys, 498/499."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests

from tests.emulator.conftest import API_KEY_ALICE, API_KEY_DEFAULT, Api, error_of
from tests.support.emulator import EmulatorProcess

TASKS = "community/users/alice/tasks"


def test_root_and_info(emu: EmulatorProcess) -> None:
    root = requests.get(emu.rest(), params={"f": "json"}, timeout=10).json()
    assert isinstance(root["currentVersion"], str) and root["currentVersion"]
    info = requests.get(emu.rest("info"), params={"f": "json"}, timeout=10).json()
    assert info["authInfo"] == {
        "isTokenBasedSecurity": True,
        "tokenServicesUrl": f"{emu.url}/sharing/rest/generateToken",
    }
    assert info["owningSystemUrl"] == emu.url


def test_generate_token_shape_and_expiration(emu: EmulatorProcess) -> None:
    before = int(time.time() * 1000)
    body = requests.post(
        emu.rest("generateToken"),
        data={
            "username": "alice",
            "password": "alicepw",
            "client": "referer",
            "referer": "http://localhost",
            "expiration": "5",
            "f": "json",
        },
        timeout=10,
    ).json()
    assert set(body) == {"token", "expires", "ssl"}
    assert body["ssl"] is False
    assert before + 5 * 60_000 <= body["expires"] <= int(time.time() * 1000) + 5 * 60_000


def test_generate_token_default_expiration_is_60_minutes(emu: EmulatorProcess) -> None:
    body = requests.post(
        emu.rest("generateToken"),
        data={"username": "admin", "password": "admin", "f": "json"},
        timeout=10,
    ).json()
    remaining = body["expires"] - time.time() * 1000
    assert 59 * 60_000 < remaining <= 60 * 60_000


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        ({"username": "alice", "password": "wrong"}, "Invalid username or password."),
        ({"username": "nobody", "password": "x"}, "Invalid username or password."),
        (
            {"username": "alice", "password": "alicepw", "client": "referer"},
            "'referer' must be specified.",
        ),
        (
            {"username": "alice", "password": "alicepw", "client": "bogus"},
            "'client' must be referer, ip or requestip.",
        ),
        (
            {"username": "alice", "password": "alicepw", "expiration": "soon"},
            "'expiration' must be a positive number of minutes.",
        ),
    ],
)
def test_generate_token_failures(emu: EmulatorProcess, data: dict[str, str], detail: str) -> None:
    body = requests.post(emu.rest("generateToken"), data={**data, "f": "json"}, timeout=10).json()
    assert error_of(body) == (400, "Unable to generate token.")
    assert body["error"]["details"] == [detail]


def test_generate_token_must_be_post(emu: EmulatorProcess) -> None:
    body = requests.get(
        emu.rest("generateToken"),
        params={"username": "alice", "password": "alicepw", "f": "json"},
        timeout=10,
    ).json()
    assert error_of(body)[0] == 405


def test_token_expiration_is_clamped_to_maximum() -> None:
    with EmulatorProcess().start("--token-expiration-max", "10") as emu:
        body = requests.post(
            emu.rest("generateToken"),
            data={"username": "admin", "password": "admin", "expiration": "100000", "f": "json"},
            timeout=10,
        ).json()
        assert body["expires"] - time.time() * 1000 <= 10 * 60_000


def test_missing_token_is_499(emu: EmulatorProcess) -> None:
    body = requests.get(emu.rest(TASKS), params={"f": "json"}, timeout=10).json()
    assert body == {"error": {"code": 499, "message": "Token Required.", "details": []}}
    body = requests.get(emu.rest("community/self"), params={"f": "json"}, timeout=10).json()
    assert error_of(body)[0] == 499


@pytest.mark.parametrize("where", ["x-esri", "authorization", "query", "form"])
def test_invalid_token_is_498_wherever_it_is_sent(emu: EmulatorProcess, where: str) -> None:
    headers, params, data = {}, {"f": "json"}, None
    if where == "x-esri":
        headers = {"X-Esri-Authorization": "Bearer not-a-token"}
    elif where == "authorization":
        headers = {"Authorization": "Bearer not-a-token"}
    elif where == "query":
        params["token"] = "not-a-token"
    else:
        data = {"token": "not-a-token", "f": "json"}
    if data is None:
        response = requests.get(emu.rest(TASKS), params=params, headers=headers, timeout=10)
    else:
        response = requests.post(emu.rest(TASKS), data=data, timeout=10)
    assert response.status_code == 200
    assert response.json() == {"error": {"code": 498, "message": "Invalid token.", "details": []}}


def test_invalid_token_is_rejected_even_on_public_resources(emu: EmulatorProcess) -> None:
    body = requests.get(
        emu.rest("portals/self"), params={"f": "json", "token": "bad"}, timeout=10
    ).json()
    assert error_of(body)[0] == 498


@pytest.mark.parametrize("where", ["x-esri", "authorization", "query", "form"])
def test_valid_token_works_wherever_it_is_sent(emu: EmulatorProcess, where: str) -> None:
    token = emu.token("alice", "alicepw")
    if where == "form":
        body = requests.post(emu.rest(TASKS), data={"token": token, "f": "json"}, timeout=10).json()
    else:
        headers = {
            "x-esri": {"X-Esri-Authorization": f"Bearer {token}"},
            "authorization": {"Authorization": f"Bearer {token}"},
            "query": {},
        }[where]
        params = {"f": "json", **({"token": token} if where == "query" else {})}
        body = requests.get(emu.rest(TASKS), params=params, headers=headers, timeout=10).json()
    assert body["total"] == 0 and body["tasks"] == []


def test_expired_token_is_498(tmp_path: Path) -> None:
    # Tokens last at least a minute, so age one inside the state file between two runs.
    state = tmp_path / "state.json"
    with EmulatorProcess().start("--state", str(state)) as emu:
        token = emu.token()
        assert Api(emu, token).get("community/self")["username"] == "admin"
    data = json.loads(state.read_text())
    data["tokens"][token]["expires"] = int(time.time() * 1000) - 1
    state.write_text(json.dumps(data))
    with EmulatorProcess().start("--state", str(state)) as emu:
        body = Api(emu, token).get("community/self")
        assert error_of(body) == (498, "Invalid token.")


def test_api_keys_act_as_their_user(emu: EmulatorProcess) -> None:
    alice = Api(emu, API_KEY_ALICE)
    assert alice.get("community/self")["username"] == "alice"
    first = Api(emu, API_KEY_DEFAULT)
    assert first.get("community/self")["username"] == "admin"  # default: the first --user


def test_portal_self_anonymous_and_signed_in(emu: EmulatorProcess, alice: Api) -> None:
    anonymous = requests.get(emu.rest("portals/self"), params={"f": "json"}, timeout=10).json()
    assert "user" not in anonymous
    for key, value in {"allSSL": False, "portalMode": "singletenant", "isPortal": True}.items():
        assert anonymous[key] == value
    for key in ("id", "portalName", "urlKey", "currentVersion"):
        assert key in anonymous
    signed_in = alice.get("portals/self")
    assert signed_in["user"]["username"] == "alice"
    by_id = alice.get(f"portals/{anonymous['id']}")
    assert by_id["id"] == anonymous["id"]


def test_community_self_and_users(emu: EmulatorProcess, alice: Api) -> None:
    me = alice.get("community/self")
    assert me["username"] == "alice"
    assert me["role"] == "org_user"
    assert not any(":admin:" in p for p in me["privileges"])
    admin = alice.get("community/users/admin")
    assert admin["role"] == "org_admin"
    assert any(":admin:" in p for p in admin["privileges"])


def test_unknown_user(alice: Api) -> None:
    code, message = error_of(alice.get("community/users/nobody"))
    assert (code, message) == (400, "User not found.")
    code, message = error_of(alice.get("community/users/nobody/tasks"))
    assert (code, message) == (400, "User not found.")


def test_default_user_is_admin_admin_and_an_administrator() -> None:
    with EmulatorProcess().start() as emu:
        me = Api(emu, emu.token("admin", "admin")).get("community/self")
        assert me["role"] == "org_admin"


def test_without_f_json_the_answer_is_html(emu: EmulatorProcess) -> None:
    response = requests.get(emu.rest(), timeout=10)
    assert response.headers["Content-Type"].startswith("text/html")
    pretty = requests.get(emu.rest(), params={"f": "pjson"}, timeout=10)
    assert pretty.headers["Content-Type"].startswith("application/json")
    assert "\n" in pretty.text


def test_unknown_resource(alice: Api) -> None:
    assert error_of(alice.get("community/groups/whatever"))[0] == 400


def test_generate_token_compares_non_ascii_passwords_as_bytes() -> None:
    """A non-ASCII password, given or expected, is refused or accepted, never an HTTP 500."""
    with EmulatorProcess().start("--user", "admin:admin", "--user", "zoë:pässwörd-🔑") as emu:
        wrong = requests.post(
            emu.rest("generateToken"),
            data={"username": "admin", "password": "pässwörd", "f": "json"},
            timeout=10,
        )
        assert wrong.status_code == 200 and "token" not in wrong.json(), wrong.text
        assert error_of(wrong.json())[0] == 400
        assert emu.token("zoë", "pässwörd-🔑")
        refused = requests.post(
            emu.rest("generateToken"),
            data={"username": "zoë", "password": "passworde", "f": "json"},
            timeout=10,
        )
        assert refused.status_code == 200 and "token" not in refused.json()
