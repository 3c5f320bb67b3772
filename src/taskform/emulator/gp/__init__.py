"""A federated ArcGIS Server's GP job API: submitJob, jobs/<id>, cancel (jobs.py). GP task
descriptions are served by ``emulator/gp/server.py``."""
