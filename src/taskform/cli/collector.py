"""No garbage collection while a command builds what it keeps: the configuration, the live
tasks and the plan.

Python's cyclic collector runs whenever the objects allocated since its last run outnumber a
threshold, and each run walks every object made since. A 10,000-task plan makes about 200,000
such objects (tasks, their fields, their JSON) that all live to the end of the command, and
almost no cyclic garbage (647 objects, measured): every walk over them was wasted, 0.09 to
0.12 s of the plan in five collections (the threshold already raised to 50,000, see
:func:`taskform.cli.main`), and a single collection of the same objects costs as much.

So :func:`building` switches the collector off for its block, then moves every object alive
to the oldest generation (``gc.freeze`` then ``gc.unfreeze``: a move, not a walk; the
sequence the ``gc`` documentation gives for ``fork`` starts the same way) and switches the
collector back on. The objects built are then walked only by a full collection, which Python
runs rarely (after 400 young collections, see ``gc.set_threshold``); the little cyclic garbage
made in the block is freed by it. What is not cyclic is freed as it always is, by reference
counting, collector or not.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def building() -> Iterator[None]:
    """The block runs without the cyclic collector; what it built goes to the oldest
    generation. Nested blocks leave it to the outermost; with the collector already off
    (switched off by the caller) nothing changes."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        gc.enable()
