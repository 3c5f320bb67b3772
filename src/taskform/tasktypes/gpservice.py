"""GPService task parameters, checked against the description of the GP task they feed.

A ``GPService`` task's ``parameters`` are the inputs of the geoprocessing task at its
``task_url``. At plan time the caller reads each task URL's description (``GET <url>?f=json``)
and hands the answers here; this module is pure: no network, no clock.

- :func:`description_errors` checks an answer against the GP task JSON Schema of the ArcGIS
  REST API (``schemas/gp_task.schema.json``).
- :func:`check_gp_parameters` checks the declared parameters against a valid description:
  every required input given, no unknown names, values inside ``choiceList`` and ``range``
  filters, and the basic type of GPLong, GPDouble, GPBoolean and GPString values (also inside
  ``GPMultiValue:<type>`` lists).
- :func:`gp_problems` adds what to say about URLs whose description could not be read: a
  problem, or only a warning when the URL is on another host than the portal.

Every problem carries the file and line of its task. Secret parameter values are never shown.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from taskform.errors import ForeignHostError, PortalError, Problem
from taskform.model import DesiredTask
from taskform.schemas import load_schema, suggest
from taskform.tasktypes.base import ParameterChecks, TaskType

if TYPE_CHECKING:  # jsonschema loads when a GP description is read, never for a config alone
    from jsonschema import ValidationError
    from jsonschema.protocols import Validator

GP_TASK_SCHEMA = "gp_task.schema.json"

INPUT = "esriGPParameterDirectionInput"
REQUIRED = "esriGPParameterTypeRequired"
MULTIVALUE = "GPMultiValue:"

#: Request parameters of execute/submitJob that are not inputs of the task itself.
OPERATION_PARAMETERS = ("context", "env:outSR", "env:processSR", "returnZ", "returnM")

#: At most this many schema errors are listed for one description.
MAX_SCHEMA_ERRORS = 5

_URL_HINT = "task_url must be the URL of a GP task: .../GPServer/<task name>"
_EXPECTED = {
    "GPLong": "a whole number",
    "GPDouble": "a number",
    "GPBoolean": "true or false",
    "GPString": "text",
}


@cache
def _validator() -> Validator:
    from jsonschema.validators import validator_for

    schema = load_schema(GP_TASK_SCHEMA)
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def description_errors(description: Any) -> list[str]:
    """Why ``description`` is not a GP task description, in plain words; empty if it is one."""
    errors = sorted(_validator().iter_errors(description), key=lambda e: list(e.absolute_path))
    said = [_schema_error(e) for e in errors]
    if len(said) > MAX_SCHEMA_ERRORS:
        extra = len(said) - MAX_SCHEMA_ERRORS
        said = [*said[:MAX_SCHEMA_ERRORS], f"and {extra} more"]
    return said


def _schema_error(error: ValidationError) -> str:
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    message = error.message if len(error.message) <= 160 else error.message[:157] + "..."
    return f"{where.lstrip('.') or 'the answer'}: {message}"


def gp_tasks(tasks: Iterable[DesiredTask]) -> list[DesiredTask]:
    """The declared GPService tasks that have a task URL."""
    return [t for t in tasks if t.type == "GPService" and t.task_url]


def gp_task_urls(tasks: Iterable[DesiredTask]) -> list[str]:
    """The distinct task URLs of the GPService tasks, in declaration order."""
    return list(dict.fromkeys(t.task_url for t in gp_tasks(tasks) if t.task_url))


def check_gp_parameters(
    tasks: Iterable[DesiredTask], descriptions: Mapping[str, Any]
) -> list[Problem]:
    """Every problem of the GPService tasks' parameters, in task order.

    ``descriptions`` maps task URLs to what they answered; a task whose URL is not in it is
    not checked. An answer that is not a GP task description is a problem of each task using it.
    """
    problems: list[Problem] = []
    for task in gp_tasks(tasks):
        problems.extend(_task_problems(task, descriptions))
    return problems


def _task_problems(task: DesiredTask, descriptions: Mapping[str, Any]) -> list[Problem]:
    url = task.task_url or ""
    if url not in descriptions:
        return []
    errors = description_errors(descriptions[url])
    if errors:
        message = f"task_url {url} did not answer with a GP task description: " + "; ".join(errors)
        return [_problem(task, message, _URL_HINT)]
    return [_problem(task, m, h) for m, h in _check_task(task, descriptions[url])]


def gp_problems(
    tasks: Iterable[DesiredTask],
    descriptions: Mapping[str, Any],
    failures: Mapping[str, PortalError],
) -> tuple[list[Problem], list[str]]:
    """Problems and warnings of the GPService tasks, given what each task URL answered
    (``descriptions``) or how reading it failed (``failures``).

    A URL on another host than the portal (:class:`ForeignHostError`) is only a warning: the
    parameters of its tasks are not checked. Any other failure is a problem of each task.
    """
    problems: list[Problem] = []
    warnings: list[str] = []
    for task in gp_tasks(tasks):
        exc = failures.get(task.task_url or "")
        if isinstance(exc, ForeignHostError):
            warnings.append(
                f"{task.owner}/{task.title}: parameters not checked against the GP task: its "
                f"task_url is on {exc.host}, and taskform reads only from the portal's host "
                f"({exc.allowed}), so that the portal's credentials go nowhere else"
            )
        elif exc is not None:
            message = f"task_url {task.task_url}: could not read the GP task's description: {exc}"
            hint = "check task_url, and that the signed-in user may use the GP service"
            problems.append(_problem(task, message, hint))
        else:
            problems.extend(_task_problems(task, descriptions))
    return problems, warnings


def _problem(task: DesiredTask, message: str, hint: str = "") -> Problem:
    position = task.position
    file = position.file if position is not None else f"{task.owner}/{task.title}"
    return Problem(file, position.line if position is not None else None, message, hint)


# -- one task ------------------------------------------------------------------------------


def _check_task(task: DesiredTask, description: Mapping[str, Any]) -> list[tuple[str, str]]:
    gp_name = str(description.get("name") or "")
    specs: Sequence[Mapping[str, Any]] = description["parameters"]
    by_name = {str(p["name"]): p for p in specs}
    inputs = {name: p for name, p in by_name.items() if p["direction"] == INPUT}
    found: list[tuple[str, str]] = []
    for name, value in task.parameters.items():
        spec = inputs.get(name)
        if spec is not None:
            found.extend(_check_value(task, name, spec, value))
        elif name in by_name:
            message = f"parameters.{name}: '{name}' is an output of the GP task '{gp_name}'"
            found.append((message, "only inputs can be given; remove it"))
        elif name not in OPERATION_PARAMETERS:
            close = suggest(name, list(inputs))
            if close:
                hint = f"did you mean '{close}'?"
            elif inputs:
                hint = "its inputs: " + ", ".join(inputs)
            else:
                hint = "it has no inputs"
            found.append((f"parameters: the GP task '{gp_name}' has no input '{name}'", hint))
    for name, spec in inputs.items():
        if spec["parameterType"] != REQUIRED:
            continue
        if task.parameters.get(name) is None:
            message = f"parameters: missing '{name}', a required input of the GP task '{gp_name}'"
            found.append((message, f"its data type is {spec['dataType']}"))
    return found


def _check_value(
    task: DesiredTask, name: str, spec: Mapping[str, Any], value: Any
) -> list[tuple[str, str]]:
    if value is None:  # no value: the service's default (a required one is reported missing)
        return []
    data_type = str(spec["dataType"])
    secret = _is_secret(task, name)
    where = f"parameters.{name}"
    if not data_type.startswith(MULTIVALUE):
        return _check_one(where, data_type, spec, value, secret)
    base = data_type[len(MULTIVALUE) :]
    if not isinstance(value, list):
        shown = _show(value, secret)
        return [(f"{where}: expected a list ({data_type}), got {shown}", "")]
    found: list[tuple[str, str]] = []
    for index, item in enumerate(value):
        if item is not None:
            found.extend(_check_one(f"{where}[{index}]", base, spec, item, secret))
    return found


def _check_one(
    where: str, data_type: str, spec: Mapping[str, Any], value: Any, secret: bool
) -> list[tuple[str, str]]:
    shown = _show(value, secret)
    ok, number = _typed(data_type, value)
    if not ok:
        hint = "quote it" if data_type == "GPString" and isinstance(value, (int, float)) else ""
        return [(f"{where}: expected {_EXPECTED[data_type]} ({data_type}), got {shown}", hint)]
    found: list[tuple[str, str]] = []
    choices = spec.get("choiceList")
    if isinstance(choices, list) and choices and not _chosen(value, number, choices):
        listed = ", ".join(f"'{c}'" for c in choices[:12]) + (", ..." if len(choices) > 12 else "")
        close = suggest(value, [str(c) for c in choices]) if isinstance(value, str) else None
        hint = "" if secret or not close else f"did you mean '{close}'?"
        found.append((f"{where} must be one of {listed}, got {shown}", hint))
    bounds = spec.get("filter")
    if number is not None and isinstance(bounds, Mapping) and bounds.get("type") == "range":
        low, high = bounds.get("minimum"), bounds.get("maximum")
        too_low = isinstance(low, (int, float)) and number < low
        too_high = isinstance(high, (int, float)) and number > high
        if too_low or too_high:
            if isinstance(low, (int, float)) and isinstance(high, (int, float)):
                allowed = f"between {_num(low)} and {_num(high)}"
            else:
                allowed = f"at least {_num(low)}" if too_low else f"at most {_num(high)}"
            found.append((f"{where} must be {allowed}, got {shown}", ""))
    return found


def _typed(data_type: str, value: Any) -> tuple[bool, float | None]:
    """Whether ``value`` fits ``data_type`` and, for numbers, its numeric value.

    Text that reads as the number (as ``${env:NAME}`` gives) counts as the number, and the text
    ``true``/``false`` as a boolean: GP services read their inputs from text anyway. Data types
    other than these four are not checked.
    """
    if data_type not in _EXPECTED:
        return True, None
    if data_type == "GPString":
        return isinstance(value, str), None
    if data_type == "GPBoolean":
        text_bool = isinstance(value, str) and value.strip().lower() in ("true", "false")
        return isinstance(value, bool) or text_bool, None
    number = _number(value)
    if number is None:
        return False, None
    if data_type == "GPLong" and number != int(number):
        return False, None
    return True, number


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return float(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _chosen(value: Any, number: float | None, choices: list[Any]) -> bool:
    if isinstance(value, bool):
        text = "true" if value else "false"
        return any(str(c).lower() == text for c in choices)
    if isinstance(value, str) and value in [str(c) for c in choices]:
        return True
    if number is None:
        return False
    return any(_number(c) == number for c in choices)


def _is_secret(task: DesiredTask, name: str) -> bool:
    return any(path == name or path.startswith(name + ".") for path in task.secrets)


def _show(value: Any, secret: bool) -> str:
    if secret:
        return "(secret)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _num(value)
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "..."
        return "'" + text.replace("\n", "\\n") + "'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return json.dumps(value)


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def is_gp_task_url(url: str) -> bool:
    """Whether ``url`` is the URL of a GP task: http(s), a host, and a path ending in
    ``.../<service>/GPServer/<task name>``. Parsed, not matched: ``/GPServer/`` in the query
    or the fragment does not count."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return False
    segments = parts.path.rstrip("/").split("/")
    return (
        len(segments) >= 4
        and segments[-2] == "GPServer"
        and bool(segments[-1])
        and bool(segments[-3])
        and not any(ch.isspace() for ch in parts.path)
    )


_GP_EXAMPLE = "https://server.example.com/server/rest/services/Tools/Clip/GPServer/Clip"


def check(task: Mapping[str, Any], checks: ParameterChecks) -> None:
    """The configuration checks: a ``task_url`` that names a GP task (the parameters are checked
    against the task's description at plan time, :func:`check_gp_parameters`)."""
    url = task.get("task_url")
    if checks.missing("task_url"):
        message = "missing 'task_url': a GPService task needs the URL of its GP task"
        checks.add((), message, "e.g. " + _GP_EXAMPLE)
    elif isinstance(url, str) and not is_gp_task_url(url):
        message = "task_url must be the URL of a GP task: .../GPServer/<task name>"
        checks.add(("task_url",), message, "e.g. " + _GP_EXAMPLE)


TYPE = TaskType(
    name="GPService",
    summary="runs a geoprocessing service task",
    item_types=("Geoprocessing Service",),
    needs_task_url=True,
    check=check,
    runnable=True,
)
