"""OAuth 2.0 as a new user would do it: ``taskform login`` (the browser step driven by the test,
over real HTTP), then plan and apply with no password anywhere, then the refresh token renewed;
``ARCGIS_CLIENT_ID`` + ``ARCGIS_REFRESH_TOKEN`` for CI; ``taskform logout``."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import ITEM
from tests.support.emulator import EmulatorProcess

CONFIG = f"""\
version: 1
tasks:
  - title: Nightly
    type: ExecuteNotebook
    item_id: {ITEM}
    schedule: "0 2 * * *"
"""


@pytest.fixture(scope="module")
def oauth_emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess().start("--user", "admin:s3cret-pw", "--admin", "admin") as emu:
        yield emu


def env_for(emu: EmulatorProcess, token_file: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCGIS_", "TASKFORM_"))}
    env.update(ARCGIS_URL=emu.url, TASKFORM_TOKEN_FILE=str(token_file), **extra)
    return env


def run(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "taskform", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def browser_sign_in(url: str, password: str) -> requests.Response:
    """What the user does in the browser: open the page, fill in the form, follow the redirect."""
    session = requests.Session()
    page = session.get(url, timeout=10)
    assert page.status_code == 200 and "<form" in page.text
    state = re.search(r'"oauth_state":"([^"]+)"', page.text)
    assert state is not None, page.text
    signin = url.split("/oauth2/authorize")[0] + "/oauth2/signin"
    form = {"oauth_state": state.group(1), "username": "admin", "password": password}
    answer = session.post(signin, data=form, allow_redirects=False, timeout=10)
    if answer.status_code != 302:
        return answer
    return session.get(answer.headers["Location"], timeout=10)  # the loopback redirect


def login(cwd: Path, env: dict[str, str], password: str = "s3cret-pw") -> tuple[str, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "taskform", "login", "--client-id", "taskform", "--no-browser"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    url = ""
    deadline = time.monotonic() + 30
    while not url and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("http"):
            url = line.strip()
    assert url, proc.communicate(timeout=5)
    wrong = browser_sign_in(url, "wrong-password")
    assert wrong.status_code == 200 and "Invalid username or password." in wrong.text
    landed = browser_sign_in(url, password)
    assert landed.status_code == 200 and "Signed in" in landed.text
    rest, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, rest + err
    return url, rest + err


def test_login_then_plan_and_apply_then_the_refresh_token_is_renewed(
    oauth_emulator: EmulatorProcess, tmp_path: Path
) -> None:
    oauth_emulator.reset()
    token_file = tmp_path / "config" / "credentials.json"
    env = env_for(oauth_emulator, token_file)
    (tmp_path / "taskform.yaml").write_text(CONFIG)
    url, said = login(tmp_path, env)
    assert "code_challenge_method=S256" in url and "redirect_uri=http%3A%2F%2F127.0.0.1" in url
    assert "Signed in to" in said and "as admin" in said
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(token_file.parent.stat().st_mode) == 0o700
    stored = json.loads(token_file.read_text())["portals"][oauth_emulator.url]
    first = stored["refresh_token"]
    assert first not in said

    # no password, token or key in the environment: the stored refresh token signs in
    applied = run(tmp_path, env, "apply", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert [t["title"] for t in oauth_emulator.all_tasks()] == ["Nightly"]
    again = run(tmp_path, env, "plan", "--detailed-exitcode", "-v")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "POST oauth2/token" in again.stderr and "generateToken" not in again.stderr
    assert first not in again.stdout + again.stderr
    assert (
        json.loads(token_file.read_text())["portals"][oauth_emulator.url]["refresh_token"] == first
    )

    # near the end of its life the refresh token is exchanged for a new one, and the file rewritten
    data = json.loads(token_file.read_text())
    data["portals"][oauth_emulator.url]["refresh_token_expires"] = time.time() + 60
    token_file.write_text(json.dumps(data))
    renewed = run(tmp_path, env, "plan", "--detailed-exitcode")
    assert renewed.returncode == 0, renewed.stdout + renewed.stderr
    second = json.loads(token_file.read_text())["portals"][oauth_emulator.url]
    assert second["refresh_token"] != first
    assert second["refresh_token_expires"] > time.time() + 3600
    old = requests.post(
        oauth_emulator.rest("oauth2/token"),
        data={
            "grant_type": "refresh_token",
            "client_id": "taskform",
            "refresh_token": first,
            "f": "json",
        },
        timeout=10,
    ).json()
    assert old["error"]["code"] == 498  # the exchanged token no longer works

    # CI: the same from the environment, no file
    ci = env_for(
        oauth_emulator,
        tmp_path / "none.json",
        ARCGIS_CLIENT_ID="taskform",
        ARCGIS_REFRESH_TOKEN=second["refresh_token"],
    )
    planned = run(tmp_path, ci, "plan", "--detailed-exitcode", "-v")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert second["refresh_token"] not in planned.stdout + planned.stderr

    # logout forgets it
    out = run(tmp_path, env, "logout")
    assert out.returncode == 0 and "Signed out" in out.stdout
    assert not token_file.exists()
    revoked = requests.post(
        oauth_emulator.rest("oauth2/token"),
        data={
            "grant_type": "refresh_token",
            "client_id": "taskform",
            "refresh_token": second["refresh_token"],
            "f": "json",
        },
        timeout=10,
    ).json()
    assert revoked["error"]["code"] == 498  # logout revoked it at the portal too
    refused = run(tmp_path, env, "plan")
    assert refused.returncode == 1 and "taskform login" in refused.stderr


def test_a_refused_refresh_token_says_to_log_in_again(
    oauth_emulator: EmulatorProcess, tmp_path: Path
) -> None:
    (tmp_path / "taskform.yaml").write_text(CONFIG)
    env = env_for(
        oauth_emulator,
        tmp_path / "none.json",
        ARCGIS_CLIENT_ID="taskform",
        ARCGIS_REFRESH_TOKEN="not-a-real-refresh-token",
    )
    result = run(tmp_path, env, "plan")
    assert result.returncode == 1
    assert "run 'taskform login' again" in result.stderr
    assert "not-a-real-refresh-token" not in result.stdout + result.stderr
