"""GitHub Actions annotations: a problem as a workflow command the runner turns into a note
on the line of the file (``::error file=F,line=L,title=T::message``).

The runner reads workflow commands from a step's stdout and stderr alike (actions/runner's
ScriptHandler subscribes ``OnDataReceived`` to both), so taskform writes them where its other
errors go. Escaped as the runner expects (actions/toolkit's ``command.ts``): ``%``, CR and LF
in the message; additionally ``:`` and ``,`` in property values.
"""

from __future__ import annotations

from taskform.errors import Problem


def _message(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _message(text).replace(":", "%3A").replace(",", "%2C")


def annotation(problem: Problem, level: str = "error", *, title: str = "taskform validate") -> str:
    """One workflow command for ``problem`` (``level``: ``error`` or ``warning``)."""
    props = [f"file={_prop(problem.file)}"]
    if problem.line:
        props.append(f"line={problem.line}")
    props.append(f"title={_prop(title)}")
    text = problem.message + (f" ({problem.hint})" if problem.hint else "")
    return f"::{level} {','.join(props)}::{_message(text)}"
