"""GPService parameters checked against the GP task's description (engine.gptask), and the
plan-time glue that reads the descriptions (engine.workflow.check_gp_services)."""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from taskform.config.loader import Config, load_config
from taskform.errors import ConfigError, ForeignHostError, NotFound, Problem, TransientError
from taskform.model import CronFields, DesiredTask, Position
from taskform.tasktypes.gpservice import (
    check_gp_parameters,
    description_errors,
    gp_problems,
    gp_task_urls,
)
from taskform.workflow.snapshot import check_gp_services, snapshot
from tests.support.fakes import MemoryPortal

URL = "https://gis.example.com/server/rest/services/Utilities/Trace/GPServer/Trace"
ITEM = "9a8b7c6d5e4f40312a1b2c3d4e5f6a7b"


def _param(name: str, data_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "dataType": data_type,
        "displayName": name.replace("_", " "),
        "description": "",
        "direction": "esriGPParameterDirectionInput",
        "defaultValue": None,
        "parameterType": "esriGPParameterTypeOptional",
        "category": "",
        **extra,
    }


#: A GP task description shaped like the ArcGIS REST API's GP task resource.
TRACE: dict[str, Any] = {
    "name": "Trace",
    "displayName": "Trace",
    "description": "Traces the utility network from starting points.",
    "category": "",
    "helpUrl": "https://gis.example.com/server/rest/directories/arcgisoutput/Trace.htm",
    "executionType": "esriExecutionTypeAsynchronous",
    "parameters": [
        _param(
            "Starting_Points",
            "GPFeatureRecordSetLayer",
            parameterType="esriGPParameterTypeRequired",
            filter={"type": "featureClass", "list": ["esriGeometryPoint"]},
            defaultValue={"geometryType": "esriGeometryPoint", "fields": [], "features": []},
        ),
        _param(
            "Trace_Type",
            "GPString",
            defaultValue="downstream",
            choiceList=["upstream", "downstream", "connected"],
        ),
        _param(
            "Max_Features",
            "GPLong",
            defaultValue=1000,
            filter={"type": "range", "minimum": 1, "maximum": 10000},
        ),
        _param("Tolerance", "GPDouble", defaultValue=0.5, filter={"type": "range", "minimum": 0}),
        _param("Include_Barriers", "GPBoolean", defaultValue=True),
        _param("Layers", "GPMultiValue:GPString", defaultValue=[], choiceList=["pipes", "valves"]),
        _param("Label", "GPString", defaultValue=""),
        _param(
            "Output_Features",
            "GPFeatureRecordSetLayer",
            direction="esriGPParameterDirectionOutput",
            parameterType="esriGPParameterTypeDerived",
        ),
    ],
}

GOOD = {
    "Starting_Points": {"url": "https://gis.example.com/server/rest/services/Net/FeatureServer/0"},
    "Trace_Type": "upstream",
    "Max_Features": 500,
    "Tolerance": 2,
    "Include_Barriers": False,
    "Layers": ["pipes"],
    "Label": "nightly",
}


def gp(parameters: Mapping[str, Any], *, url: str = URL, line: int = 7, **kw: Any) -> DesiredTask:
    return DesiredTask(
        owner="admin",
        title=kw.pop("title", "Nightly network trace"),
        type="GPService",
        item_id=ITEM,
        schedule="0 1 * * *",
        cron=CronFields("0", "1", "*", "*", "?"),
        parameters=dict(parameters),
        task_url=url,
        position=Position("taskform.yaml", line),
        **kw,
    )


def messages(parameters: Mapping[str, Any], **kw: Any) -> list[str]:
    return [str(p) for p in check_gp_parameters([gp(parameters, **kw)], {URL: TRACE})]


# -- the description itself -----------------------------------------------------------------


def test_the_example_description_is_valid() -> None:
    assert description_errors(TRACE) == []


