"""Engine fixtures: ``yaml_loader`` runs a test once per YAML event source."""

from __future__ import annotations

import pytest
import yaml

from taskform.config import yamlpos

LOADERS = [
    pytest.param(
        True,
        id="libyaml",
        marks=pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml"),
    ),
    pytest.param(False, id="pyyaml"),
]


@pytest.fixture(params=LOADERS)
def yaml_loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Parse YAML with libyaml (``True``) or with PyYAML's pure-Python fallback (``False``)."""
    monkeypatch.setattr(yamlpos, "LIBYAML", request.param)
    return bool(request.param)
