"""A tiny workload for tests: user data whose #cloud-config declares a 30-line HTTP server."""

from __future__ import annotations

import base64
import json

import yaml

DEMO_SERVER = """\
import json, os, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

host, port, model_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(model_dir, exist_ok=True)
with open(os.path.join(model_dir, "boots.log"), "a") as f:
    f.write(os.environ["FLEET_INSTANCE_ID"] + "\\n")

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def answer(self, status, body, ctype="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Served-By", os.environ["FLEET_INSTANCE_ID"])
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_GET(self):
        if self.path.startswith("/slow"):
            time.sleep(float(self.path.partition("=")[2] or 1))
        if self.path == "/missing":
            return self.answer(404, {"error": "not here"})
        status = 200 if self.path != "/health" or not os.path.exists(os.path.join(model_dir, "sick")) else 500
        self.answer(status, {"instance": os.environ["FLEET_INSTANCE_ID"], "path": self.path,
                             "greeting": os.environ.get("GREETING", ""), "model_dir": model_dir})

    def do_HEAD(self):   # the SLB's default HTTP health check method
        self.do_GET()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.answer(201, body, self.headers.get("Content-Type", "application/octet-stream"))

ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer((host, port), Handler).serve_forever()
"""


def demo_cloud_config(
    port: int = 8000, greeting: str = "hello", b64: bool = True, disk_wait: float | None = None
) -> str:
    """#cloud-config whose write_files hold the demo server and /etc/fleet/workload.json
    (with `disk_wait`, the manifest asks to wait that many seconds for a data disk)."""
    manifest = {
        "name": "demo",
        "command": ["{python}", "{root}/opt/demo/server.py", "{host}", "{port}", "{model_dir}"],
        "port": port,
        "health_path": "/health",
        "env": {"GREETING": greeting},
        "model_dir": "/mnt/model",
    }
    if disk_wait is not None:
        manifest["data_disk"] = {"wait_seconds": disk_wait}
    server = (
        {
            "path": "/opt/demo/server.py",
            "encoding": "b64",
            "permissions": "0755",
            "content": base64.b64encode(DEMO_SERVER.encode()).decode(),
        }
        if b64
        else {"path": "/opt/demo/server.py", "permissions": "0755", "content": DEMO_SERVER}
    )
    doc = {
        "write_files": [
            server,
            {"path": "/etc/fleet/workload.json", "permissions": "0644", "content": json.dumps(manifest)},
        ]
    }
    return "#cloud-config\n" + yaml.safe_dump(doc, sort_keys=False)


def demo_user_data(port: int = 8000, greeting: str = "hello", disk_wait: float | None = None) -> str:
    """The demo cloud-config base64-encoded, as RunInstances' UserData parameter takes it."""
    return base64.b64encode(demo_cloud_config(port, greeting, disk_wait=disk_wait).encode()).decode()


class Stage:
    """Puts resources into an emulator's store per MODEL.md and moves their statuses with set_field,
    as the products do, so the runtime can be exercised without going through the API."""

    def __init__(self, emulator):
        self.cloud = emulator.cloud

    def _put(self, kind: str, obj: dict) -> dict:
        with self.cloud.lock:
            self.cloud.store.put(kind, obj)
            self.cloud.store.commit()
        return obj

    def instance(self, iid: str, user_data: str | None = None, status: str = "Running") -> dict:
        self._put(
            "instance",
            {
                "id": iid,
                "region": "cn-hangzhou",
                "status": "Pending",
                "user_data": user_data,
                "tags": {},
                "private_ip": "192.168.0.10",
            },
        )
        self.status("instance", iid, *(["Starting", status] if status == "Running" else [status]))
        return self.cloud.store.get("instance", iid)

    def disk(self, disk_id: str, instance_id: str = "", device: str = "/dev/xvdb") -> dict:
        return self._put(
            "disk",
            {
                "id": disk_id,
                "region": "cn-hangzhou",
                "type": "data",
                "size": 20,
                "status": "In_use" if instance_id else "Available",
                "instance_id": instance_id,
                "device": device if instance_id else "",
                "category": "cloud_essd",
                "tags": {},
            },
        )

    def load_balancer(self, lb_id: str, address: str, backends: dict[str, int]) -> dict:
        return self._put(
            "load_balancer",
            {
                "id": lb_id,
                "region": "cn-hangzhou",
                "address": address,
                "status": "active",
                "tags": {},
                "backends": [
                    {"server_id": sid, "weight": w, "type": "ecs", "description": ""} for sid, w in backends.items()
                ],
            },
        )

    def listener(
        self, lb_id: str, port: int, backend_port: int, protocol: str = "http", status: str = "running", **health
    ) -> dict:
        check = {
            "enabled": True,
            "uri": "/health",
            "connect_port": None,
            "interval": 1,
            "timeout": 2,
            "healthy_threshold": 2,
            "unhealthy_threshold": 2,
            "http_codes": ["http_2xx"],
        }
        check.update(health)
        self._put(
            "listener",
            {
                "id": f"{lb_id}:{port}",
                "load_balancer_id": lb_id,
                "port": port,
                "protocol": protocol,
                "backend_port": backend_port,
                "status": "stopped",
                "health_check": check,
            },
        )
        if status != "stopped":
            self.status("listener", f"{lb_id}:{port}", status)
        return self.cloud.store.get("listener", f"{lb_id}:{port}")

    def status(self, kind: str, rid: str, *statuses: str) -> None:
        """Apply each status in turn within one transaction (an instant-mode timeline does the same)."""
        with self.cloud.lock:
            obj = self.cloud.store.get(kind, rid)
            for status in statuses:
                self.cloud.set_field(kind, obj, "status", status)
            self.cloud.store.commit()

    def release(self, kind: str, rid: str) -> None:
        with self.cloud.lock:
            self.cloud.release(kind, self.cloud.store.get(kind, rid))
            self.cloud.store.commit()

    def set_weights(self, lb_id: str, weights: dict[str, int]) -> None:
        with self.cloud.lock:
            lb = self.cloud.store.get("load_balancer", lb_id)
            lb["backends"] = [
                {"server_id": sid, "weight": w, "type": "ecs", "description": ""} for sid, w in weights.items()
            ]
            self.cloud.store.put("load_balancer", lb)
            self.cloud.store.commit()

    def attach(self, disk_id: str, instance_id: str) -> None:
        with self.cloud.lock:
            disk = self.cloud.store.get("disk", disk_id)
            disk.update({"instance_id": instance_id, "status": "In_use" if instance_id else "Available"})
            self.cloud.store.put("disk", disk)
            self.cloud.store.commit()
