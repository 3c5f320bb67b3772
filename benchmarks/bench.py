"""Benchmark: round trips, wall time and memory of plan/apply against the emulator.

    .venv/bin/python benchmarks/bench.py                 # N = 100, 1000, 10000; latency 20 ms
    .venv/bin/python benchmarks/bench.py --sizes 100,1000 --latency-ms 50 --json out.json
    .venv/bin/python benchmarks/bench.py --sizes 10000 --compare ../old/src src   # A/B of plan

For each N it starts the emulator (added latency per request), seeds N live tasks, and runs the
real ``taskform`` command as a separate process for: plan with no changes, plan with 10% of the
tasks changed, and apply of those changes at several --parallelism values. Request counts come
from the emulator's /__emulator/stats; peak memory is the taskform process's max RSS. The
"floor" is what the portal allows at best: the list pages needed (ceil(N/100)) plus one write
per change.

Every row is the median of ``--repeat`` runs (all samples are in the JSON). The "floor s"
column is the physical floor each row is compared with ("gap" = wall / floor):

- plan rows: a bare 16-thread reader of the same pages against the same emulator (sign in,
  first page, the other pages 16 at a time, JSON decoded, nothing else);
- the bare reader's own row: the round-trip floor, the latency of the first page plus one
  more for all the other pages at once, so its gap is how far the emulator is from free;
- apply rows: the write phase as the emulator saw it (first write in to last commit out,
  /__emulator/stats ``write_span_s``) against a bare 16-thread writer of the same updates;
- ``--version``: ``python -c "import click"``.

Plan rows have a second floor, "checked s": the best a plan can do under taskform's own rule
that nothing is sent to the portal before the configuration is proven valid, that is
``validate`` of the same file (its own process: start-up, imports, YAML, schema, per-task
checks) and then the bare reader; its row is "validate, then the bare reader". The bare
reader alone checks nothing, so no correct plan can come within a small factor of it.

The same run measures the naive pattern of the official client (list ids, then one GET per
task) through the same emulator, the official ``arcgis`` client itself at N <= 1000 when it is
importable or ``--official-python`` names a Python that has it (it is never a dependency:
install it in a scratch venv; its row gets its own HTTPS emulator), start-up and
``validate`` times, and the planner's own CPU time in-process.

Before the first row it writes taskform's bytecode (:func:`compile_package`), so start-up is
measured as an installed taskform starts, not as a checkout that compiles every module anew.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests
import urllib3
import yaml

FLOOR_THREADS = 16
USER, PASSWORD = "admin", "admin"
SIGN_IN = 2  # generateToken + portals/self


@dataclass
class Row:
    n: int
    scenario: str
    parallelism: int | None
    wall_s: float  # median over the repeats
    requests: int
    writes: int
    floor: int  # requests the portal allows at best
    ratio: float  # requests / floor
    peak_rss_mb: float | None
    floor_s: float | None = None  # median wall of the bare 16-thread reader/writer
    gap: float | None = None  # wall_s (or write_s) / floor_s
    write_s: float | None = None  # apply: the write phase as the emulator saw it
    # plan rows: what the rules allow at best, the configuration checked (``validate`` of the
    # same file, its own process) and then the bare reader; ``checked_gap`` = wall / that
    checked_floor_s: float | None = None
    checked_gap: float | None = None
    samples: list[float] = field(default_factory=list)


class Emulator:
    def __init__(self, workdir: Path, tls: bool = False) -> None:
        """``tls``: serve HTTPS with a throw-away self-signed certificate (the official client
        insists on HTTPS); the benchmark's own requests then skip certificate checks."""
        argv = [
            sys.executable,
            "-m",
            "taskform.emulator",
            "--port",
            "0",
            "--active-task-limit",
            "0",
        ]
        if tls:
            argv += ["--tls-cert", str(workdir / "cert.pem"), "--tls-key", str(workdir / "key.pem")]
            self_signed(workdir)
        self.proc = subprocess.Popen(
            argv,
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
        if tls:
            self.http.mount("https://", requests.adapters.HTTPAdapter(pool_maxsize=32))
            self.http.verify = False
            self.http.trust_env = False  # a CA bundle in the environment would override verify
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

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


def self_signed(folder: Path) -> None:
    """cert.pem and key.pem for 127.0.0.1 in ``folder`` (the openssl command)."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip


def item(i: int) -> str:
    """One notebook item per task (a notebook is usually scheduled once; tasks sharing an item
    make plan read their runs to warn about overlaps, which is not what is measured here)."""
    return f"{i + 1:032x}"


def quiet_hours() -> list[int]:
    """UTC hours whose tasks do not fire while the benchmark runs: the emulator runs a task
    when its time comes (a run recorded, ``lastStart`` moved), so 10,000 daily tasks at the
    current hour would fire 167 a minute during the measurement. The seeded tasks run at the
    first of these hours; each fresh change set moves the changed tasks to the next."""
    now = datetime.now(timezone.utc).hour
    offsets = [12, *range(13, 24), *range(2, 12)]  # never this hour (0) nor the next (1)
    return [(now + offset) % 24 for offset in offsets]


#: The hour every seeded task runs at (changed tasks move to the other quiet hours).
BASE_HOUR = quiet_hours()[0]


def task(i: int, hour: int = BASE_HOUR) -> dict[str, Any]:
    return {
        "title": f"Task {i:05d}",
        "type": "ExecuteNotebook",
        "item_id": item(i),
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
            "itemId": item(i),
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
    tasks = [task(i, hour if i < changed else BASE_HOUR) for i in range(n)]
    path.write_text(yaml.safe_dump({"version": 1, "tasks": tasks}, sort_keys=False))


def run_taskform(
    emu: Emulator, args: list[str], source: str | None = None
) -> tuple[float, float | None, int, float]:
    """Run taskform as its own process (from ``source``, a checkout's ``src`` folder, when
    given); returns wall seconds, peak RSS in MB, exit code, CPU seconds (user + system)."""
    env = dict(os.environ, ARCGIS_URL=emu.url, ARCGIS_USERNAME=USER, ARCGIS_PASSWORD=PASSWORD)
    if source is not None:
        env["PYTHONPATH"] = source
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
    return wall, peak, code, usage.ru_utime + usage.ru_stime


def compare(sources: list[str], n: int, latency_ms: int, runs: int) -> None:
    """``plan`` of N unchanged tasks from each checkout in turn (A B, B A, A B, ...) against one
    emulator: on a machine whose speed drifts (shared, throttled), two benchmark runs minutes
    apart differ by a fifth, while alternating runs share the drift. Prints the median and
    range of wall time and the median CPU of each."""
    for source in sources:
        if not (Path(source) / "taskform").is_dir():
            raise SystemExit(f"{source}: not a src folder holding taskform")
        subprocess.run([sys.executable, "-m", "compileall", "-q", source], check=True)
    walls: dict[str, list[float]] = {source: [] for source in sources}
    cpus: dict[str, list[float]] = {source: [] for source in sources}
    with tempfile.TemporaryDirectory() as tmp:
        emu = Emulator(Path(tmp))
        try:
            print(f"N={n}: seeding…", file=sys.stderr, flush=True)
            seed(emu, n)
            emu.control("POST", "faults", {"latency_ms": latency_ms})
            config = Path(tmp) / "tasks.yaml"
            write_config(config, n, 0, BASE_HOUR)
            for k in range(runs):
                for source in sources if k % 2 == 0 else sources[::-1]:
                    wall, _, _, cpu = run_taskform(emu, ["plan", "-c", str(config)], source)
                    walls[source].append(wall)
                    cpus[source].append(cpu)
        finally:
            emu.stop()
    print(f"plan, {n} unchanged tasks, {latency_ms} ms latency, {runs} runs each, interleaved")
    for source in sources:
        w = walls[source]
        print(f"{source}: wall median {median(w):.3f} s ({min(w):.2f} to {max(w):.2f}), "
              f"CPU median {median(cpus[source]):.3f} s")  # fmt: skip


def compile_package() -> None:
    """Write taskform's bytecode before any row is measured, as ``pip install`` does for an
    installed package. An editable install (this checkout) has none until a module is first
    imported, and none at all where ``PYTHONDONTWRITEBYTECODE`` is set (it is on some CI and
    sandbox machines): then every run compiles every module from source, 70 to 80 ms of each
    start-up that no installed taskform spends. Python still reads the bytecode with that
    variable set; it only does not write it."""
    spec = importlib.util.find_spec("taskform")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("taskform is not importable: install it first (./scripts/test does)")
    folder = next(iter(spec.submodule_search_locations))
    subprocess.run([sys.executable, "-m", "compileall", "-q", folder], check=True)


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def measure(
    emu: Emulator,
    n: int,
    scenario: str,
    args: list[str] | Callable[[int], list[str]],
    writes_floor: int,
    parallelism: int | None = None,
    repeat: int = 3,
) -> Row:
    """Run taskform ``repeat`` times (``args(k)`` for a fresh change set each time); the
    median wall time, the request counts of the last run, the median write phase."""
    walls, spans, peaks = [], [], []
    stats: dict[str, Any] = {}
    for k in range(repeat):
        emu.control("POST", "stats/reset")
        wall, peak, _, _ = run_taskform(emu, args(k) if callable(args) else args)
        stats = emu.control("GET", "stats")
        walls.append(wall)
        peaks.append(peak or 0.0)
        if stats.get("write_span_s") is not None:
            spans.append(stats["write_span_s"])
    floor = math.ceil(n / 100) + writes_floor
    return Row(
        n,
        scenario,
        parallelism,
        median(walls),
        stats["requests"],
        stats["writes"],
        floor,
        round(stats["requests"] / floor, 2),
        round(max(peaks), 1) if any(peaks) else None,
        write_s=median(spans) if spans else None,
        samples=[round(w, 3) for w in walls],
    )


def floor_read(emu: Emulator, n: int, threads: int = FLOOR_THREADS) -> float:
    """The bare reader: sign in, read the first page, then every other page ``threads`` at a
    time, decoding the JSON and nothing else. Wall seconds."""
    base = f"{emu.url}/sharing/rest/community/users/{USER}/tasks"
    start = time.perf_counter()
    token = emu.token()
    headers = {"X-Esri-Authorization": f"Bearer {token}"}

    def page(first: int) -> int:
        params = {"f": "json", "num": "100", "start": str(first)}
        body = emu.http.get(base, params=params, headers=headers, timeout=60).json()
        return len(body["tasks"])

    got = page(1)
    with ThreadPoolExecutor(threads) as pool:
        got += sum(pool.map(page, range(101, n + 1, 100)))
    wall = time.perf_counter() - start
    assert got == n, (got, n)
    return wall


def floor_write(emu: Emulator, n: int, changed: int, hour: int) -> tuple[float, float]:
    """The bare writer: the same ``changed`` update requests taskform sends (the full form),
    ``FLOOR_THREADS`` at a time. Returns (wall seconds, the write phase the emulator saw)."""
    token = emu.token()
    headers = {"X-Esri-Authorization": f"Bearer {token}"}
    base = f"{emu.url}/sharing/rest/community/users/{USER}/tasks"
    ids: dict[str, str] = {}
    for first in range(1, n + 1, 100):
        params = {"f": "json", "num": "100", "start": str(first)}
        for t in emu.http.get(base, params=params, headers=headers, timeout=60).json()["tasks"]:
            ids[t["title"]] = t["id"]

    def update(i: int) -> None:
        t = task(i, hour)
        minute, hr, *_ = t["schedule"].split()
        form = {
            "title": t["title"],
            "type": t["type"],
            "itemId": t["item_id"],
            "minute": minute,
            "hour": hr,
            "dayOfMonth": "*",
            "month": "*",
            "dayOfWeek": "?",
            "maxOccurrences": "1000",
            "parameters": json.dumps({"notebookParameters": "{}"}),
            "f": "json",
        }
        url = f"{base}/{ids[t['title']]}/update"
        body = emu.http.post(url, data=form, headers=headers, timeout=60).json()
        assert body.get("success"), body

    emu.control("POST", "stats/reset")
    start = time.perf_counter()
    with ThreadPoolExecutor(FLOOR_THREADS) as pool:
        list(pool.map(update, range(changed)))
    wall = time.perf_counter() - start
    return wall, float(emu.control("GET", "stats")["write_span_s"])


def timed(argv: list[str], repeat: int) -> list[float]:
    """Wall seconds of a command, ``repeat`` times."""
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out.append(time.perf_counter() - start)
    return out


def startup(repeat: int) -> list[Row]:
    """--version against ``python -c "import click"``; validate of 10 and 10,000 tasks."""
    rows = []
    click_s = timed([sys.executable, "-c", "import click"], repeat)
    version = timed([sys.executable, "-m", "taskform", "--version"], repeat)
    rows.append(
        Row(0, "taskform --version (floor: import click)", None, median(version), 0, 0, 0, 0,
            None, floor_s=median(click_s), gap=round(median(version) / median(click_s), 2),
            samples=version)
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for n in (10, 10_000):
            config = Path(tmp) / f"t{n}.yaml"
            write_config(config, n, 0, BASE_HOUR)
            argv = [sys.executable, "-m", "taskform", "validate", "-c", str(config)]
            walls = timed(argv, repeat)
            rows.append(Row(n, f"validate {n} tasks", None, median(walls), 0, 0, 0, 0, None,
                            samples=walls))  # fmt: skip
    return rows


def official(emu: Emulator, n: int) -> Row | None:
    """The official client (``arcgis``), when it is importable: every task through
    ``TaskManager.all``, the way a script on it reads them, signed in with generateToken as
    FIDELITY.md describes. None without the package. The emulator must serve HTTPS."""
    try:
        import warnings

        from arcgis.gis import GIS  # type: ignore[import-not-found]
    except ImportError:
        return None
    warnings.filterwarnings("ignore")  # the client warns about verify_cert=False on every call
    emu.control("POST", "stats/reset")
    start = time.perf_counter()
    try:
        gis = GIS(emu.url, USER, PASSWORD, verify_cert=False, use_gen_token=True)
        found = len(gis.users.me.tasks.all)
    except Exception as exc:  # the client's own limits (it stops at 100 tasks with KeyError)
        found = -1
        print(f"N={n}: the official client failed: {type(exc).__name__}: {exc}", file=sys.stderr)
    wall = time.perf_counter() - start
    stats = emu.control("GET", "stats")
    floor = math.ceil(n / 100)
    what = "official arcgis client" + ("" if found == n else f" (read {found} of {n})")
    return Row(n, what, None, round(wall, 2), stats["requests"], 0, floor,
               round(stats["requests"] / floor, 2), None)  # fmt: skip


def official_row(n: int, latency_ms: int, python: str | None) -> Row | None:
    """The official client's row at N tasks: its own HTTPS emulator, seeded and slowed as the
    others; the client runs in ``python`` (a scratch virtualenv with ``arcgis``; see
    ``--official-python``), else in this Python when ``arcgis`` is importable here."""
    if python is None:
        try:
            import arcgis  # type: ignore[import-not-found]  # noqa: F401
        except ImportError:
            return None
    with tempfile.TemporaryDirectory() as tmp:
        emu = Emulator(Path(tmp), tls=True)
        try:
            seed(emu, n)
            emu.control("POST", "faults", {"latency_ms": latency_ms})
            if python is None:
                return official(emu, n)
            env = {k: v for k, v in os.environ.items() if not k.endswith("CA_BUNDLE")}
            done = subprocess.run(
                [python, __file__, "--official-row", emu.url, str(n)],
                capture_output=True, text=True, env=env, timeout=3600,
            )  # fmt: skip
            if done.returncode != 0 or not done.stdout.strip():
                print(f"N={n}: the official client's run failed: {done.stderr[-2000:]}",
                      file=sys.stderr)  # fmt: skip
                return None
            sys.stderr.write(done.stderr[-2000:])
            found = json.loads(done.stdout.strip().splitlines()[-1])
            return Row(**found) if found else None
        finally:
            emu.stop()


class _Running(Emulator):
    """An emulator this process did not start (``--official-row``): its URL only."""

    def __init__(self, url: str) -> None:  # no process of its own
        self.url = url
        self.http = requests.Session()
        self.http.verify = False
        self.http.trust_env = False
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)


def naive(emu: Emulator, n: int) -> Row:
    """The official client's pattern: list task ids page by page, then GET each task."""
    emu.control("POST", "stats/reset")
    token = emu.token()
    emu.control("POST", "stats/reset")
    headers = {"X-Esri-Authorization": f"Bearer {token}"}
    base = f"{emu.url}/sharing/rest/community/users/{USER}/tasks"
    start = time.perf_counter()
    ids: list[str] = []
    start_at: int = 1
    while start_at != -1:
        page = emu.http.get(
            base,
            params={"f": "json", "num": "100", "start": str(start_at)},
            headers=headers,
            timeout=60,
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
        expr = task(i, quiet_hours()[1] if i < n // 10 else BASE_HOUR)["schedule"]
        desired.append(
            DesiredTask(
                owner=USER,
                title=f"Task {i:05d}",
                type="ExecuteNotebook",
                item_id=item(i),
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
                item_id=item(i),
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
    from taskform.render.calendar.html import render_html
    from taskform.render.calendar.text import render_ics, render_markdown
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
                item_id=item(i),
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


def bench(
    n: int, latency_ms: int, parallelisms: list[int], repeat: int, official_python: str | None
) -> tuple[list[Row], float]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        emu = Emulator(work)
        try:
            print(f"N={n}: seeding…", file=sys.stderr, flush=True)
            seed(emu, n)
            emu.control("POST", "faults", {"latency_ms": latency_ms})
            reads = [floor_read(emu, n) for _ in range(repeat)]
            read_floor = median(reads)
            # Round trips that cannot overlap: the first page, then all others at once (the
            # emulator adds no latency to generateToken).
            rounds = 1 + (n > 100)
            trip = round(rounds * latency_ms / 1000, 3)
            rows.append(
                Row(n, f"bare {FLOOR_THREADS}-thread reader (the floor)", FLOOR_THREADS,
                    read_floor, 1 + math.ceil(n / 100), 0, math.ceil(n / 100), 1.0, None,
                    floor_s=trip, gap=round(read_floor / trip, 2), samples=reads)
            )  # fmt: skip
            config = work / "tasks.yaml"
            write_config(config, n, 0, BASE_HOUR)
            check = timed([sys.executable, "-m", "taskform", "validate", "-c", str(config)], repeat)
            checked = round(median(check) + read_floor, 3)
            rows.append(
                Row(n, "validate, then the bare reader", None, checked, 1 + math.ceil(n / 100),
                    0, math.ceil(n / 100), 1.0, None, floor_s=read_floor,
                    gap=round(checked / read_floor, 2), checked_floor_s=checked, checked_gap=1.0,
                    samples=[round(c + read_floor, 3) for c in check])
            )  # fmt: skip
            plan = ["plan", "-c", str(config)]
            hours = itertools.cycle(quiet_hours()[1:])  # a fresh change set each time
            for scenario, changed in (("plan, no changes", 0), ("plan, 10% changed", n // 10)):
                write_config(config, n, changed, next(hours))
                row = measure(emu, n, scenario, plan, 0, repeat=repeat)
                row.floor_s, row.gap = read_floor, round(row.wall_s / read_floor, 2)
                row.checked_floor_s, row.checked_gap = checked, round(row.wall_s / checked, 2)
                rows.append(row)
            changed = max(1, n // 10)
            for p in parallelisms:
                args = ["apply", "-c", str(config), "--auto-approve", "--parallelism", str(p)]

                def fresh(k: int, args: list[str] = args) -> list[str]:
                    write_config(config, n, changed, next(hours))  # a fresh change set
                    return args

                row = measure(emu, n, f"apply {changed} updates", fresh, changed, p, repeat)
                rows.append(row)
            writes = [floor_write(emu, n, changed, next(hours)) for _ in range(repeat)]
            write_floor = median([span for _, span in writes])
            rows.append(
                Row(n, f"bare {FLOOR_THREADS}-thread writer (the floor)", FLOOR_THREADS,
                    median([w for w, _ in writes]), changed, changed, changed, 1.0, None,
                    write_s=write_floor, samples=[round(w, 3) for w, _ in writes])
            )  # fmt: skip
            for row in rows:
                if row.scenario.startswith("apply") and row.write_s:
                    row.floor_s, row.gap = write_floor, round(row.write_s / write_floor, 2)
            if n <= 1000:
                rows.append(naive(emu, n))
        finally:
            emu.stop()
    other = official_row(n, latency_ms, official_python) if n <= 1000 else None
    if other is not None:
        rows.append(other)
    return rows, planner_cpu(n)


def table(rows: list[Row]) -> str:
    head = ["N", "scenario", "par", "wall s", "write s", "floor s", "gap", "checked s",
            "gap", "requests", "writes", "floor req", "peak MB"]  # fmt: skip
    body = [
        [
            str(r.n or "-"),
            r.scenario,
            str(r.parallelism or "-"),
            f"{r.wall_s:.2f}",
            f"{r.write_s:.2f}" if r.write_s is not None else "-",
            f"{r.floor_s:.2f}" if r.floor_s is not None else "-",
            f"{r.gap:.1f}x" if r.gap is not None else "-",
            f"{r.checked_floor_s:.2f}" if r.checked_floor_s is not None else "-",
            f"{r.checked_gap:.1f}x" if r.checked_gap is not None else "-",
            str(r.requests or "-"),
            str(r.writes or "-"),
            str(r.floor or "-"),
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
    parser.add_argument("--parallelism", default="1,4,10,16")
    parser.add_argument("--repeat", type=int, default=3, help="runs per row; medians shown")
    parser.add_argument("--machine", default="", help="a name for the machine, for the record")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument(
        "--calendar-only", action="store_true", help="only the calendar row (no emulator)"
    )
    parser.add_argument(
        "--official-python",
        help="a Python with the arcgis package (a scratch virtualenv) for the official-client "
        "row at N <= 1000; default: this Python, when arcgis is importable",
    )
    parser.add_argument(
        "--official-only", action="store_true", help="only the official-client rows"
    )
    parser.add_argument("--official-row", nargs=2, metavar=("URL", "N"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--compare",
        nargs="+",
        metavar="SRC",
        help="only interleaved plan runs of these checkouts' src folders (the largest --sizes)",
    )
    parser.add_argument("--compare-runs", type=int, default=8, help="runs each for --compare")
    args = parser.parse_args()
    if args.compare:
        size = max(int(n) for n in args.sizes.split(","))
        compare(args.compare, size, args.latency_ms, args.compare_runs)
        return
    if args.official_row:  # run by official_row() in the Python that has arcgis
        url, n = args.official_row
        row = official(_Running(url), int(n))
        print(json.dumps(asdict(row) if row else None))
        return
    if args.official_only:
        found = [official_row(int(n), args.latency_ms, args.official_python)
                 for n in args.sizes.split(",") if int(n) <= 1000]  # fmt: skip
        print(table([row for row in found if row is not None]))
        return
    if args.calendar_only:
        print(f"Calendar, 1000 tasks, 30 days (CPU s, one core): {calendar_cpu()}")
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    parallelisms = [int(p) for p in args.parallelism.split(",")]
    compile_package()
    rows: list[Row] = []
    cpu: dict[int, float] = {}
    rows += startup(args.repeat)
    for n in sizes:
        more, cpu[n] = bench(n, args.latency_ms, parallelisms, args.repeat, args.official_python)
        rows += more
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    if args.machine:
        machine = f"{args.machine} ({machine})"
    load = os.getloadavg()
    print(f"taskform benchmark — emulator latency {args.latency_ms} ms/request — {machine}")
    shown = " ".join(f"{x:.1f}" for x in load)
    print(f"load average at the end: {shown}; medians of {args.repeat} runs")
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
                    "load_average_end": [round(x, 2) for x in load],
                    "repeat": args.repeat,
                    "rows": [asdict(r) for r in rows],
                    "planner_cpu_s": {str(n): s for n, s in cpu.items()},
                },
                indent=2,
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
