"""Every text and Markdown view escapes foreign text: random titles (control characters,
terminal escapes, bidi overrides, HTML, Markdown punctuation, line breaks) through each view."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from taskform import render
from taskform.changes import Action, ApplyReport, Change, FieldChange, Outcome, Plan, TaskResult
from taskform.errors import PortalError
from taskform.model import CronFields, LiveTask, Run
from taskform.plan.drift import DriftItem, DriftKind
from taskform.render import escape
from taskform.render.live.drift import render_drift_markdown, render_drift_text
from taskform.render.live.status import render_status_text, status_rows
from tests.support.changes import make_change

HOSTILE = [
    "\x1b]0;pwned\x07",  # set the window title
    "\x1b[2J\x1b[H",  # clear the screen
    "\x9b31m",  # C1 CSI
    "\x7f",
    "\u202eevil\u202c",  # right-to-left override
    "\u2066x\u2069",
    "\n# Heading\n",
    "\r\n| a | b |\n|---|---|",
    "<img src=x onerror=alert(1)>",
    "<!-- -->",
    "</details>",
    "`code`",
    "**bold** _it_ [link](http://x)",
    "\u2028\u2029\x85",
    "> quote",
    "1. item",
    "- item",
]
titles = st.lists(
    st.one_of(st.sampled_from(HOSTILE), st.text(max_size=8)), min_size=1, max_size=4
).map("".join)

UNSAFE = re.compile(
    r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def _change(action: Action, title: str) -> Change:
    fields = {f"parameters.{title}": FieldChange(title, title + "x")}
    if action is Action.CREATE:
        fields = {f"parameters.{title}": FieldChange(None, title)}
    if action is Action.DELETE:
        fields = {}
    return make_change(
        action,
        owner=f"o{title}",
        title=title,
        task_id=None if action is Action.CREATE else f"id{title}",
        fields=fields,
    )


def _live(title: str) -> LiveTask:
    return LiveTask(
        id=f"id{title}",
        owner=f"o{title}",
        title=title,
        type="ExecuteNotebook",
        cron=CronFields(*"02?*2"),
        task_state=title,
    )


def _assert_terminal_safe(text: str) -> None:
    """Nothing but printable characters and line breaks: no escape reaches the terminal."""
    found = UNSAFE.findall(text)
    assert not found, found
    assert all(ch == "\n" or ch.isprintable() for ch in text)


def _assert_markdown_safe(text: str, title: str, rows: int) -> None:
    _assert_terminal_safe(text)
    allowed = ("<!-- taskform:plan -->", "<details>", "<summary>", "</summary>", "</details>")
    stripped = re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", text)  # code spans show text as is
    for tag in allowed:
        stripped = stripped.replace(tag, "")
    if "<details>" not in text:
        assert "<" not in stripped, "raw HTML from a title"
    # No heading, quote or table row comes from the title: every table row keeps its cells.
    for line in text.split("\n"):
        if line.startswith("|") and not line.startswith("|---"):
            cells = re.split(r"(?<!\\)\|", line)
            assert len(cells) == rows + 2, line


@settings(max_examples=60, deadline=None)
@given(titles)
def test_plan_views_escape_titles(title: str) -> None:
    plan = Plan(
        changes=tuple(_change(a, title) for a in (Action.CREATE, Action.UPDATE, Action.DELETE)),
        unmanaged=(_live(title),),
        warnings=(f"warning about {title}",),
    )
    _assert_terminal_safe(render.render_text(plan))
    md = render.render_markdown(plan, title=title, meta={"portal": title})
    _assert_markdown_safe(md.split("<details>")[0], title, rows=4)


@settings(max_examples=60, deadline=None)
@given(titles)
def test_apply_report_escapes_titles_and_messages(title: str) -> None:
    results = tuple(
        TaskResult(_change(a, title), outcome, message=f"failed: {title}", task_id=title)
        for a, outcome in ((Action.CREATE, Outcome.FAILED), (Action.UPDATE, Outcome.APPLIED))
    )
    _assert_terminal_safe(render.render_apply_report(ApplyReport(results=results)))


@settings(max_examples=60, deadline=None)
@given(titles)
def test_drift_and_status_escape_live_titles(title: str) -> None:
    items = [
        DriftItem(
            kind=DriftKind.CONFIG_CHANGED,
            owner=f"o{title}",
            title=title,
            task_id=title,
            apply="update",
            fields={title: FieldChange(title, None)},
            detail=title,
        ),
        DriftItem(kind=DriftKind.UNMANAGED, owner="o", title=title, task_id="x", apply="none"),
    ]
    _assert_terminal_safe(render_drift_text(items))
    _assert_markdown_safe(render_drift_markdown(items), title, rows=5)
    runs = {f"id{title}": [Run(run_id="r", status=title, result=title, created=1)]}
    _assert_terminal_safe(render_status_text(status_rows([_live(title)], runs)))


@settings(max_examples=60, deadline=None)
@given(titles)
def test_errors_escape_portal_text(title: str) -> None:
    error = PortalError(f"no task titled {title}", request=f"GET x/{title}", details=[title])
    _assert_terminal_safe(escape.lines(str(error)))


def test_escape_examples() -> None:
    assert escape.text("a\x1b[2Jb\u202e") == "a\\x1b[2Jb\\u202e"
    assert escape.text("\x9b\x7f") == "\\x9b\\x7f"
    assert escape.lines("one\ntwo\x07") == "one\ntwo\\x07"
    assert escape.md_inline("# <b>x</b> | y") == "\\# &lt;b&gt;x&lt;/b&gt; \\| y"
    assert escape.md_inline("1. first") == "1\\. first"
    assert escape.md_inline("- a\n# b") == "\\- a \\# b"
    assert escape.md_code("a`b", table=True) == "``a`b``"


def test_markdown_escaping_never_hides_a_secret_from_the_scrub() -> None:
    """A secret holding Markdown punctuation is masked before the backslashes go in: the
    escaped form (``Sup3r\\*S3cret\\_\\[x\\]``) renders as the secret itself."""
    from taskform import redact

    secret = "Sup3r*S3cret_[x]!&<y>|`z"
    redact.register(secret)
    try:
        title = f"echo {secret} end"
        plan = Plan(changes=(make_change(Action.CREATE, "admin", title),))
        page = redact.scrub(render.render_markdown(plan))  # as every output is, at the end
        assert "Sup3r" not in page and "S3cret" not in page
        assert escape.md_inline(title) == "echo \\*\\*\\* end"
        assert escape.md_code(title) == "`echo *** end`"
    finally:
        redact.clear()
