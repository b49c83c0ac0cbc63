"""The model server's Open Inference Protocol v2 endpoints, through starlette's TestClient."""

from __future__ import annotations

import pytest
from sklearn.datasets import load_iris
from starlette.testclient import TestClient

from provisioner.serving import modelserver
from tests.helpers import eventually

ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]]


def infer_body(rows=ROWS, **extra) -> dict:
    tensor = {"name": "input-0", "shape": [len(rows), 4], "datatype": "FP32", "data": rows}
    return {"inputs": [tensor], **extra}


def test_live_answers_while_the_model_is_still_loading(trained_dir):
    app = modelserver.create_app(trained_dir, autoload=False)
    with TestClient(app) as c:
        response = c.get("/v2/health/live")
    assert response.status_code == 200
    assert response.json() == {"live": True}


def test_ready_is_503_until_the_model_is_loaded_then_200(trained_dir):
    app = modelserver.create_app(trained_dir, autoload=False)
    with TestClient(app) as c:
        before = [c.get("/v2/health/ready"), c.get("/v2/models/iris/ready")]
        app.state.model.load()
        after = [c.get("/v2/health/ready"), c.get("/v2/models/iris/ready")]
    assert [r.status_code for r in before] == [503, 503]
    assert before[0].json() == {"ready": False}
    assert [r.status_code for r in after] == [200, 200]
    assert after[1].json() == {"name": "iris", "ready": True}


def test_startup_loads_the_model_in_the_background(trained_dir):
    app = modelserver.create_app(trained_dir)
    with TestClient(app) as c:
        eventually(lambda: c.get("/v2/health/ready").status_code == 200, "the model loaded", timeout=20)
        assert c.get("/v2/health/ready").status_code == 200


def test_infer_before_the_model_is_loaded_is_503_with_an_error_body(trained_dir):
    app = modelserver.create_app(trained_dir, autoload=False)
    with TestClient(app) as c:
        response = c.post("/v2/models/iris/infer", json=infer_body())
    assert response.status_code == 503
    assert "not ready" in response.json()["error"]


def test_infer_answers_equal_the_models_own_prediction_for_every_iris_row(client, trained_dir):
    rows = load_iris().data.tolist()
    response = client.post("/v2/models/iris/infer", json=infer_body(rows))
    assert response.status_code == 200
    body = response.json()
    assert body["model_name"] == "iris" and body["model_version"] == "1"
    outputs = {o["name"]: o for o in body["outputs"]}
    assert outputs["predict"]["data"] == modelserver.predict(trained_dir, rows)
    assert outputs["predict"]["shape"] == [150] and outputs["predict"]["datatype"] == "INT64"
    assert outputs["predict_proba"]["shape"] == [150, 3]
    assert len(outputs["predict_proba"]["data"]) == 450


def test_infer_takes_flat_data_in_row_major_order(client, trained_dir):
    flat = [v for row in ROWS for v in row]
    response = client.post(
        "/v2/models/iris/infer",
        json={"inputs": [{"name": "input-0", "shape": [3, 4], "datatype": "FP64", "data": flat}]},
    )
    assert response.status_code == 200
    assert response.json()["outputs"][0]["data"] == modelserver.predict(trained_dir, ROWS)


def test_infer_returns_the_request_id(client):
    response = client.post("/v2/models/iris/infer", json=infer_body(id="req-42"))
    assert response.json()["id"] == "req-42"


def test_infer_without_an_id_gets_one(client):
    first = client.post("/v2/models/iris/infer", json=infer_body()).json()["id"]
    second = client.post("/v2/models/iris/infer", json=infer_body()).json()["id"]
    assert first and second and first != second


def test_infer_returns_only_the_requested_outputs(client):
    response = client.post("/v2/models/iris/infer", json=infer_body(outputs=[{"name": "predict_proba"}]))
    assert [o["name"] for o in response.json()["outputs"]] == ["predict_proba"]


def test_infer_through_the_version_path(client):
    response = client.post("/v2/models/iris/versions/1/infer", json=infer_body())
    assert response.status_code == 200
    assert response.json()["model_version"] == "1"


def test_infer_of_an_empty_batch_returns_empty_outputs(client):
    response = client.post(
        "/v2/models/iris/infer", json={"inputs": [{"name": "input-0", "shape": [0, 4], "datatype": "FP32", "data": []}]}
    )
    assert response.status_code == 200
    assert [o["shape"] for o in response.json()["outputs"]] == [[0], [0, 3]]


