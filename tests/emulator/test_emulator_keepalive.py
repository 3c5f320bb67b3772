"""Connections: kept alive between requests (HTTP/1.1), as a portal behind a web server keeps
them; closed when the client asks, for HTTP/1.0, and after an answer without a length."""

from __future__ import annotations

import json
import socket
import time
import urllib.parse
from typing import BinaryIO

import requests

from tests.emulator.conftest import task_form
from tests.support.emulator import EmulatorProcess


def _connect(emu: EmulatorProcess) -> socket.socket:
    url = urllib.parse.urlsplit(emu.url)
    assert url.hostname is not None and url.port is not None
    return socket.create_connection((url.hostname, url.port), timeout=10)


def _request(method: str, path: str, token: str, body: str = "", extra: str = "") -> bytes:
    head = (
        f"{method} /sharing/rest/{path} HTTP/1.1\r\nHost: portal\r\n"
        f"X-Esri-Authorization: Bearer {token}\r\n{extra}"
    )
    if body:
        head += "Content-Type: application/x-www-form-urlencoded\r\n"
        head += f"Content-Length: {len(body)}\r\n"
    return (head + "\r\n" + body).encode()


Answer = tuple[int, dict[str, str], bytes]


def _answers(reader: BinaryIO, count: int) -> list[Answer]:
    """``count`` answers (status, headers, body) read one after the other from ``reader``."""
    found = []
    for _ in range(count):
        status = reader.readline()
        headers: dict[str, str] = {}
        while (line := reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        body = reader.read(int(headers["content-length"]))
        found.append((int(status.split()[1]), headers, body))
    return found


def test_requests_share_one_connection(emu: EmulatorProcess) -> None:
    token = emu.token()
    headers = {"X-Esri-Authorization": f"Bearer {token}"}
    with requests.Session() as session:
        for _ in range(5):
            answer = session.get(f"{emu.url}/sharing/rest/portals/self", params={"f": "json"},
                                 headers=headers, timeout=10)  # fmt: skip
            assert answer.status_code == 200 and answer.json()["id"]
            assert answer.headers.get("Connection", "").lower() != "close"
        created = session.post(
            f"{emu.url}/sharing/rest/community/users/admin/tasks/createTask",
            data={**task_form(title="kept alive"), "f": "json"}, headers=headers, timeout=10,
        )  # fmt: skip
        assert created.json()["success"] is True
        adapter = session.get_adapter(emu.url)
        assert isinstance(adapter, requests.adapters.HTTPAdapter)
        pools = adapter.poolmanager.pools
        opened = [pools[key].num_connections for key in pools.keys()]  # noqa: SIM118
        assert opened == [1]  # six requests, one TCP connection


def test_pipelined_requests_are_answered_in_order(emu: EmulatorProcess) -> None:
    # Two requests sent at once: werkzeug's own handler would read the second as leftover body
    # of the first and never answer it.
    token = emu.token()
    form = urllib.parse.urlencode({**task_form(title="piped"), "f": "json"})
    with _connect(emu) as sock:
        sock.sendall(
            _request("POST", "community/users/admin/tasks/createTask", token, form)
            + _request("GET", "portals/self?f=json", token)
        )
        reader = sock.makefile("rb")
        (first, _, created), (second, _, portal) = _answers(reader, 2)
    assert (first, second) == (200, 200)
    assert json.loads(created)["success"] is True
    assert b'"id"' in portal


def test_connection_close_and_http_1_0_close_the_connection(emu: EmulatorProcess) -> None:
    token = emu.token()
    for request in (
        _request("GET", "portals/self?f=json", token, extra="Connection: close\r\n"),
        _request("GET", "portals/self?f=json", token).replace(b"HTTP/1.1", b"HTTP/1.0", 1),
    ):
        with _connect(emu) as sock:
            sock.sendall(request)
            reader = sock.makefile("rb")
            [(status, headers, body)] = _answers(reader, 1)
            assert status == 200 and b'"id"' in body
            assert headers.get("connection", "").lower() == "close"
            assert reader.read() == b""  # the emulator closed its end


def test_an_error_answer_and_a_body_sent_in_parts_keep_the_connection(emu: EmulatorProcess) -> None:
    token = emu.token()
    form = urllib.parse.urlencode({**task_form(title="in parts"), "f": "json"})
    request = _request("POST", "community/users/admin/tasks/createTask", token, form)
    with _connect(emu) as sock:
        reader = sock.makefile("rb")
        sock.sendall(_request("GET", "portals/self?f=json", "not-a-token"))
        [(status, headers, body)] = _answers(reader, 1)
        assert json.loads(body)["error"]["code"] == 498  # the portal's "Invalid token."
        assert headers.get("connection", "").lower() != "close"
        cut = len(request) - len(form) // 2
        sock.sendall(request[:cut])  # the headers and half the body, then the rest
        time.sleep(0.05)
        sock.sendall(request[cut:])
        [(status, _, created)] = _answers(reader, 1)
    assert status == 200 and json.loads(created)["success"] is True
