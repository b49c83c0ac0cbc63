"""Model serving on the fleet: the default v2 model server and the user data that boots an instance."""

from __future__ import annotations

import json
import shlex
from typing import Any

# Two iris flowers (a setosa and a virginica): the body of the sample request printed after provisioning.
SAMPLE_ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]


def sample_request(endpoint: str, model_name: str = "iris") -> tuple[str, dict[str, Any]]:
    """(URL, JSON body) of an Open Inference Protocol v2 request to the default model server."""
    body = {"inputs": [{"name": "input-0", "shape": [len(SAMPLE_ROWS), 4], "datatype": "FP32", "data": SAMPLE_ROWS}]}
    return f"{endpoint.rstrip('/')}/v2/models/{model_name}/infer", body


def sample_curl(endpoint: str, model_name: str = "iris", no_proxy: bool = False) -> str:
    """A curl command line for sample_request, ready to paste into a shell (`no_proxy`: never through
    an HTTP(S)_PROXY of the environment, for a loopback endpoint)."""
    url, body = sample_request(endpoint, model_name)
    proxy = ["--noproxy", "*"] if no_proxy else []
    return shlex.join(["curl", "-sS", *proxy, "-H", "Content-Type: application/json", "-d", json.dumps(body), url])
