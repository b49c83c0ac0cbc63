"""Arbitrary stack documents, through the real CLI (`plan --json` against localcloud): every one ends in a
documented exit code with one JSON document and no traceback, and an invalid one (exit 2) makes no API
call. plan's success codes are 0 (nothing to change) and 4 (changes pending)."""

from __future__ import annotations

import json

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.security.helpers import default_stack, run_cli

# Every field path of a stack, plus unknown ones, where a generated value is put.
PATHS = [
    ("name",),
    ("data_disk", "attach"),
    ("region",),
    ("zones",),
    ("network",),
    ("network", "vpc_cidr"),
    ("network", "vswitch_cidr"),
    ("instances",),
    ("instances", "count"),
    ("instances", "type"),
    ("instances", "image"),
    ("instances", "system_disk"),
    ("instances", "system_disk", "size_gib"),
    ("data_disk",),
    ("data_disk", "size_gib"),
    ("data_disk", "attach"),
    ("serving",),
    ("serving", "port"),
    ("serving", "health_path"),
    ("serving", "model_dir"),
    ("serving", "user_data"),
    ("serving", "server"),
    ("serving", "server", "command"),
    ("serving", "server", "pip"),
    ("serving", "server", "env"),
    ("serving", "server", "container"),
    ("serving", "server", "args"),
    ("serving", "mirror"),
    ("serving", "mirror", "pip"),
    ("load_balancer", "health_check", "http_codes"),
    ("load_balancer", "drain_seconds"),
    ("access", "admin_cidrs"),
    ("access", "serving_cidrs"),
    ("access", "key_pair"),
    ("target",),
    ("target", "kind"),
    ("unknown",),
    ("serving", "unknown"),
]

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "cn-hangzhou-i",
            "10.0.0.0/8",
            "100.64.0.0/10",
            "/mnt/model",
            "/etc",
            "fleet\n",
            "-r /etc/shadow",
            "http://mirrors.cloud.aliyuncs.com/pypi/simple/",
            "none",
        ]
    ),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


# Plausible values per path, so that a fair share of documents is valid and reaches the cloud (read-only).
PLAUSIBLE = {
    ("name",): ["ab", "fleet-x1"],
    ("instances", "count"): [1, 2],
    ("serving", "port"): [9000, 22],
    ("serving", "model_dir"): ["/srv/m", "/data/x"],
    ("serving", "health_path"): ["/healthz", "/a?b&c"],
    ("serving", "server", "command"): [["{python}", "-c", "import sys\nprint(sys.argv)\n", "$(id)\n`x`"]],
    ("serving", "server", "pip"): [["numpy>=1.26,<2"], ["requests; python_version >= '3.8'"]],
    ("serving", "server", "env"): [{"A": "line\nbootcmd: [id]"}],
    ("serving", "mirror", "pip"): ["none"],
    ("access", "admin_cidrs"): [["203.0.113.0/24"], ["100.64.1.0/24"]],
    ("data_disk", "attach"): ["each"],
}


def put(doc: dict, path: tuple, value) -> dict:
    node = doc
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[path[-1]] = value
    return doc


@st.composite
def stack_documents(draw) -> bytes:
    kind = draw(st.sampled_from(["mutated", "mutated", "mutated", "raw", "tagged"]))
    if kind == "raw":
        return draw(st.binary(max_size=200))
    if kind == "tagged":  # an explicit YAML tag on an arbitrary value, somewhere in the default stack
        tag = draw(
            st.sampled_from(
                [
                    "!!timestamp",
                    "!!int",
                    "!!bool",
                    "!!float",
                    "!!binary",
                    "!!set",
                    "!!omap",
                    "!!str",
                    "!!null",
                    "!!map",
                    "!!seq",
                    "!foo",
                    "!!python/name:os.system",
                ]
            )
        )
        text = yaml.safe_dump(default_stack())
        line = draw(st.sampled_from([ln for ln in text.splitlines() if ": " in ln]))
        key = line.split(": ", 1)[0]
        value = draw(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=10))
        return text.replace(line, f"{key}: {tag} {json.dumps(value)}", 1).encode()
    doc = default_stack()
    doc["instances"]["count"] = 1
    for path in draw(st.lists(st.sampled_from(PATHS), min_size=1, max_size=3)):
        plausible = PLAUSIBLE.get(path)
        put(doc, path, draw(st.sampled_from(plausible) if plausible and draw(st.booleans()) else VALUES))
    return yaml.safe_dump(doc, allow_unicode=draw(st.booleans())).encode()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(content=stack_documents())
def test_any_stack_document_ends_in_a_documented_exit_and_exit_2_calls_nothing(content, emulator, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    stack = folder / "stack.yaml"
    stack.write_bytes(content)
    result = run_cli(emulator, ["plan", "--stack", str(stack), "--state", str(folder / "s.json"), "--json"])
    assert result.exception is None, f"{type(result.exception).__name__}: {result.exception}"
    assert "Traceback" not in result.stderr
    assert result.exit_code in (0, 2, 4), (result.exit_code, result.stderr[-500:])
    doc = json.loads(result.stdout)
    event(f"exit {result.exit_code}")
    if result.exit_code == 2:
        assert result.api_calls == 0
        assert doc["ok"] is False and doc["error"]["type"] == "SpecError"
        assert len(doc["error"]["message"]) < 1000
    assert not (folder / "s.json").exists()  # plan never writes a state
