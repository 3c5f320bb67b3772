"""Thread pools for reads that never hold up an interrupted run."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor


@contextlib.contextmanager
def reading_pool(workers: int, name: str) -> Iterator[ThreadPoolExecutor]:
    """A pool for reads. On success it is shut down waiting, as ``with ThreadPoolExecutor``
    would; when the block raises (Ctrl-C, an error of one read), queued reads are cancelled and
    the reads in flight are not waited for: they end by their own deadline, and nothing
    depends on them any more."""
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
