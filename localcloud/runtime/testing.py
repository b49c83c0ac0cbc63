"""A tiny workload for tests: user data whose #cloud-config declares a 30-line HTTP server."""
from __future__ import annotations

import base64
import json

import yaml

DEMO_SERVER = '''\
import json, os, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

host, port, model_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(model_dir, exist_ok=True)
with open(os.path.join(model_dir, "boots.log"), "a") as f:
    f.write(os.environ["FLEET_INSTANCE_ID"] + "\\n")

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, ctype="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Served-By", os.environ["FLEET_INSTANCE_ID"])
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path.startswith("/slow"):
            time.sleep(float(self.path.partition("=")[2] or 1))
        if self.path == "/missing":
            return self.answer(404, {"error": "not here"})
        status = 200 if self.path != "/health" or not os.path.exists(os.path.join(model_dir, "sick")) else 500
        self.answer(status, {"instance": os.environ["FLEET_INSTANCE_ID"], "path": self.path,
                             "greeting": os.environ.get("GREETING", ""), "model_dir": model_dir})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.answer(201, body, self.headers.get("Content-Type", "application/octet-stream"))

ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer((host, port), Handler).serve_forever()
'''


def demo_cloud_config(port: int = 8000, greeting: str = "hello", b64: bool = True) -> str:
    """#cloud-config whose write_files hold the demo server and /etc/fleet/workload.json."""
    manifest = {"name": "demo", "command": ["{python}", "{root}/opt/demo/server.py", "{host}", "{port}", "{model_dir}"],
                "port": port, "health_path": "/health", "env": {"GREETING": greeting}, "model_dir": "/mnt/model"}
    server = ({"path": "/opt/demo/server.py", "encoding": "b64", "permissions": "0755",
               "content": base64.b64encode(DEMO_SERVER.encode()).decode()} if b64 else
              {"path": "/opt/demo/server.py", "permissions": "0755", "content": DEMO_SERVER})
    doc = {"write_files": [server, {"path": "/etc/fleet/workload.json", "permissions": "0644",
                                    "content": json.dumps(manifest)}]}
    return "#cloud-config\n" + yaml.safe_dump(doc, sort_keys=False)


def demo_user_data(port: int = 8000, greeting: str = "hello") -> str:
    """The demo cloud-config base64-encoded, as RunInstances' UserData parameter takes it."""
    return base64.b64encode(demo_cloud_config(port, greeting).encode()).decode()
