"""Run a GitHub Actions workflow's steps locally, for the recipe tests.

The shell steps run for real (``bash -eo pipefail``, as GitHub's default shell), with the
workflow, job and step ``env`` and ``${{ }}`` expressions filled in from a context. What only
GitHub has is stubbed at its edges:

- ``gh`` is a small fake on PATH (:data:`FAKE_GH`) that keeps pull-request comments and the
  runs and artifacts in a JSON file;
- ``actions/upload-artifact`` copies into that same artifact store (``overwrite`` honoured),
  ``actions/checkout`` and ``actions/setup-python`` do nothing (the work tree is the checkout,
  the test's Python is the one set up);
- ``pip`` is a fake that records what it was asked to install (taskform itself is the one
  under test, already on PATH).

Expressions: dotted names (``github.event.pull_request.number``, ``secrets.X``, ``vars.X``,
``steps.ID.outputs.X``, ``env.X``), string and boolean literals, ``==``, ``!=``, ``||``,
``&&``, and ``always()``, ``success()``, ``failure()``: the subset the recipes use. A
hand-written evaluator, because no library evaluates GitHub's expression language.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

FAKE_GH = r"""
import json, os, shutil, sys
from pathlib import Path

state_file = Path(os.environ["FAKE_GH_STATE"])
state = json.loads(state_file.read_text())
args = sys.argv[1:]
log = state.setdefault("calls", [])
log.append(args)

# The flags each subcommand takes, as gh defines them (cli/cli at 44ee177, 2024-10-24:
# pkg/cmd/pr/comment/comment.go, pkg/cmd/api/api.go, pkg/cmd/run/list/list.go with
# cmdutil.AddJSONFlags, pkg/cmd/run/download/download.go). Flags that take a value map to
# True; a recipe that passes any other flag fails here as it would with the real gh.
FLAGS = {
    ("pr", "comment"): {"--body": True, "-b": True, "--body-file": True, "-F": True,
                        "--editor": False, "-e": False, "--web": False, "-w": False,
                        "--edit-last": False, "--repo": True, "-R": True},
    ("api",): {"--method": True, "-X": True, "--field": True, "-F": True, "--raw-field": True,
               "-f": True, "--header": True, "-H": True, "--paginate": False, "--slurp": False,
               "--input": True, "--silent": False, "--jq": True, "-q": True,
               "--template": True, "-t": True, "--include": False, "-i": False,
               "--hostname": True, "--cache": True, "--verbose": False},
    ("run", "list"): {"--limit": True, "-L": True, "--workflow": True, "-w": True,
                      "--branch": True, "-b": True, "--user": True, "-u": True,
                      "--event": True, "-e": True, "--created": True, "--commit": True,
                      "-c": True, "--all": False, "-a": False, "--status": True, "-s": True,
                      "--json": True, "--jq": True, "-q": True, "--template": True,
                      "-t": True, "--repo": True, "-R": True},
    ("run", "download"): {"--dir": True, "-D": True, "--name": True, "-n": True,
                          "--pattern": True, "-p": True, "--repo": True, "-R": True},
}
RUN_STATUSES = {"queued", "completed", "in_progress", "requested", "waiting", "pending",
                "action_required", "cancelled", "failure", "neutral", "skipped", "stale",
                "startup_failure", "success", "timed_out"}
command = tuple(args[:1]) if args[:1] == ["api"] else tuple(args[:2])
if command not in FLAGS:
    sys.exit(f"fake gh: unsupported {args}")
rest = args[len(command):]
i = 0
while i < len(rest):
    word = rest[i]
    if word.startswith("-"):
        if word not in FLAGS[command]:
            sys.exit(f"unknown flag: {word}")
        i += 2 if FLAGS[command][word] else 1
    else:
        i += 1
if command == ("run", "list") and "--status" in args:
    if args[args.index("--status") + 1] not in RUN_STATUSES:
        sys.exit("invalid argument for --status")

def opt(name, default=None):
    return args[args.index(name) + 1] if name in args else default

def save():
    state_file.write_text(json.dumps(state, indent=1))

if args[:2] == ["pr", "comment"]:
    body = Path(opt("--body-file")).read_text()
    comments = state.setdefault("comments", [])
    comments.append({"id": len(comments) + 1001, "body": body, "pr": args[2]})
elif args[0] == "api" and "-X" in args and opt("-X") == "PATCH":
    path = next(a for a in args[1:] if a.startswith("repos/"))
    number = int(path.rsplit("/", 1)[1])
    body = Path(opt("-F").split("=@", 1)[1]).read_text()
    for c in state["comments"]:
        if c["id"] == number:
            c["body"] = body
            break
    else:
        sys.exit("gh: HTTP 404: comment not found")
