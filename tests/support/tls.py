"""A throw-away self-signed certificate for TLS tests (the openssl command, on every machine
kind this project runs on)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def self_signed(folder: Path, days: int = 2) -> tuple[Path, Path]:
    """Write ``cert.pem`` and ``key.pem`` for localhost / 127.0.0.1 into ``folder``."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            str(days),
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key