@pytest.mark.parametrize("path", ["/v2/models/resnet", "/v2/models/resnet/ready"])
def test_unknown_model_is_404_with_an_error_body(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "unknown model 'resnet'" in response.json()["error"]


def test_infer_on_an_unknown_model_is_404(client):
    response = client.post("/v2/models/resnet/infer", json=infer_body())
    assert response.status_code == 404
    assert "unknown model 'resnet'" in response.json()["error"]


def test_unknown_model_version_is_404(client):
    response = client.post("/v2/models/iris/versions/7/infer", json=infer_body())
    assert response.status_code == 404
    assert "no version '7'" in response.json()["error"]


def test_unknown_path_is_404_with_an_error_body(client):
    response = client.get("/v1/models/iris")
    assert response.status_code == 404
    assert "error" in response.json()


BAD_BODIES = [
    ([1, 2], "request body must be a JSON object"),
    ({}, "'inputs'"),
    ({"inputs": []}, "'inputs'"),
    ({"inputs": [{"name": "input-0"}, {"name": "input-1"}]}, "'inputs' holds 2 tensors"),
    ({"inputs": ["x"]}, "'inputs[0]'"),
    ({"inputs": [{"name": "pixels", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}, "'inputs[0].name'"),
    (
        {"inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "BYTES", "data": [1, 2, 3, 4]}]},
        "'inputs[0].datatype'",
    ),
    ({"inputs": [{"name": "input-0", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}, "'inputs[0].shape'"),
    ({"inputs": [{"name": "input-0", "shape": "1x4", "datatype": "FP32", "data": [1, 2, 3, 4]}]}, "'inputs[0].shape'"),
    (
        {"inputs": [{"name": "input-0", "shape": [-1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]},
        "'inputs[0].shape'",
    ),
    ({"inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP32"}]}, "'inputs[0].data' is missing"),
    (
        {"inputs": [{"name": "input-0", "shape": [2, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]},
        "'inputs[0].data' holds 4 values",
    ),
    (
        {"inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP32", "data": [1, "2", 3, 4]}]},
        "'inputs[0].data' holds \"2\"",
    ),
    (
        {"inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP32", "data": [1, True, 3, 4]}]},
        "'inputs[0].data' holds true",
    ),
    (
        {"inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "INT32", "data": [1, 2.5, 3, 4]}]},
        "'inputs[0].data' holds 2.5",
    ),
    (
        {
            "inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}],
            "outputs": [{"name": "logits"}],
        },
        "'outputs[0].name'",
    ),
    ({"id": 7, "inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}, "'id'"),
]


@pytest.mark.parametrize("body, field", BAD_BODIES, ids=[b[1] for b in BAD_BODIES])
def test_bad_inference_input_is_400_naming_the_field(client, body, field):
    response = client.post("/v2/models/iris/infer", json=body)
    assert response.status_code == 400
    assert field in response.json()["error"]


def test_non_finite_values_are_400(client):
    response = client.post(
        "/v2/models/iris/infer",
        content=b'{"inputs": [{"name": "input-0", "shape": [1, 4], ' b'"datatype": "FP32", "data": [1, NaN, 3, 4]}]}',
    )
    assert response.status_code == 400
    assert "'inputs[0].data' holds NaN" in response.json()["error"]


def test_a_body_that_is_not_json_is_400(client):
    response = client.post("/v2/models/iris/infer", content=b"{inputs:")
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]


def test_server_metadata_names_the_server(client):
    body = client.get("/v2").json()
    assert body == {"name": "fleet-modelserver", "version": "1.0.0", "extensions": []}


def test_model_metadata_lists_the_input_and_outputs_with_datatype_and_shape(client):
    body = client.get("/v2/models/iris").json()
    assert body["name"] == "iris" and body["versions"] == ["1"] and body["platform"] == "sklearn"
    assert body["inputs"] == [{"name": "input-0", "datatype": "FP32", "shape": [-1, 4]}]
    assert body["outputs"] == [
        {"name": "predict", "datatype": "INT64", "shape": [-1]},
        {"name": "predict_proba", "datatype": "FP64", "shape": [-1, 3]},
    ]


@pytest.mark.parametrize(
    "method, path",
    [("GET", "/v2/health/ready"), ("POST", "/v2/models/iris/infer"), ("GET", "/v2/models/nope"), ("GET", "/nowhere")],
)
def test_every_response_carries_the_instance_id(client, method, path):
    response = client.request(method, path, json=infer_body())
    assert response.headers["X-Fleet-Instance"] == "i-test"


def test_instance_id_comes_from_the_environment(trained_dir, monkeypatch):
    monkeypatch.setenv("FLEET_INSTANCE_ID", "i-from-env")
    with TestClient(modelserver.create_app(trained_dir, autoload=False)) as c:
        assert c.get("/v2/health/live").headers["X-Fleet-Instance"] == "i-from-env"


def test_a_wrong_method_is_405_naming_the_allowed_ones(client):
    response = client.get("/v2/models/iris/infer")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert "Method Not Allowed" in response.json()["error"]


def test_the_printed_sample_request_gets_an_answer(client, trained_dir):
    from provisioner.serving import SAMPLE_ROWS, sample_curl, sample_request

    url, body = sample_request("http://testserver/")
    response = client.post(url, json=body)
    assert response.status_code == 200
    assert response.json()["outputs"][0]["data"] == modelserver.predict(trained_dir, SAMPLE_ROWS) == [0, 2]
    assert sample_curl("http://127.88.0.1").endswith("http://127.88.0.1/v2/models/iris/infer")
