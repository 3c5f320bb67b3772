"""The program's exit (:func:`taskform.cli.run`): the same code and output as a normal exit,
without the interpreter freeing every object first; the normal exit wherever it does more."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from taskform.schemas import load_schema

#: Runs ``run()`` with the given argv in a fresh interpreter after ``setup`` (Python source).
PROGRAM = "import sys\n{setup}\nsys.argv = {argv!r}\nfrom taskform.cli import run\nrun()\n"

#: An object that says so when the interpreter frees it at exit.
FREED = (
    "class Noisy:\n    def __del__(self):\n        print('freed', flush=True)\nnoisy = Noisy()\n"
)


def program(argv: list[str], setup: str = "") -> subprocess.CompletedProcess[str]:
    code = PROGRAM.format(setup=setup, argv=["taskform", *argv])
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_the_program_skips_freeing_objects_at_exit() -> None:
    done = program(["--version"], FREED)
    assert done.returncode == 0
    assert "version" in done.stdout
    assert "freed" not in done.stdout  # the normal exit frees it, and it prints


def test_the_whole_output_arrives_through_a_pipe() -> None:
    done = program(["schema"], FREED)
    assert done.returncode == 0
    assert json.loads(done.stdout) == load_schema()


def test_exit_codes_are_kept(tmp_path: Path) -> None:
    bad = tmp_path / "taskform.yaml"
    bad.write_text("version: 1\ntasks:\n  - title: x\n    type: NoSuchType\n")
    done = program(["validate", "-c", str(bad)], FREED)
    assert done.returncode == 1
    assert "taskform.yaml:4" in done.stderr
    assert "freed" not in done.stdout
    unknown = program(["no-such-command"])
    assert unknown.returncode == 1


def test_atexit_handlers_still_run() -> None:
    setup = "import atexit\natexit.register(print, 'handler ran', flush=True)\n"
    done = program(["--version"], setup)
    assert done.returncode == 0
    assert done.stdout.splitlines()[-1] == "handler ran"


def test_a_running_thread_is_waited_for_as_before() -> None:
    """A non-daemon thread still running at the end: the interpreter waits for it, so the
    program takes the normal exit (which also frees the objects)."""
    setup = (
        FREED + "import threading, time\n"
        "threading.Thread(target=lambda: (time.sleep(0.3), print('late', flush=True))).start()\n"
    )
    done = program(["--version"], setup)
    assert done.returncode == 0
    assert "late" in done.stdout
    assert "freed" in done.stdout


def test_output_that_cannot_be_flushed_takes_the_normal_exit() -> None:
    """The reader of stdout has gone once the command is done: the interpreter reports it at
    its exit, as it always did (status 120, "Exception ignored"), instead of a traceback."""
    setup = (
        "import io\n"
        "class Pipe(io.StringIO):\n"
        "    gone = False\n"
        "    def flush(self):\n"
        "        if self.gone:\n"
        "            raise BrokenPipeError(32, 'Broken pipe')\n"
        "sys.stdout = Pipe()\n"
        "import taskform.cli\n"
        "command = taskform.cli.main\n"
        "def main():\n"
        "    try:\n"
        "        command()\n"
        "    finally:\n"
        "        sys.stdout.gone = True\n"
        "taskform.cli.main = main\n"
    )
    done = program(["--version"], setup)
    assert done.returncode == 120, done.stderr
    assert "Exception ignored" in done.stderr and "BrokenPipeError" in done.stderr
    assert "Traceback" not in done.stderr.split("Exception ignored")[0]


def test_python_dash_m_is_the_same_program() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "taskform", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and "version" in done.stdout
