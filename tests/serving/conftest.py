"""Fixtures for the serving tests: a trained model directory and a v2 test client."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

from provisioner.serving import modelserver

# starlette >= 1 prefers httpx2 for its TestClient and warns once, on import; httpx still works and is
# what the project installs, so import it here quietly (later imports reuse the loaded module).
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import starlette.testclient


@pytest.fixture(scope="session")
def trained_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("model")
    modelserver.load_or_train(directory)
    return directory


@pytest.fixture
def loaded_app(trained_dir):
    app = modelserver.create_app(trained_dir, instance_id="i-test", autoload=False)
    app.state.model.load()
    return app


@pytest.fixture
def client(loaded_app):
    from starlette.testclient import TestClient

    with TestClient(loaded_app) as c:
        yield c


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("FLEET_ROOT", "FLEET_HOST", "FLEET_PYTHON", "FLEET_INSTANCE_ID", "FLEET_DATA_DEVICE"):
        monkeypatch.delenv(name, raising=False)
    return os.environ
