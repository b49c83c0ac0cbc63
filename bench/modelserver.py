"""Model server start-up: seconds from process start to /v2/health/ready, first start (trains and saves the
model) and restart on the same model dir (loads it from disk). The serving test checks the restart loads the
saved model; this prints how long it takes (the figure once asserted as < 3 s)."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from provisioner.serving import modelserver

RESTARTS = 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seconds_to_ready(model_dir: str, timeout: float = 120.0) -> float:
    """Start the model server on model_dir, time it until ready, stop it."""
    port = _free_port()
    began = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, modelserver.__file__, "--host", "127.0.0.1", "--port", str(port), "--model-dir", model_dir],
        env={"FLEET_INSTANCE_ID": "i-bench", "PATH": "/usr/bin:/bin"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.monotonic() - began < timeout:
            if process.poll() is not None:
                raise RuntimeError(f"the model server exited with {process.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/health/ready", timeout=2) as resp:
                    if resp.status == 200:
                        return time.monotonic() - began
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.02)
        raise RuntimeError(f"not ready within {timeout} s")
    finally:
        process.terminate()
        process.wait(10)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-modelserver-") as model_dir:
        first = seconds_to_ready(model_dir)
        restarts = sorted(seconds_to_ready(model_dir) for _ in range(RESTARTS))
    print(f"first start (train + save): {first:.2f} s to ready")
    print(
        f"restart (load from disk):   {restarts[len(restarts) // 2]:.2f} s to ready, median of {RESTARTS}"
        f" (min {restarts[0]:.2f}, max {restarts[-1]:.2f})"
    )


if __name__ == "__main__":
    main()
