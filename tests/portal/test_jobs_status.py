"""Job answers of the Notebook Server (seed 001) and GP (seed 004) in one vocabulary, and the
run results that link to jobs (each plausible reading)."""

from __future__ import annotations

from typing import Any

import pytest

from taskform.jobs.model import Message, State
from taskform.model import CronFields, LiveTask
from taskform.portal.resources.jobs import JobsClient, gp_status, notebook_status

SEED_001_COMPLETED: dict[str, Any] = {
    "jobId": "j6185135c-92a8-4402-b8de-90a66dc61fcc",
    "messages": [
        "Input Notebook Path: /arcgis/home/.tasks/j61/c21.ipynb",
        "Output Notebook Path: /arcgis/home/.tasks/j61/output.ipynb",
        "Start processing time: 2020-09-18 09:05:04.315161",
        "Finish processing time: 2020-09-18 09:05:35.189362",
        "Successfully completed.",
    ],
    "startTime": 1600419894050,
    "endTime": 1600419939146,
    "type": "executeNotebook",
    "status": "COMPLETED",
    "customAttributes": {"isCancelled": False},
}


def test_notebook_states_progress_and_messages() -> None:
    done = notebook_status(SEED_001_COMPLETED)
    assert done.state is State.SUCCEEDED and done.percent == 100
    assert done.ended is not None and done.started is not None
    assert done.ended - done.started == 45096 and not done.errors
    running = notebook_status(
        {
            "status": "PROCESSING",
            "customAttributes": {"openNotebookProgress": {"message": "Creating", "percent": 50}},
        }
    )
    assert (running.state, running.percent, running.progress_message) == (
        State.RUNNING,
        50,
        "Creating",
    )
    assert notebook_status({"status": "SUBMITTED"}).state is State.SUBMITTED
    failed = notebook_status(
        {"status": "FAILED", "messages": ["Start processing time: x", "KeyError: 'a'"]}
    )
    assert failed.state is State.FAILED and failed.errors == (Message("error", "KeyError: 'a'"),)
    cancelled = notebook_status({"status": "FAILED", "customAttributes": {"isCancelled": True}})
    assert cancelled.state is State.CANCELLED


def test_gp_states_typed_messages_and_result_urls() -> None:
    url = "https://h/server/rest/services/T/GPServer/T/jobs/j1"
    status = gp_status(
        {
            "jobId": "j1",
            "jobStatus": "esriJobSucceeded",
            "results": {"Out": {"paramUrl": "results/Out"}},
            "messages": [
                {"type": "esriJobMessageTypeInformative", "description": "ok"},
                {"type": "esriJobMessageTypeWarning", "description": "careful"},
                {"type": "esriJobMessageTypeError", "description": "bad"},
            ],
        },
        url,
    )
    assert status.state is State.SUCCEEDED
    assert [m.type for m in status.messages] == ["informative", "warning", "error"]
    assert status.results == (("Out", url + "/results/Out"),)
    for raw, state in [
        ("esriJobNew", State.SUBMITTED),
        ("esriJobWaiting", State.SUBMITTED),
        ("esriJobExecuting", State.RUNNING),
        ("esriJobCancelling", State.CANCELLING),
        ("esriJobCancelled", State.CANCELLED),
        ("esriJobTimedOut", State.TIMED_OUT),
        ("esriJobFailed", State.FAILED),
    ]:
        assert gp_status({"jobStatus": raw}, url).state is state


class _Portal:
    """Just enough of PortalClient for job_of_run (no request is made)."""


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ("https://h/nb/admin/system/jobs/jabc", ("jabc", "https://h/nb/admin/system/jobs/jabc")),
        ('{"jobId": "jx", "jobUrl": "https://h/a/jobs/jx"}', ("jx", "https://h/a/jobs/jx")),
        ('{"jobId": "jg"}', ("jg", "https://h/s/GPServer/T/jobs/jg")),
        ("Failed to run the notebook: timeout", None),
        ("", None),
        ("{not json", None),
    ],
)
def test_run_results_that_link_to_jobs(result: str, expected: tuple[str, str] | None) -> None:
    task = LiveTask(
        id="t",
        owner="a",
        title="T",
        type="GPService",
        cron=CronFields("0", "1", "*", "*", "?"),
        task_url="https://h/s/GPServer/T",
    )
    ref = JobsClient(_Portal()).job_of_run(task, result)  # type: ignore[arg-type]
    assert (None if ref is None else (ref.job_id, ref.url)) == expected