def test_a_description_that_fails_the_gp_task_schema() -> None:
    bad = copy.deepcopy(TRACE)
    del bad["executionType"]
    bad["parameters"][1]["direction"] = "in"
    del bad["parameters"][2]["parameterType"]
    bad["parameters"][3]["filter"] = {"type": "between", "minimum": "0"}
    errors = description_errors(bad)
    assert errors[0] == "the answer: 'executionType' is a required property"
    assert "parameters[1].direction: 'in' is not one of" in errors[1]
    assert errors[2] == "parameters[2]: 'parameterType' is a required property"
    assert any(e.startswith("parameters[3].filter.minimum: '0' is not of type") for e in errors)
    assert any(e.startswith("parameters[3].filter.type: 'between' is not one of") for e in errors)
    (problem,) = check_gp_parameters([gp(GOOD)], {URL: bad})
    assert (problem.file, problem.line) == ("taskform.yaml", 7)
    assert problem.message.startswith(f"task_url {URL} did not answer with a GP task description")
    assert "'executionType' is a required property" in problem.message
    assert problem.hint == "task_url must be the URL of a GP task: .../GPServer/<task name>"


def test_many_schema_errors_are_cut_short() -> None:
    bad: dict[str, Any] = {"parameters": [{}] * 3}
    errors = description_errors(bad)
    assert len(errors) == 6 and errors[-1].startswith("and ") and errors[-1].endswith(" more")


@pytest.mark.parametrize("answer", [[], "Trace", None, {"error": {"code": 400}}])
def test_answers_that_are_not_objects_or_lack_everything(answer: Any) -> None:
    assert description_errors(answer)


# -- the parameters ------------------------------------------------------------------------


def test_valid_parameters_have_no_problems() -> None:
    assert messages(GOOD) == []
    only_required = {"Starting_Points": GOOD["Starting_Points"]}
    assert messages(only_required) == []


def test_operation_parameters_and_null_optionals_are_accepted() -> None:
    params = {**GOOD, "context": {"outSR": {"wkid": 3857}}, "env:outSR": 3857, "Label": None}
    assert messages(params) == []


def test_missing_required_input() -> None:
    params = {k: v for k, v in GOOD.items() if k != "Starting_Points"}
    assert messages(params) == [
        "taskform.yaml:7: parameters: missing 'Starting_Points', a required input of the GP "
        "task 'Trace' (its data type is GPFeatureRecordSetLayer)"
    ]
    assert messages({**GOOD, "Starting_Points": None}) == messages(params)


def test_unknown_parameter_with_a_suggestion() -> None:
    assert messages({**GOOD, "Max_Feature": 10}) == [
        "taskform.yaml:7: parameters: the GP task 'Trace' has no input 'Max_Feature' "
        "(did you mean 'Max_Features'?)"
    ]


def test_unknown_parameter_without_a_suggestion_lists_the_inputs() -> None:
    (message,) = messages({**GOOD, "Zzz": 1})
    assert message.endswith(
        "(its inputs: Starting_Points, Trace_Type, Max_Features, Tolerance, "
        "Include_Barriers, Layers, Label)"
    )


def test_an_output_parameter_is_not_an_input() -> None:
    assert messages({**GOOD, "Output_Features": "x"}) == [
        "taskform.yaml:7: parameters.Output_Features: 'Output_Features' is an output of the GP "
        "task 'Trace' (only inputs can be given; remove it)"
    ]


def test_value_outside_the_choice_list() -> None:
    assert messages({**GOOD, "Trace_Type": "Upstream"}) == [
        "taskform.yaml:7: parameters.Trace_Type must be one of 'upstream', 'downstream', "
        "'connected', got 'Upstream' (did you mean 'upstream'?)"
    ]
    assert messages({**GOOD, "Trace_Type": "sideways"}) == [
        "taskform.yaml:7: parameters.Trace_Type must be one of 'upstream', 'downstream', "
        "'connected', got 'sideways'"
    ]


