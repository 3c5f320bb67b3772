"""The planner loads deepdiff only for a parameter change (a plan of unchanged tasks is most
plans, and deepdiff with its cache library costs tens of milliseconds to import)."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
from datetime import datetime, timezone
from taskform.model import CronFields, DesiredTask, LiveTask
from taskform.plan.planner import make_plan

cron = CronFields("0", "2", "*", "*", "?")
def desired(params):
    return DesiredTask(owner="jo", title="Nightly", type="ExecuteNotebook",
                       item_id="029b61ca770e428d9468a2a55f40b9fb", schedule="0 2 * * *",
                       cron=cron, parameters=params)
live = LiveTask(id="a" * 32, owner="jo", title="Nightly", type="ExecuteNotebook", cron=cron,
                item_id="029b61ca770e428d9468a2a55f40b9fb",
                parameters={"notebookParameters": '{"day": 1}'})
now = datetime.now(timezone.utc)
plan = make_plan([desired({"notebookParameters": {"day": 1}})], {"jo": [live]}, now=now)
assert plan.summary["update"] == 0, plan.summary
assert "deepdiff" not in sys.modules, "deepdiff loaded for an unchanged task"
plan = make_plan([desired({"notebookParameters": {"day": 2}})], {"jo": [live]}, now=now)
assert plan.summary["update"] == 1, plan.summary
assert "deepdiff" in sys.modules
"""


def test_deepdiff_loads_only_for_a_parameter_change() -> None:
    subprocess.run([sys.executable, "-c", CODE], check=True, timeout=60)