elif args[0] == "api":
    path = args[1]
    pr = path.split("/issues/")[1].split("/")[0]
    marker = None
    query = opt("--jq", "")
    if "startswith(" in query:
        marker = query.split('startswith("', 1)[1].split('")', 1)[0]
    for c in state.get("comments", []):
        if c["pr"] == pr and (marker is None or c["body"].startswith(marker)):
            print(c["id"])
elif args[:2] == ["run", "list"]:
    sha, workflow = opt("--commit"), opt("--workflow")
    runs = [
        r for r in state.get("runs", [])
        if r["sha"] == sha and r["workflow"] == workflow and r["conclusion"] == "success"
    ]
    if runs:
        print(runs[-1]["id"])
elif args[:2] == ["run", "download"]:
    run, name, where = args[2], opt("--name"), opt("--dir", ".")
    source = Path(state["store"]) / run / name
    if not source.is_dir():
        sys.exit(f"gh: no artifact {name} in run {run}")
    shutil.copytree(source, where, dirs_exist_ok=True)
else:
    sys.exit(f"fake gh: unsupported {args}")
save()
"""

FAKE_PIP = r"""
import json, os, sys
with open(os.environ["FAKE_PIP_LOG"], "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\n")
"""

_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_TOKEN = re.compile(r"\s*('(?:[^']|'')*'|==|!=|\|\||&&|\(|\)|[A-Za-z_][\w.\-]*\(\)|[\w.\-]+)")


@dataclass
class StepResult:
    name: str
    ran: bool
    code: int = 0
    stdout: str = ""
    stderr: str = ""


@dataclass
class RunResult:
    workflow: str
    run_id: str
    ok: bool
    steps: list[StepResult] = field(default_factory=list)
    summary: str = ""

    def step(self, fragment: str) -> StepResult:
        return next(s for s in self.steps if fragment in s.name)


class Actions:
    """One fake GitHub: a repository work tree, its workflows, runs, artifacts, comments."""

    def __init__(self, repo: Path, home: Path, tools: Path) -> None:
        self.repo, self.home = repo, home
        self.bin = home / "bin"
        self.bin.mkdir(parents=True, exist_ok=True)
        self.store = home / "artifacts"
        self.store.mkdir(exist_ok=True)
        self.state_file = home / "gh.json"
        self.state_file.write_text(json.dumps({"store": str(self.store)}))
        self.pip_log = home / "pip.log"
        for name, source in (("gh", FAKE_GH), ("pip", FAKE_PIP)):
            script = self.bin / name
            script.write_text(f"#!{sys.executable}\n{source}")
            script.chmod(script.stat().st_mode | stat.S_IXUSR)
        self.path = os.pathsep.join([str(self.bin), str(tools), os.environ.get("PATH", "")])
        self.runs = 0

    @property
    def state(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.state_file.read_text())
        return loaded

    def comments(self, pr: int) -> list[str]:
        return [c["body"] for c in self.state.get("comments", []) if c["pr"] == str(pr)]

    def pip_installs(self) -> list[list[str]]:
        lines = self.pip_log.read_text().splitlines() if self.pip_log.exists() else []
        return [json.loads(line) for line in lines]

    # -- running a workflow ------------------------------------------------------------------

    def run(
        self,
        workflow: str,
        event_name: str,
        event: dict[str, Any],
        *,
        sha: str,
        secrets: dict[str, str],
        variables: dict[str, str],
    ) -> RunResult:
        document = yaml.safe_load((self.repo / ".github" / "workflows" / workflow).read_text())
        self.runs += 1
        run_id = str(9000 + self.runs)
        context: dict[str, Any] = {
            "github": {
                "event_name": event_name,
                "event": event,
                "sha": sha,
                "token": "ghs_fake_token",
                "repository": "acme/gis-tasks",
            },
            "secrets": secrets,
            "vars": variables,
            "steps": {},
            "env": {},
        }
        result = RunResult(workflow, run_id, ok=True)
        for job in document["jobs"].values():
            if "if" in job and not self._truth(job["if"], context, ok=True):
                continue
            self._job(document, job, context, result)
        state = self.state
        state.setdefault("runs", []).append(
            {
                "id": run_id,
                "workflow": workflow,
                "sha": sha,
                "conclusion": "success" if result.ok else "failure",
            }
        )
        self.state_file.write_text(json.dumps(state, indent=1))
        return result

    def _job(
        self,
        document: dict[str, Any],
        job: dict[str, Any],
        context: dict[str, Any],
        result: RunResult,
    ) -> None:
        work = self.home / "runner" / result.run_id
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(self.repo, work, ignore=shutil.ignore_patterns(".git"))
        summary, output = work.parent / f"{result.run_id}.summary", work.parent / "output"
        summary.write_text("")
        env = {**self._fill(document.get("env", {}), context)}
        context["env"] = env
        env.update(self._fill(job.get("env", {}), {**context, "env": env}))
        for index, step in enumerate(job["steps"]):
            name = step.get("name") or step.get("uses") or step.get("run", "").split("\n")[0]
            condition = step.get("if", "success()")
            if not self._truth(condition, context, ok=result.ok):
                result.steps.append(StepResult(name, ran=False))
                continue
            step_env = {**env, **self._fill(step.get("env", {}), context)}
            output.write_text("")
            if "uses" in step:
                code, out, err = self._action(step, work, result.run_id, context)
            else:
                code, out, err = self._shell(step["run"], work, step_env, context, summary, output)
            result.steps.append(StepResult(name, True, code, out, err))
            outputs = dict(
                line.split("=", 1) for line in output.read_text().splitlines() if "=" in line
            )
            context["steps"][step.get("id", f"step{index}")] = {"outputs": outputs}
            if code != 0:
                result.ok = False
        result.summary = summary.read_text()

    def _shell(
        self,
        script: str,
        work: Path,
        env: dict[str, str],
        context: dict[str, Any],
        summary: Path,
        output: Path,
    ) -> tuple[int, str, str]:
        full_env = {
            "PATH": self.path,
            "HOME": str(self.home),
            "GITHUB_ACTIONS": "true",  # as the real runner sets it
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_REPOSITORY": context["github"]["repository"],
            "GITHUB_EVENT_NAME": context["github"]["event_name"],
            "FAKE_GH_STATE": str(self.state_file),
            "FAKE_PIP_LOG": str(self.pip_log),
            **env,
        }
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", self._text(script, context)],
            cwd=work,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        return proc.returncode, proc.stdout, proc.stderr

    def _action(
        self, step: dict[str, Any], work: Path, run_id: str, context: dict[str, Any]
    ) -> tuple[int, str, str]:
        uses = step["uses"].split("@")[0]
        given = self._fill(step.get("with", {}), context)
        if uses in ("actions/checkout", "actions/setup-python"):
            return 0, "", ""
        if uses == "actions/upload-artifact":
            target = self.store / run_id / given["name"]
            if target.exists() and given.get("overwrite") not in ("true", "True"):
                return 1, "", f"an artifact named {given['name']} already exists"
            source = work / given["path"]
            if not source.exists():
                ignore = given.get("if-no-files-found") == "ignore"
                return (0 if ignore else 1), "", f"no files found at {given['path']}"
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            shutil.copy(source, target / source.name)
            return 0, "", ""
        return 1, "", f"the local runner does not know {uses}"

    # -- expressions -------------------------------------------------------------------------

    def _fill(self, mapping: dict[str, Any], context: dict[str, Any]) -> dict[str, str]:
        return {k: self._text(str(v), context) for k, v in mapping.items()}

    def _text(self, text: str, context: dict[str, Any]) -> str:
        return _EXPR.sub(lambda m: _string(self._eval(m.group(1), context, ok=True)), text)

    def _truth(self, condition: str, context: dict[str, Any], *, ok: bool) -> bool:
        expression = _EXPR.sub(lambda m: m.group(1), str(condition))
        value = self._eval(expression, context, ok=ok)
        if "always()" not in expression and "failure()" not in expression and not ok:
            return False  # GitHub adds success() to a condition that names no status check
        return bool(value)

    def _eval(self, expression: str, context: dict[str, Any], *, ok: bool) -> Any:
        tokens = _TOKEN.findall(expression)
        if "".join(tokens).replace(" ", "") != expression.replace(" ", ""):
            raise ValueError(f"expression outside the supported subset: {expression!r}")

        def value(token: str) -> Any:
            if token.startswith("'"):
                return token[1:-1].replace("''", "'")
            if token in ("true", "false"):
                return token == "true"
            if token == "always()":
                return True
            if token == "success()":
                return ok
            if token == "failure()":
                return not ok
            node: Any = context
            for part in token.split("."):
                node = node.get(part) if isinstance(node, dict) else None
            return node

        def compare(i: int) -> tuple[Any, int]:
            left = value(tokens[i])
            if i + 1 < len(tokens) and tokens[i + 1] in ("==", "!="):
                right = value(tokens[i + 2])
                equal = _string(left) == _string(right)
                return (equal if tokens[i + 1] == "==" else not equal), i + 3
            return left, i + 1

        result, i = compare(0)
        while i < len(tokens):
            op = tokens[i]
            right, i = compare(i + 1)
            result = (result and right) if op == "&&" else (result or right)
        return result


def _string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
