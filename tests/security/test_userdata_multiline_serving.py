"""End to end on localcloud's runtime: a server given as a multi-line `python -c` program, with quotes,
`$()`, backticks and newlines in its arguments and environment, is provisioned, starts, passes the SLB's
health check and answers through the endpoint with its values intact (it used to yield user data that
was not YAML, and provision waited 15 minutes)."""

from __future__ import annotations

import json
import urllib.request

import pytest
import yaml
from click.testing import CliRunner

from provisioner.cli import cli
from tests.helpers import fresh_runtime
from tests.security.helpers import with_changes

pytestmark = pytest.mark.timeout(240)

PROGRAM = """import http.server, json, os, sys

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"argv": sys.argv[1:], "motto": os.environ["MOTTO"]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
"""
ARGUMENT = 'it\'s "quoted" $(id) `id`\nbootcmd: [touch /pwned]\n# and a comment'
MOTTO = "line one\nusers: [{name: evil}]\r\n\u2028$HOME"


def test_a_multi_line_python_program_is_provisioned_and_serves_its_values_intact(runtime_server, tmp_path):
    fresh_runtime(runtime_server, 0.2)
    stack = tmp_path / "stack.yaml"
    stack.write_text(
        yaml.safe_dump(
            with_changes(
                {
                    "instances": {"count": 1},
                    "data_disk": None,
                    "serving": {
                        "port": 9000,
                        "health_path": "/healthz",
                        "server": {
                            "command": ["{python}", "-c", PROGRAM, "{host}", "{port}", ARGUMENT],
                            "env": {"MOTTO": MOTTO},
                        },
                    },
                    "load_balancer": {
                        "health_check": {"interval": 1, "healthy_threshold": 2, "unhealthy_threshold": 2}
                    },
                }
            )
        )
    )
    try:
        result = CliRunner().invoke(
            cli,
            [
                "provision",
                "--stack",
                str(stack),
                "--endpoint",
                runtime_server.url,
                "--state",
                str(tmp_path / "s.json"),
                "--json",
            ],
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.stderr[-2000:]
        endpoint = json.loads(result.stdout)["endpoint"]
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(endpoint.rstrip("/") + "/healthz", timeout=10) as response:
            answer = json.loads(response.read())
        assert answer == {"argv": [answer["argv"][0], answer["argv"][1], ARGUMENT], "motto": MOTTO}
    finally:
        runtime_server.emulator.reset()
