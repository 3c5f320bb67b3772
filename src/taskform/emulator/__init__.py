"""A local, faithful ArcGIS portal for scheduled tasks (the Sharing API), for tests and demos.

Modules: command (CLI), app (WSGI routing, faults, stats), sharing (Sharing API handlers),
control (``/__emulator`` endpoints), tasks (validation, defaults, rendering, lifecycle),
quartz (cron fields), auth (users, tokens), store (state + persistence), faults, errors.
See FIDELITY.md for the choices made where the portal's behaviour is not documented.
"""
