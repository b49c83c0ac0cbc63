"""A small Open Inference Protocol (v2) server for an iris classifier, run as one file on every instance.

Endpoints (KServe/Triton/MLServer v2 REST): GET /v2/health/live, GET /v2/health/ready, GET /v2,
GET /v2/models/{name}[/versions/{v}], GET .../ready, POST .../infer. The model is scikit-learn's
LogisticRegression trained on the iris data set that scikit-learn ships: trained on first start when
--model-dir holds no model, saved there with joblib beside a version file, loaded from there afterwards.
Needs only starlette, uvicorn and scikit-learn. Responses carry X-Fleet-Instance ($FLEET_INSTANCE_ID).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

log = logging.getLogger("modelserver")

SERVER: dict[str, Any] = {"name": "fleet-modelserver", "version": "1.0.0", "extensions": []}
MODEL_NAME = "iris"
MODEL_VERSION = "1"  # bump when the training recipe changes: a saved model of another version is retrained
MODEL_FILE = "iris-logreg.joblib"
META_FILE = "model.json"  # written after the model file, so its presence means the model file is complete
FEATURES = 4
INPUT: dict[str, Any] = {"name": "input-0", "datatype": "FP32", "shape": [-1, FEATURES]}
OUTPUTS: dict[str, dict[str, Any]] = {
    "predict": {"name": "predict", "datatype": "INT64", "shape": [-1]},
    "predict_proba": {"name": "predict_proba", "datatype": "FP64", "shape": [-1, 3]},
}
NUMERIC = {"FP16", "FP32", "FP64"} | {f"{s}INT{b}" for s in ("", "U") for b in (8, 16, 32, 64)}
MAX_ROWS = 100_000


class V2Error(Exception):
    """An error the v2 protocol reports as {"error": message} with an HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _metadata() -> dict[str, Any]:
    import sklearn

    return {"model_version": MODEL_VERSION, "sklearn": sklearn.__version__, "file": MODEL_FILE}


def load_or_train(model_dir: str | os.PathLike[str]) -> Any:  # a fitted (untyped) scikit-learn estimator
    """The estimator saved in model_dir; trains and saves it first when none (or a stale one) is there."""
    import joblib

    directory = Path(model_dir)
    meta_path, model_path = directory / META_FILE, directory / MODEL_FILE
    wanted = _metadata()
    try:
        if json.loads(meta_path.read_text()) == wanted:
            return joblib.load(model_path)
        log.info("model in %s was saved by another version; retraining", directory)
    except FileNotFoundError:
        log.info("no model in %s yet; training one", directory)
    except Exception as exc:  # noqa: BLE001 - a torn or unreadable file: retrain rather than refuse to serve
        log.warning("model in %s is unreadable (%s); retraining", directory, exc)
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    features, labels = load_iris(return_X_y=True)
    estimator = LogisticRegression(max_iter=1000).fit(features, labels)
    directory.mkdir(parents=True, exist_ok=True)
    suffix = f".{os.getpid()}.{threading.get_ident()}.tmp"
    joblib.dump(estimator, str(model_path) + suffix)
    os.replace(str(model_path) + suffix, model_path)
    Path(str(meta_path) + suffix).write_text(json.dumps(wanted) + "\n")
    os.replace(str(meta_path) + suffix, meta_path)
    return estimator


def run_model(estimator: Any, rows: ArrayLike) -> dict[str, Any]:
    """Both outputs for rows (a list of 4-feature rows): the one code path the server and predict() share."""
    import numpy as np

    features = np.asarray(rows, dtype=np.float64).reshape(-1, FEATURES)
    if not len(features):
        return {"predict": [], "predict_proba": []}
    return {
        "predict": estimator.predict(features).astype(np.int64).tolist(),
        "predict_proba": estimator.predict_proba(features).ravel().tolist(),
    }


def predict(model_dir: str | os.PathLike[str], rows: ArrayLike) -> list[int]:
    """The model's own class predictions for rows, loading (or training) the model in model_dir."""
    labels: list[int] = run_model(load_or_train(model_dir), rows)["predict"]
    return labels


