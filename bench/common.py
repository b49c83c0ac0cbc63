"""Shared benchmark plumbing: a localcloud server in its own process, SDK clients, RSS readings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager

for _var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_var, None)
os.environ["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGION = "cn-hangzhou"
_KEYS: dict = {}  # url -> the emulator's credentials (read from its data dir once it is ready)


def keys(url: str):
    """The key pair and control token of an emulator started by emulator_process."""
    return _KEYS[url]


@contextmanager
def emulator_process(*args: str):
    """Run `localcloud serve` on a free port in a temp data dir; yields (url, pid)."""
    data_dir = tempfile.mkdtemp(prefix="bench-localcloud-")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "localcloud",
            "serve",
            "--port",
            "0",
            "--data-dir",
            data_dir,
            "--log-level",
            "WARNING",
            *args,
        ],
        cwd=ROOT,
        env=dict(os.environ),
    )
    info_path = os.path.join(data_dir, "localcloud.json")
    deadline = time.monotonic() + 30
    while not os.path.exists(info_path):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("localcloud did not start")
        time.sleep(0.05)
    with open(info_path) as handle:
        info = json.load(handle)
    from localcloud import credentials

    _KEYS[info["url"]] = credentials.read(data_dir)
    try:
        yield info["url"], proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def control(url: str, method: str, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    from localcloud.credentials import TOKEN_HEADER

    req = urllib.request.Request(
        f"{url}/_localcloud/{path}", data=data, method=method, headers={TOKEN_HEADER: keys(url).control_token}
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def sdk_config(url: str):
    from alibabacloud_tea_openapi.models import Config

    return Config(
        access_key_id=keys(url).access_key_id,
        access_key_secret=keys(url).access_key_secret,
        endpoint=url.split("://", 1)[1],
        protocol="http",
        region_id=REGION,
        read_timeout=60000,
        connect_timeout=5000,
    )


def rss_mib(pid: int) -> float:
    """Resident set size of a process (and its children are not included), in MiB."""
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (/proc/PID/stat fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def baseline(section: str) -> dict:
    """The figures measured before this branch's changes (bench/baseline.json), by section."""
    path = os.path.join(ROOT, "bench", "baseline.json")
    if not os.path.exists(path):
        return {}
    with open(path) as handle:
        return json.load(handle).get(section, {})


def row(label: str, value, unit: str = "") -> None:
    print(f"  {label:<52} {value}{(' ' + unit) if unit else ''}", flush=True)


def acs3_headers(host: str, version: str, action: str, params: dict, key_id: str, secret: str) -> dict[str, str]:
    """The headers of an ACS3-HMAC-SHA256 signed POST with `params` in the query and an empty body."""
    import hashlib
    import hmac
    import time
    import uuid
    from urllib.parse import quote

    headers = {
        "host": host,
        "x-acs-action": action,
        "x-acs-version": version,
        "x-acs-date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "x-acs-signature-nonce": uuid.uuid4().hex,
        "x-acs-content-sha256": hashlib.sha256(b"").hexdigest(),
        "accept": "application/json",
    }
    signed = sorted(headers)
    canon_query = "&".join(f"{k}={quote(str(v), safe='~')}" for k, v in sorted(params.items()))
    canonical = "\n".join(
        [
            "POST",
            "/",
            canon_query,
            "".join(f"{h}:{headers[h]}\n" for h in signed),
            ";".join(signed),
            headers["x-acs-content-sha256"],
        ]
    )
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    sig = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = f"ACS3-HMAC-SHA256 Credential={key_id},SignedHeaders={';'.join(signed)},Signature={sig}"
    return headers


class RawClient:
    """A lean ACS3-HMAC-SHA256 client on one keep-alive connection: measures the server, not SDK parsing."""

    def __init__(self, url: str):
        import http.client

        self.host = url.split("://", 1)[1]
        self.conn = http.client.HTTPConnection(self.host, timeout=60)
        self.ak, self.secret = keys(url).access_key_id, keys(url).access_key_secret

    def call(self, version: str, action: str, params: dict) -> dict:
        from urllib.parse import urlencode

        query = urlencode(params)
        headers = acs3_headers(self.host, version, action, params, self.ak, self.secret)
        self.conn.request("POST", "/?" + query, body=b"", headers=headers)
        resp = self.conn.getresponse()
        body = json.loads(resp.read())
        if resp.status >= 400:
            raise RuntimeError(f"{action}: {resp.status} {body.get('Code')}")
        return body


def run_cli(url: str, command: str, stack: str, state: str, timeout: float = 1800) -> tuple[float, dict]:
    """`python -m provisioner COMMAND --json` against the emulator at `url` (teardown with --yes), without the
    proxy variables; (wall seconds of the process, its JSON document). A failure raises with its stderr's tail."""
    args = [sys.executable, "-m", "provisioner", command, "--stack", stack, "--state", state, "--endpoint", url]
    args += ["--json"] + (["--yes"] if command == "teardown" else [])
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    start = time.monotonic()
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{command} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return wall, json.loads(proc.stdout)
