"""The portal side: a REST client for ArcGIS scheduled tasks (``PortalClient``) and its codec."""

from taskform.portal.client import PortalClient
from taskform.portal.codec import run_from_json, task_form, task_from_json
from taskform.portal.retry import RetryPolicy

__all__ = ["PortalClient", "RetryPolicy", "run_from_json", "task_form", "task_from_json"]
