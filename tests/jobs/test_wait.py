"""The waiting loop on a fake clock: every ending, the poll period, failed polls, Ctrl-C."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from taskform.errors import PortalError, TransientError
from taskform.jobs.model import JobStatus, State
from taskform.jobs.wait import MAX_INTERVAL, Ending, next_interval, wait


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def status(state: State, percent: int | None = None) -> JobStatus:
    return JobStatus(state=state, raw=state.name, percent=percent)


def job(
    clock: FakeClock, ends_at: float, final: State = State.SUCCEEDED
) -> Callable[[], JobStatus]:
    """A job that is submitted for 1 s, then running, then ``final`` at ``ends_at``."""

    def poll() -> JobStatus:
        if clock.now >= ends_at:
            return status(final, 100)
        if clock.now < 1:
            return status(State.SUBMITTED)
        return status(State.RUNNING, int(100 * clock.now / ends_at))

    return poll


def test_succeeds_and_reports_every_poll() -> None:
    clock = FakeClock()
    seen: list[tuple[State, float]] = []
    cancels: list[bool] = []
    result = wait(
        job(clock, 10),
        lambda: cancels.append(True),
        interval=2,
        clock=clock,
        sleep=clock.sleep,
        on_status=lambda s, e: seen.append((s.state, e)),
    )
    assert result.ending is Ending.DONE and result.status is not None
    assert result.status.state is State.SUCCEEDED and result.elapsed == 10
    assert [e for _, e in seen] == [0, 2, 4, 6, 8, 10]
    assert seen[0][0] is State.SUBMITTED and seen[1][0] is State.RUNNING
    assert clock.sleeps == [2] * 5 and not cancels


@pytest.mark.parametrize("final", [State.FAILED, State.CANCELLED, State.TIMED_OUT])
def test_other_final_states_end_the_wait(final: State) -> None:
    clock = FakeClock()
    result = wait(job(clock, 3, final), lambda: None, interval=1, clock=clock, sleep=clock.sleep)
    assert result.ending is Ending.DONE and result.status is not None
    assert result.status.state is final and not result.cancelled


def test_timeout_cancels_the_job_and_reads_it_once_more() -> None:
    clock = FakeClock()
    cancelled: list[float] = []
    state = {"cancelled": False}

    def poll() -> JobStatus:
        return status(State.CANCELLED if state["cancelled"] else State.RUNNING)

    def cancel() -> None:
        cancelled.append(clock.now)
        state["cancelled"] = True

    result = wait(poll, cancel, interval=2, timeout=5, clock=clock, sleep=clock.sleep)
    assert result.ending is Ending.TIMED_OUT and result.cancelled
    assert cancelled == [5] and clock.sleeps == [2, 2, 1]  # never sleeps past the timeout
    assert result.status is not None and result.status.state is State.CANCELLED


def test_ctrl_c_cancels_the_job() -> None:
    clock = FakeClock()
    cancels: list[float] = []

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        if clock.now >= 4:
            raise KeyboardInterrupt

    result = wait(
        job(clock, 100),
        lambda: cancels.append(clock.now),
        interval=2,
        clock=clock,
        sleep=sleep,
    )
    assert result.ending is Ending.INTERRUPTED and result.cancelled and cancels == [4]


def test_a_failed_cancel_is_reported_not_raised() -> None:
    clock = FakeClock()

    def cancel() -> None:
        raise PortalError("cancel refused")

    result = wait(job(clock, 100), cancel, interval=1, timeout=2, clock=clock, sleep=clock.sleep)
    assert result.ending is Ending.TIMED_OUT and not result.cancelled
    assert result.error == "cancel refused"


def test_failed_polls_are_tolerated_then_the_job_is_lost() -> None:
    clock = FakeClock()
    answers: list[Exception | JobStatus] = [
        status(State.RUNNING),
        TransientError("HTTP 503"),
        TransientError("HTTP 503"),
        status(State.RUNNING),  # the count starts again after a good poll
        TransientError("HTTP 503"),
        TransientError("HTTP 503"),
        TransientError("HTTP 502"),
    ]

    def poll() -> JobStatus:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    result = wait(poll, lambda: None, interval=1, clock=clock, sleep=clock.sleep)
    assert result.ending is Ending.LOST and result.error == "HTTP 502" and not answers
    assert result.status is not None and result.status.state is State.RUNNING


def test_a_non_transient_poll_error_propagates() -> None:
    clock = FakeClock()

    def poll() -> JobStatus:
        raise PortalError("job not found", code=404)

    with pytest.raises(PortalError):
        wait(poll, lambda: None, clock=clock, sleep=clock.sleep)


def test_polls_slow_down_politely_on_long_jobs() -> None:
    assert next_interval(2, 0) == 2 and next_interval(2, 59) == 2
    assert next_interval(2, 100) == 5 and next_interval(2, 10_000) == MAX_INTERVAL
    assert next_interval(60, 10_000) == 60  # never faster than asked
    clock = FakeClock()
    wait(job(clock, 600), lambda: None, interval=2, clock=clock, sleep=clock.sleep)
    assert clock.sleeps[0] == 2 and 20 < max(clock.sleeps) <= MAX_INTERVAL
    assert len(clock.sleeps) < 100  # 600 s at 2 s would be 300 polls
