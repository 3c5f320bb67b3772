"""The emulator as a server: the WSGI app, its state store, error envelopes, faults, quirks,
profiles and the control endpoints."""