def test_multivalue_items_are_checked_one_by_one() -> None:
    assert messages({**GOOD, "Layers": ["pipes", "mains"]}) == [
        "taskform.yaml:7: parameters.Layers[1] must be one of 'pipes', 'valves', got 'mains'"
    ]
    assert messages({**GOOD, "Layers": "pipes"}) == [
        "taskform.yaml:7: parameters.Layers: expected a list (GPMultiValue:GPString), got 'pipes'"
    ]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("Max_Features", 0, "parameters.Max_Features must be between 1 and 10000, got 0"),
        ("Max_Features", 10001, "parameters.Max_Features must be between 1 and 10000, got 10001"),
        (
            "Max_Features",
            "20000",
            "parameters.Max_Features must be between 1 and 10000, got '20000'",
        ),
        ("Tolerance", -0.5, "parameters.Tolerance must be at least 0, got -0.5"),
    ],
)
def test_numbers_outside_a_range_filter(name: str, value: Any, expected: str) -> None:
    assert messages({**GOOD, name: value}) == [f"taskform.yaml:7: {expected}"]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("Max_Features", "many", "expected a whole number (GPLong), got 'many'"),
        ("Max_Features", 2.5, "expected a whole number (GPLong), got 2.5"),
        ("Max_Features", True, "expected a whole number (GPLong), got true"),
        ("Tolerance", "wide", "expected a number (GPDouble), got 'wide'"),
        ("Tolerance", [1], "expected a number (GPDouble), got a list"),
        ("Include_Barriers", "yes", "expected true or false (GPBoolean), got 'yes'"),
        ("Include_Barriers", 1, "expected true or false (GPBoolean), got 1"),
        ("Label", {"a": 1}, "expected text (GPString), got a mapping"),
        ("Label", 5, "expected text (GPString), got 5 (quote it)"),
    ],
)
def test_basic_types(name: str, value: Any, expected: str) -> None:
    assert messages({**GOOD, name: value}) == [f"taskform.yaml:7: parameters.{name}: {expected}"]


def test_text_that_reads_as_the_type_is_accepted() -> None:
    """${env:NAME} always gives text; GP services read their inputs from text anyway."""
    params = {**GOOD, "Max_Features": "250", "Tolerance": "0.25", "Include_Barriers": "TRUE"}
    assert messages(params) == []
    assert messages({**GOOD, "Max_Features": 250.0}) == []


def test_types_the_schema_does_not_describe_are_not_checked() -> None:
    assert messages({**GOOD, "Starting_Points": 42}) == []


def test_every_problem_of_a_task_is_reported() -> None:
    params = {"Trace_Type": "sideways", "Max_Features": 0, "Tolerance": "x", "Bogus": 1}
    found = messages(params)
    assert len(found) == 5
    assert found[-1].startswith("taskform.yaml:7: parameters: missing 'Starting_Points'")


def test_secret_values_are_never_shown() -> None:
    task = gp(
        {**GOOD, "Trace_Type": "hunter2-secret", "Layers": ["s3cr3t"]},
        secrets=frozenset({"Trace_Type", "Layers.0"}),
    )
    text = "\n".join(str(p) for p in check_gp_parameters([task], {URL: TRACE}))
    assert "got (secret)" in text and "hunter2" not in text and "s3cr3t" not in text
    assert "did you mean" not in text


def test_only_gpservice_tasks_with_a_description_are_checked() -> None:
    other = DesiredTask(
        owner="admin",
        title="nb",
        type="ExecuteNotebook",
        cron=CronFields("0", "1", "*", "*", "?"),
        parameters={"x": 1},
    )
    elsewhere = gp({"Bogus": 1}, url=URL + "2", title="Elsewhere")
    assert check_gp_parameters([other, elsewhere], {URL: TRACE}) == []
    assert gp_task_urls([other, elsewhere, gp({}), gp({}, title="Again")]) == [
        URL + "2",
        URL,
    ]


# -- what could not be read ----------------------------------------------------------------


def test_foreign_host_is_a_warning_and_other_failures_are_problems() -> None:
    foreign = gp({"Bogus": 1}, url="https://other.example.com/a/GPServer/T", title="Far")
    missing = gp({}, url=URL + "X", title="Missing", line=12)
    failures = {
        foreign.task_url or "": ForeignHostError("other.example.com", "gis.example.com"),
        missing.task_url or "": NotFound("Service Utilities/Trace/GPServer not found", code=404),
    }
    problems, warnings = gp_problems([foreign, missing, gp({})], {URL: TRACE}, failures)
    assert warnings == [
        "admin/Far: parameters not checked against the GP task: its task_url is on "
        "other.example.com, and taskform reads only from the portal's host (gis.example.com), "
        "so that the portal's credentials go nowhere else"
    ]
    assert [(p.line, p.message) for p in problems] == [
        (
            12,
            f"task_url {URL}X: could not read the GP task's description: "
            "Service Utilities/Trace/GPServer not found [code 404]",
        ),
        (7, "parameters: missing 'Starting_Points', a required input of the GP task 'Trace'"),
    ]


# -- reading the descriptions (workflow) ---------------------------------------------------


