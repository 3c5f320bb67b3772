"""``--target``: which tasks a target names, and the error (with a did-you-mean) for one that
names none."""

from __future__ import annotations

import pytest

from taskform.cli.targets import check_known, wanted
from taskform.errors import TaskformError

KEYS = [("admin", "Hourly sensor ingest"), ("admin", "Nightly refresh"), ("bob", "Weekly")]


def test_owners_match_without_case_titles_exactly() -> None:
    assert wanted(["ADMIN/Nightly refresh"], "admin", "Nightly refresh")
    assert not wanted(["admin/nightly refresh"], "admin", "Nightly refresh")
    assert wanted(["Weekly"], "bob", "Weekly")
    check_known(["ADMIN/Nightly refresh", "Weekly"], KEYS)


@pytest.mark.parametrize(
    ("target", "guess"),
    [
        ("hourly sensor ingest", "admin/Hourly sensor ingest"),
        ("admin/Nigthly refresh", "admin/Nightly refresh"),
        ("Bob/weekly", "bob/Weekly"),
    ],
)
def test_a_near_miss_gets_the_closest_task(target: str, guess: str) -> None:
    with pytest.raises(TaskformError) as caught:
        check_known([target], KEYS)
    assert str(caught.value) == (
        f"--target {target!r} names no declared or live task; did you mean --target {guess!r}?"
    )


def test_a_target_like_nothing_gets_the_form_and_portal_text_is_escaped() -> None:
    with pytest.raises(TaskformError) as caught:
        check_known(["zzz"], KEYS)
    assert "write OWNER/TITLE as the plan shows it" in str(caught.value)
    with pytest.raises(TaskformError) as caught:
        check_known(["admin/Evil title"], [("admin", "Evil\x1b[31m title")])
    assert "did you mean" in str(caught.value) and "\x1b" not in str(caught.value)
