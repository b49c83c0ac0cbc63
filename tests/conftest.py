"""Shared fixtures: an emulator on a free port (instant transitions), reset before each test, and
the real SDK clients pointed at it. Loopback only: proxies unset, ECS metadata disabled."""
from __future__ import annotations

import json
import os
import urllib.request

for _var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_var, None)
os.environ["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"

import pytest  # noqa: E402

from localcloud import credentials as lc_credentials  # noqa: E402
from localcloud.server import serve_in_thread, stop  # noqa: E402

REGION = "cn-hangzhou"
_SERVERS: dict = {}          # emulator URL -> the in-process server started there (tests' own fixtures)


def remember(server):
    """Note an in-process emulator (one without a data dir keeps its credentials in memory only)."""
    _SERVERS[server.url] = server
    return server


def credentials_for(url: str) -> lc_credentials.Credentials:
    """The key pair and control token of the emulator at `url`: an in-process one's while it still
    listens, else read from the data dir its public readiness probe names, as the provisioner does
    (ports are reused during a session, so nothing is cached by URL alone)."""
    url = url.rstrip("/")
    server = _SERVERS.get(url)
    if server is not None and server.socket.fileno() != -1:
        return server.emulator.credentials
    with urllib.request.urlopen(url + "/_localcloud/health", timeout=10) as resp:
        data_dir = json.loads(resp.read())["data_dir"]
    return lc_credentials.read(data_dir)


class Control:
    """Client of the emulator's /_localcloud/ control API (sends the data dir's control token)."""

    def __init__(self, url: str):
        self.url = url

    def request(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + "/_localcloud/" + path, data=data, method=method,
                                     headers={lc_credentials.TOKEN_HEADER: credentials_for(self.url).control_token})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def reset(self):
        return self.request("POST", "reset")

    def stats(self):
        return self.request("GET", "stats")

    def resources(self):
        return self.request("GET", "resources")

    def faults(self, **config):
        return self.request("PUT", "faults", config)

    def config(self, **config):
        return self.request("PUT", "config", config)

    def advance(self, seconds: float):
        return self.request("POST", "advance", {"seconds": seconds})


@pytest.fixture(scope="session")
def emulator_server(tmp_path_factory):
    server, _ = serve_in_thread(str(tmp_path_factory.mktemp("localcloud")), instant=True, runtime=False)
    yield remember(server)
    stop(server)


@pytest.fixture(scope="module")
def runtime_server(tmp_path_factory, request):
    """An emulator with its local runtime on (real workload processes, loopback balancers), one per test module."""
    name = request.module.__name__.rsplit(".", 1)[-1]
    server, _ = serve_in_thread(str(tmp_path_factory.mktemp(name)), instant=True, runtime=True)
    yield remember(server)
    stop(server)


@pytest.fixture
def emulator(emulator_server):
    """The running emulator, reset (no resources, no faults, no stats) for this test."""
    emulator_server.emulator.reset()
    return emulator_server


@pytest.fixture
def control(emulator) -> Control:
    return Control(emulator.url)


def sdk_config(url: str, **extra):
    from alibabacloud_tea_openapi.models import Config

    host = url.split("://", 1)[1]
    creds = credentials_for(url)
    return Config(access_key_id=creds.access_key_id, access_key_secret=creds.access_key_secret,
                  endpoint=host, protocol="http", region_id=REGION, **extra)


@pytest.fixture
def ecs(emulator):
    from alibabacloud_ecs20140526.client import Client

    return Client(sdk_config(emulator.url))


@pytest.fixture
def vpc(emulator):
    from alibabacloud_vpc20160428.client import Client

    return Client(sdk_config(emulator.url))


@pytest.fixture
def slb(emulator):
    from alibabacloud_slb20140515.client import Client

    return Client(sdk_config(emulator.url))
