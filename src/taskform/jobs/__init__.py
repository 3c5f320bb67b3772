"""Jobs started by ``taskform run``: their normalised status (model.py), the waiting loop
(wait.py, pure: clock, sleep and the poll are passed in) and how progress is shown
(progress.py). The REST calls that start, poll and cancel a job are in
``taskform.portal.resources.jobs``."""
