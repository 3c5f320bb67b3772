"""Benchmark: round trips, wall time and memory of plan/apply against the emulator.

    .venv/bin/python benchmarks/bench.py                 # N = 100, 1000, 10000; latency 20 ms
    .venv/bin/python benchmarks/bench.py --sizes 100,1000 --latency-ms 50 --json out.json

For each N it starts the emulator (added latency per request), seeds N live tasks, and runs the
real ``taskform`` command as a separate process for: plan with no changes, plan with 10% of the
tasks changed, and apply of those changes at several --parallelism values. Request counts come
from the emulator's /__emulator/stats; peak memory is the taskform process's max RSS. The
"floor" is what the portal allows at best: the list pages needed (ceil(N/100)) plus one write
per change. The same run measures the naive pattern of the official client (list ids, then one
GET per task) through the same emulator, and the planner's own CPU time in-process.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests
import yaml

ITEM = "029b61ca770e428d9468a2a55f40b9fb"
USER, PASSWORD = "admin", "admin"
SIGN_IN = 2  # generateToken + portals/self


@dataclass
class Row:
    n: int
    scenario: str
    parallelism: int | None
    wall_s: float
    requests: int
    writes: int
    floor: int
    ratio: float
    peak_rss_mb: float | None


class Emulator:
    def __init__(self, workdir: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "taskform.emulator", "--port", "0", "--active-task-limit", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=workdir,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        prefix = "taskform emulator listening on "
        if not line.startswith(prefix):
            self.proc.kill()
            raise SystemExit(f"the emulator did not start: {line!r}")
        self.url = line[len(prefix) :]
        self.http = requests.Session()
        self.http.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=32))

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.request(method, f"{self.url}/__emulator/{path}", json=body, timeout=60)
        response.raise_for_status()
        return response.json()

    def token(self) -> str:
        data = {
            "username": USER,
            "password": PASSWORD,
            "client": "referer",
            "referer": self.url,
            "f": "json",
        }
        result = self.http.post(f"{self.url}/sharing/rest/generateToken", data=data, timeout=30)
        return str(result.json()["token"])

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def task(i: int, hour: int = 2) -> dict[str, Any]:
    return {
        "title": f"Task {i:05d}",
        "type": "ExecuteNotebook",
        "item_id": ITEM,
        "schedule": f"{i % 60} {hour} * * *",
        "max_occurrences": 1000,
    }


def seed(emu: Emulator, n: int) -> None:
    token = emu.token()
    headers = {"X-Esri-Authorization": f"Bearer {token}"}
    url = f"{emu.url}/sharing/rest/community/users/{USER}/tasks/createTask"

    def create(i: int) -> None:
        t = task(i)
        minute, hour, *_ = t["schedule"].split()
        form = {
            "title": t["title"],
            "type": t["type"],
            "itemId": ITEM,
            "minute": minute,
            "hour": hour,
            "dayOfMonth": "*",
            "month": "*",
            "dayOfWeek": "?",
            "maxOccurrences": "1000",
            "f": "json",
        }
        body = emu.http.post(url, data=form, headers=headers, timeout=60).json()
        assert body.get("success"), body

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(create, range(n)))


def write_config(path: Path, n: int, changed: int, hour: int) -> None:
    tasks = [task(i, hour if i < changed else 2) for i in range(n)]
    path.write_text(yaml.safe_dump({"version": 1, "tasks": tasks}, sort_keys=False))


def run_taskform(emu: Emulator, args: list[str]) -> tuple[float, float | None, int]:
    """Run taskform as its own process; returns wall seconds, peak RSS in MB, exit code."""
    env = dict(os.environ, ARCGIS_URL=emu.url, ARCGIS_USERNAME=USER, ARCGIS_PASSWORD=PASSWORD)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "taskform", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    peak = usage.ru_maxrss / 1024 if sys.platform != "darwin" else usage.ru_maxrss / 2**20
    if code not in (0, 2):
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"taskform {' '.join(args)} failed ({code}): {err}")
    return wall, peak, code


def measure(
    emu: Emulator,
    n: int,
    scenario: str,
    args: list[str],
    writes_floor: int,
    parallelism: int | None = None,
) -> Row:
    emu.control("POST", "stats/reset")
    wall, peak, _ = run_taskform(emu, args)
    stats = emu.control("GET", "stats")
    floor = math.ceil(n / 100) + writes_floor
    return Row(
        n,
        scenario,
        parallelism,
        round(wall, 2),
        stats["requests"],
        stats["writes"],
        floor,
        round(stats["requests"] / floor, 2),
        round(peak, 1) if peak else None,
    )


def naive(emu: Emulator, n: int) -> Row:
    """The official client's pattern: list task ids page by page, then GET each task."""
    emu.control("POST", "stats/reset")
    token = emu.token()
    emu.control("POST", "stats/reset")
    headers = {"X-Esri-Authorization": f"Bearer {token}"}
    base = f"{emu.url}/sharing/rest/community/users/{USER}/tasks"
    start = time.perf_counter()
    ids, start_at = [], 1
    while start_at != -1:
        page = emu.http.get(
            base, params={"f": "json", "num": 100, "start": start_at}, headers=headers, timeout=60
        ).json()
        ids += [t["id"] for t in page["tasks"]]
        start_at = page["nextStart"]
    for task_id in ids:
        emu.http.get(f"{base}/{task_id}", params={"f": "json"}, headers=headers, timeout=60)
    wall = time.perf_counter() - start
    stats = emu.control("GET", "stats")
    floor = math.ceil(n / 100)
    return Row(
        n,
        "naive read (ids + GET per task)",
        None,
        round(wall, 2),
        stats["requests"],
        0,
        floor,
        round(stats["requests"] / floor, 2),
        None,
    )


