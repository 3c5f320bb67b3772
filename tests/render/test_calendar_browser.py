"""The calendar page as a person sees it: opened in headless Chromium (Debian's ``chromium``).

Chromium loads the page from a file, serialises the DOM it built (``--dump-dom``) and takes a
screenshot; its log (``--enable-logging=stderr``) carries every console message. The test then
checks what a reader would see: a row for every task, heat-map cells holding the counts worked
out by hand for the fixture week, the collisions, and no console message at all.

``.ci/run`` installs chromium where it is missing; in CI (``CI=true``) a missing browser fails
this test instead of skipping it. ``TASKFORM_SCREENSHOT=FILE`` keeps the screenshot.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from taskform.render.calendar.html import render_html
from tests.render.test_calendar import calendar


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is not installed; .ci/run installs it (apt-get install chromium)")
    pytest.skip("chromium is not installed (apt-get install chromium); CI requires it")


def run_chromium(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-pings",
            # nothing may leave the machine: no name resolves, any proxy use hits a dead
            # loopback port (the page is a file:// URL and needs neither)
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=http://127.0.0.1:9",
            "--enable-logging=stderr",
            "--v=0",
            f"--user-data-dir={home / 'profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(home)},
        check=False,
    )


class Page(HTMLParser):
    """What the DOM holds: task rows, heat cells (day, hour) -> (data-count, text), collisions."""

    def __init__(self) -> None:
        super().__init__()
        self.tasks: list[str] = []
        self.cells: dict[tuple[str, int], list[str]] = {}
        self.collisions: list[str] = []
        self._cell: tuple[str, int] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "tr" and attr.get("class") == "task":
            self.tasks.append(attr.get("data-task") or "")
        if tag == "td" and "data-day" in attr:
            self._cell = (attr["data-day"] or "", int(attr["data-hour"] or -1))
            self.cells[self._cell] = [attr.get("data-count") or "", ""]
        if tag == "li" and "data-at" in attr:
            self.collisions.append(attr["data-at"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self.cells[self._cell][1] += data


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_calendar_page_in_headless_chromium(tmp_path: Path) -> None:
    page = tmp_path / "calendar.html"
    page.write_text(render_html(calendar()), encoding="utf-8")
    url = page.as_uri()

    dumped = run_chromium("--dump-dom", url, home=tmp_path)
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    console = [line for line in dumped.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console

    dom = Page()
    dom.feed(dumped.stdout)
    assert dom.tasks == [
        "gis_admin/Every six hours",
        "gis_admin/Morning report (Oslo)",
        "gis_admin/Nightly parcels refresh",
        'gis_admin/Roads <b>& "bridges"</b> | cook',
        "gis_admin/Switched off",
    ]
    assert len(dom.cells) == 7 * 24
    # worked out by hand for the week from Monday 23 November 2026, UTC:
    # 02:00 the nightly (Mon-Fri) and the cook (daily); 06:00 Oslo's 07:00 (Mon-Fri) and the
    # six-hourly task (00, 06, 12, 18 at its H minute, daily)
    expected = {("Mon", 2): 2, ("Sat", 2): 1, ("Fri", 6): 2, ("Sun", 6): 1, ("Wed", 12): 1}
    for (day, hour), count in expected.items():
        assert dom.cells[(day, hour)] == [str(count), str(count)], (day, hour)
    assert dom.cells[("Tue", 3)] == ["0", "0"]  # the inactive 03:00 task does not run
    total = sum(int(c[0]) for c in dom.cells.values())
    assert total == 45
    assert dom.collisions[:2] == ["2026-11-23T02:00Z", "2026-11-24T02:00Z"]

    shot = tmp_path / "calendar.png"
    taken = run_chromium(
        f"--screenshot={shot}", "--window-size=1280,1400", "--hide-scrollbars", url, home=tmp_path
    )
    assert taken.returncode == 0, taken.stderr[-2000:]
    assert png_size(shot) == (1280, 1400)
    assert shot.stat().st_size > 20_000  # a rendered page, not a blank one
    keep = os.environ.get("TASKFORM_SCREENSHOT")
    if keep:
        shutil.copyfile(shot, keep)


def test_demo_configuration_page_in_headless_chromium(tmp_path: Path) -> None:
    """``taskform calendar`` (the real command, offline) on the demo's configuration
    (``examples/config``, what ``scripts/demo`` applies), opened in Chromium: every declared
    task has its row, the heat map holds all the runs the summary counts, no console message.
    ``TASKFORM_DEMO_SCREENSHOT=FILE`` keeps the screenshot."""
    examples = Path(__file__).resolve().parents[2] / "examples" / "config"
    page = tmp_path / "demo.html"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "ARCGIS_USERNAME": "admin"}
    made = subprocess.run(
        [sys.executable, "-m", "taskform", "calendar", "-c", str(examples), "-o", str(page)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    dumped = run_chromium("--dump-dom", page.as_uri(), home=tmp_path)
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    assert [line for line in dumped.stderr.splitlines() if ":CONSOLE" in line] == []
    dom = Page()
    dom.feed(dumped.stdout)
    assert sorted(dom.tasks) == [
        "admin/Hourly sensor ingest",
        "admin/Month-end summary",
        "admin/Nightly network trace",
        "admin/Nightly parcels refresh",
        "admin/Quarterly usage report",
        "admin/Sales workbook refresh",
        "admin/Weekly 3D buildings cook",
    ]
    assert len(dom.cells) == 7 * 24
    total = sum(int(c[0]) for c in dom.cells.values())
    assert all(count == text for count, text in dom.cells.values())
    # the hourly task alone starts 168 times a week
    assert total >= 168 and f"{total} runs of 7 tasks" in dumped.stdout
    shot = tmp_path / "demo.png"
    taken = run_chromium(
        f"--screenshot={shot}",
        "--window-size=1280,1100",
        "--hide-scrollbars",
        page.as_uri(),
        home=tmp_path,
    )
    assert taken.returncode == 0, taken.stderr[-2000:]
    assert png_size(shot) == (1280, 1100) and shot.stat().st_size > 20_000
    keep = os.environ.get("TASKFORM_DEMO_SCREENSHOT")
    if keep:
        shutil.copyfile(shot, keep)
