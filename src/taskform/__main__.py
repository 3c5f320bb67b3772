"""``python -m taskform`` is the same as the ``taskform`` command."""

from taskform.cli import run

run()