class Describer:
    """A stand-in for the portal client's get_json: counts calls per URL, checks overlap."""

    def __init__(self, answers: Mapping[str, Any]) -> None:
        self.answers = answers
        self.calls: dict[str, int] = {}
        self.lock = threading.Lock()
        self.barrier = threading.Barrier(2, timeout=5)

    def __call__(self, url: str) -> Mapping[str, Any]:
        with self.lock:
            self.calls[url] = self.calls.get(url, 0) + 1
        if url in (URL, URL + "2"):
            self.barrier.wait()  # both URLs are being read at the same time
        answer = self.answers[url]
        if isinstance(answer, Exception):
            raise answer
        result: Mapping[str, Any] = answer
        return result


def test_each_url_is_read_once_and_concurrently() -> None:
    describe = Describer({URL: TRACE, URL + "2": TRACE})
    tasks = [gp(GOOD), gp(GOOD, title="Second"), gp(GOOD, url=URL + "2", title="Third")]
    assert check_gp_services(tasks, describe) == ((), ())
    assert describe.calls == {URL: 1, URL + "2": 1}


def test_problems_raise_one_config_error() -> None:
    describe = Describer({URL: TRACE, URL + "2": TRACE})
    tasks = [gp({"Bogus": 1}), gp({}, url=URL + "2", title="Other", line=20)]
    with pytest.raises(ConfigError) as caught:
        check_gp_services(tasks, describe)
    lines = [p.line for p in caught.value.problems]
    assert lines == [7, 7, 20]
    assert str(caught.value).startswith("3 problems in the configuration:")


def test_transient_failures_are_raised_as_they_are() -> None:
    def describe(url: str) -> Mapping[str, Any]:
        raise TransientError("the portal answered HTTP 503", request=f"GET {url}")

    with pytest.raises(TransientError, match="HTTP 503"):
        check_gp_services([gp(GOOD)], describe)


def test_no_gpservice_task_means_no_request() -> None:
    def describe(url: str) -> Mapping[str, Any]:
        raise AssertionError("no request expected")

    assert check_gp_services([], describe) == ((), ())


def test_snapshot_adds_the_warnings_to_the_plan() -> None:
    far = gp(GOOD, url="https://other.example.com/a/GPServer/T")
    config = Config(portal=None, owner=None, prune=False, tasks=(far,), files=("taskform.yaml",))

    def describe(url: str) -> Mapping[str, Any]:
        raise ForeignHostError("other.example.com", "gis.example.com")

    snap = snapshot(config, MemoryPortal(), describe=describe)
    assert len(snap.plan.changes) == 1
    assert snap.plan.warnings[-1].startswith("admin/Nightly network trace: parameters not")
    assert snapshot(config, MemoryPortal()).plan.warnings == ()  # without describe: no check


def test_snapshot_raises_the_problems() -> None:
    config = Config(portal=None, owner=None, prune=False, tasks=(gp({}),), files=("t.yaml",))
    with pytest.raises(ConfigError, match="missing 'Starting_Points'"):
        snapshot(config, MemoryPortal(), describe=lambda url: TRACE)


def test_positions_and_secrets_come_from_the_yaml(tmp_path: Path) -> None:
    (tmp_path / "taskform.yaml").write_text(
        f"""\
version: 1
tasks:
  - title: Notebook
    type: ExecuteNotebook
    item_id: {ITEM}
    schedule: "0 2 * * *"

  - title: Trace
    type: GPService
    item_id: {ITEM}
    task_url: {URL}
    schedule: "0 1 * * *"
    parameters:
      Starting_Points: {{url: "https://gis.example.com/x/FeatureServer/0"}}
      Trace_Type: ${{secret:TRACE_TYPE}}
      Max_Features: ${{env:MAX_FEATURES}}
""",
        encoding="utf-8",
    )
    env = {"TRACE_TYPE": "classified-value", "MAX_FEATURES": "99999"}
    config = load_config(tmp_path / "taskform.yaml", env=env)
    problems = check_gp_parameters(config.present, {URL: TRACE})
    assert [(Path(p.file).name, p.line) for p in problems] == [("taskform.yaml", 8)] * 2
    text = "\n".join(str(p) for p in problems)
    assert "classified-value" not in text and "got (secret)" in text
    assert "parameters.Max_Features must be between 1 and 10000, got '99999'" in text
    assert all(isinstance(p, Problem) for p in problems)