class Model:
    """The served model: loaded once, in the background, ready when loaded."""

    def __init__(self, model_dir: str | os.PathLike[str], name: str = MODEL_NAME) -> None:
        self.model_dir, self.name = Path(model_dir), name
        self.estimator: Any = None  # the fitted scikit-learn estimator, once loaded
        self.error: str | None = None

    @property
    def ready(self) -> bool:
        return self.estimator is not None

    def load(self) -> None:
        try:
            self.estimator = load_or_train(self.model_dir)
            log.info("model %s version %s ready from %s", self.name, MODEL_VERSION, self.model_dir)
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            log.exception("model %s failed to load", self.name)


def _numbers(data: object, path: str, integral: bool) -> list[float]:
    """The tensor's values flattened in row-major order; nested lists are allowed as in the protocol."""
    if not isinstance(data, list):
        raise V2Error(400, f"'{path}' must be a list of numbers")
    out: list[float] = []
    stack: list[Iterator[Any]] = [iter(data)]
    while stack:
        for item in stack[-1]:
            if isinstance(item, list):
                stack.append(iter(item))
                break
            if isinstance(item, bool) or not isinstance(item, (int, float)) or not math.isfinite(item):
                raise V2Error(400, f"'{path}' holds {json.dumps(item)}; expected finite numbers")
            if integral and not float(item).is_integer():
                raise V2Error(400, f"'{path}' holds {item} but the datatype is an integer type")
            out.append(item)
        else:
            stack.pop()
    return out


def parse_infer(body: object, model_name: str) -> tuple[list[float], list[str]]:
    """Checks an inference request body; returns (rows, output names) or raises V2Error naming the field."""
    if not isinstance(body, dict):
        raise V2Error(400, "the request body must be a JSON object")
    if "id" in body and not isinstance(body["id"], str):
        raise V2Error(400, "'id' must be a string")
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise V2Error(400, "'inputs' must be a non-empty list of tensors")
    if len(inputs) != 1:
        raise V2Error(400, f"'inputs' holds {len(inputs)} tensors; model {model_name} takes exactly one")
    tensor = inputs[0]
    if not isinstance(tensor, dict):
        raise V2Error(400, "'inputs[0]' must be an object")
    if tensor.get("name") != INPUT["name"]:
        raise V2Error(
            400,
            f"'inputs[0].name' is {json.dumps(tensor.get('name'))}; "
            f"model {model_name} has one input, {INPUT['name']!r}",
        )
    datatype = tensor.get("datatype")
    if datatype not in NUMERIC:
        raise V2Error(400, f"'inputs[0].datatype' is {json.dumps(datatype)}; expected one of {sorted(NUMERIC)}")
    shape = tensor.get("shape")
    if (
        not isinstance(shape, list)
        or len(shape) != 2
        or shape[1] != FEATURES
        or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
    ):
        raise V2Error(400, f"'inputs[0].shape' is {json.dumps(shape)}; expected [N, {FEATURES}]")
    if shape[0] > MAX_ROWS:
        raise V2Error(400, f"'inputs[0].shape' asks for {shape[0]} rows; at most {MAX_ROWS} per request")
    if "data" not in tensor:
        raise V2Error(400, "'inputs[0].data' is missing")
    values = _numbers(tensor["data"], "inputs[0].data", integral="INT" in datatype)
    if len(values) != shape[0] * FEATURES:
        raise V2Error(400, f"'inputs[0].data' holds {len(values)} values; shape {shape} needs {shape[0] * FEATURES}")
    wanted = body.get("outputs")
    if wanted is None:
        return values, list(OUTPUTS)
    if not isinstance(wanted, list):
        raise V2Error(400, "'outputs' must be a list")
    names = []
    for i, item in enumerate(wanted):
        name = item.get("name") if isinstance(item, dict) else None
        if name not in OUTPUTS:
            raise V2Error(400, f"'outputs[{i}].name' is {json.dumps(name)}; model {model_name} has {sorted(OUTPUTS)}")
        names.append(name)
    return values, names