def planner_cpu(n: int) -> float:
    """CPU seconds of make_plan for n unchanged tasks plus 10% changed, in this process."""
    from taskform.model import DesiredTask, LiveTask
    from taskform.plan.planner import make_plan
    from taskform.schedule.translate import to_portal

    desired, live = [], []
    for i in range(n):
        expr = task(i, 3 if i < n // 10 else 2)["schedule"]
        desired.append(
            DesiredTask(
                owner=USER,
                title=f"Task {i:05d}",
                type="ExecuteNotebook",
                item_id=ITEM,
                schedule=expr,
                cron=to_portal(expr),
                max_occurrences=1000,
            )
        )
        cron = to_portal(task(i)["schedule"])
        raw = {"id": f"{i:032x}", "title": f"Task {i:05d}", "updated": 1}
        live.append(
            LiveTask(
                id=f"{i:032x}",
                owner=USER,
                title=f"Task {i:05d}",
                type="ExecuteNotebook",
                cron=cron,
                item_id=ITEM,
                max_occurrences=1000,
                raw=raw,
                parameters={"notebookParameters": "{}"},
            )
        )
    start = time.process_time()
    plan = make_plan(desired, {USER: live}, now=datetime.now(timezone.utc))
    spent = time.process_time() - start
    assert plan.summary["update"] == n // 10, plan.summary
    return round(spent, 3)


CALENDAR_SCHEDULES = ("H 2 * * *", "H H * * 1-5", "0 * * * *", "H/15 * * * *", "30 6 * * 1")


def calendar_cpu(n: int = 1000, days: int = 30) -> dict[str, float]:
    """CPU seconds of ``taskform calendar``'s work for n tasks over ``days`` days, in this
    process (one core): building the runs, then each view. Schedules mix daily, weekday,
    hourly, quarter-hourly and weekly tasks, with H."""
    from taskform.model import DesiredTask
    from taskform.render.calendar_html import render_html
    from taskform.render.calendar_text import render_ics, render_markdown
    from taskform.schedule.calendar import build
    from taskform.schedule.zones import compile_schedule

    tasks = []
    for i in range(n):
        expr = CALENDAR_SCHEDULES[i % len(CALENDAR_SCHEDULES)]
        title = f"Task {i:05d}"
        cron = compile_schedule(expr, owner=USER, title=title).fields
        tasks.append(
            DesiredTask(
                owner=USER,
                title=title,
                type="ExecuteNotebook",
                item_id=ITEM,
                schedule=expr,
                cron=cron,
            )
        )
    now = datetime.now(timezone.utc)
    result: dict[str, float] = {}
    start = time.process_time()
    cal = build(tasks, now, days)
    result["build"] = time.process_time() - start
    for name, view in (("html", render_html), ("markdown", render_markdown), ("ics", render_ics)):
        start = time.process_time()
        view(cal)
        result[name] = time.process_time() - start
    result["runs"] = cal.total_runs
    return {k: round(v, 3) for k, v in result.items()}


def bench(n: int, latency_ms: int, parallelisms: list[int]) -> tuple[list[Row], float]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        emu = Emulator(work)
        try:
            print(f"N={n}: seeding…", file=sys.stderr, flush=True)
            seed(emu, n)
            emu.control("POST", "faults", {"latency_ms": latency_ms})
            config = work / "tasks.yaml"
            write_config(config, n, 0, 2)
            rows.append(measure(emu, n, "plan, no changes", ["plan", "-c", str(config)], 0))
            changed = max(1, n // 10)
            write_config(config, n, changed, 3)
            rows.append(measure(emu, n, "plan, 10% changed", ["plan", "-c", str(config)], 0))
            for k, p in enumerate(parallelisms):
                write_config(config, n, changed, 4 + k)  # a fresh change set each time
                rows.append(
                    measure(
                        emu,
                        n,
                        f"apply {changed} changes",
                        ["apply", "-c", str(config), "--auto-approve", "--parallelism", str(p)],
                        changed,
                        p,
                    )
                )
            rows.append(naive(emu, n))
        finally:
            emu.stop()
    return rows, planner_cpu(n)


def table(rows: list[Row]) -> str:
    head = ["N", "scenario", "par", "wall s", "requests", "writes", "floor", "ratio", "peak MB"]
    body = [
        [
            str(r.n),
            r.scenario,
            str(r.parallelism or "-"),
            f"{r.wall_s:.2f}",
            str(r.requests),
            str(r.writes),
            str(r.floor),
            f"{r.ratio:.2f}",
            f"{r.peak_rss_mb:.0f}" if r.peak_rss_mb else "-",
        ]
        for r in rows
    ]
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return "\n".join(
        [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, body)]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--parallelism", default="1,4,16")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument(
        "--calendar-only", action="store_true", help="only the calendar row (no emulator)"
    )
    args = parser.parse_args()
    if args.calendar_only:
        print(f"Calendar, 1000 tasks, 30 days (CPU s, one core): {calendar_cpu()}")
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    parallelisms = [int(p) for p in args.parallelism.split(",")]
    rows: list[Row] = []
    cpu: dict[int, float] = {}
    for n in sizes:
        more, cpu[n] = bench(n, args.latency_ms, parallelisms)
        rows += more
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"taskform benchmark — emulator latency {args.latency_ms} ms/request — {machine}")
    print(table(rows))
    print()
    print(
        "Planner CPU time (make_plan, 10% changed): "
        + ", ".join(f"N={n}: {s:.3f} s" for n, s in cpu.items())
    )
    calendar = calendar_cpu()
    print(f"Calendar, 1000 tasks, 30 days (CPU s, one core): {calendar}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "latency_ms": args.latency_ms,
                    "machine": machine,
                    "rows": [asdict(r) for r in rows],
                    "planner_cpu_s": {str(n): s for n, s in cpu.items()},
                },
                indent=2,
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
