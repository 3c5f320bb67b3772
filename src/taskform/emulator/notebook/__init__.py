"""The ArcGIS Notebook Server admin API, for running ExecuteNotebook tasks now (server.py)."""