def create_app(
    model_dir: str | os.PathLike[str],
    *,
    model_name: str = MODEL_NAME,
    instance_id: str | None = None,
    autoload: bool = True,
) -> Starlette:
    """The ASGI app; with autoload the model loads in a thread at startup (call app.state.model.load() otherwise)."""
    model = Model(model_dir, model_name)
    headers = {"X-Fleet-Instance": instance_id or os.environ.get("FLEET_INSTANCE_ID") or socket.gethostname()}

    def reply(body: dict[str, Any], status: int = 200, extra: Mapping[str, str] | None = None) -> JSONResponse:
        return JSONResponse(body, status_code=status, headers={**headers, **(extra or {})})

    def served(request: Request) -> Model:
        name, version = request.path_params["name"], request.path_params.get("version")
        if name != model.name:
            raise V2Error(404, f"unknown model {name!r}; this server serves {model.name!r}")
        if version is not None and version != MODEL_VERSION:
            raise V2Error(404, f"model {name!r} has no version {version!r}; it has {MODEL_VERSION!r}")
        return model

    async def live(request: Request) -> JSONResponse:
        return reply({"live": True})

    async def ready(
        request: Request,
    ) -> JSONResponse:  # 503 while loading, so a load balancer's HTTP check keeps it out of rotation
        return reply({"ready": model.ready}, 200 if model.ready else 503)

    async def server_metadata(request: Request) -> JSONResponse:
        return reply(SERVER)

    async def model_metadata(request: Request) -> JSONResponse:
        m = served(request)
        return reply(
            {
                "name": m.name,
                "versions": [MODEL_VERSION],
                "platform": "sklearn",
                "inputs": [INPUT],
                "outputs": list(OUTPUTS.values()),
            }
        )

    async def model_ready(request: Request) -> JSONResponse:
        m = served(request)
        return reply({"name": m.name, "ready": m.ready}, 200 if m.ready else 503)

    async def infer(request: Request) -> JSONResponse:
        m = served(request)
        try:
            body = json.loads(await request.body())
        except ValueError as exc:
            raise V2Error(400, f"the request body is not valid JSON: {exc}") from None
        values, names = parse_infer(body, m.name)
        if not m.ready:
            raise V2Error(503, f"model {m.name!r} is not ready" + (f": {m.error}" if m.error else ""))
        rows = len(values) // FEATURES
        results = run_model(m.estimator, values)
        outputs = [dict(OUTPUTS[n], shape=[rows] + OUTPUTS[n]["shape"][1:], data=results[n]) for n in names]
        return reply(
            {
                "model_name": m.name,
                "model_version": MODEL_VERSION,
                "id": body["id"] if "id" in body else str(uuid.uuid4()),
                "outputs": outputs,
            }
        )

    async def v2_error(request: Request, exc: V2Error) -> JSONResponse:
        return reply({"error": str(exc)}, exc.status)

    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return reply({"error": f"{exc.detail}: {request.method} {request.url.path}"}, exc.status_code, exc.headers)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if autoload:
            threading.Thread(target=model.load, name="model-load", daemon=True).start()
        yield

    model_paths = ["/v2/models/{name}", "/v2/models/{name}/versions/{version}"]
    routes = [Route("/v2/health/live", live), Route("/v2/health/ready", ready), Route("/v2", server_metadata)]
    for base in model_paths:
        routes += [
            Route(base, model_metadata),
            Route(base + "/ready", model_ready),
            Route(base + "/infer", infer, methods=["POST"]),
        ]
    # (Starlette types every handler as taking any Exception; each here is registered for its own class only)
    handlers = {V2Error: v2_error, HTTPException: http_error}
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers=handlers)  # type: ignore[arg-type]
    app.state.model = model
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--model-dir", required=True, help="where the model is saved (the data disk)")
    parser.add_argument("--model-name", default=MODEL_NAME)
    parser.add_argument("--access-log", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    import uvicorn

    app = create_app(args.model_dir, model_name=args.model_name)
    # On SIGTERM uvicorn stops accepting and lets in-flight requests finish (drain on scale-down).
    uvicorn.run(
        app, host=args.host, port=args.port, access_log=args.access_log, log_level="info", timeout_graceful_shutdown=20
    )


if __name__ == "__main__":
    main()
