"""The stack file: the shipped stacks load; each kind of mistake is refused before any API call, naming
the field, with exit code 2."""

from __future__ import annotations

import glob
import os

import pytest

from provisioner.errors import SpecError
from provisioner.spec import load_stack, parse_stack
from tests.provisioner.helpers import ROOT, load_default, merged


def test_every_shipped_stack_file_is_valid():
    paths = sorted(glob.glob(os.path.join(ROOT, "stacks", "*.yaml")))
    assert len(paths) >= 3
    for path in paths:
        assert load_stack(path).name


def test_default_stack_is_the_project_starting_point():
    spec = load_stack(os.path.join(ROOT, "stacks", "default.yaml"))
    assert spec.instances.count == 3
    assert (spec.data_disk.size_gib, spec.data_disk.category, spec.data_disk.attach) == (40, "cloud_ssd", "first")
    assert spec.load_balancer.listener_port == 80
    assert spec.access.admin_cidrs == ()
    assert spec.target.kind == "localcloud"


def test_extra_zones_get_vswitch_blocks_of_the_same_size_inside_the_vpc():
    spec = parse_stack(
        _yaml(
            merged(
                load_default(),
                {
                    "zones": ["cn-hangzhou-i", "cn-hangzhou-j", "cn-hangzhou-k"],
                    "network": {"vpc_cidr": "10.0.0.0/16", "vswitch_cidr": "10.0.1.0/24"},
                },
            )
        )
    )
    assert [spec.vswitch_cidr(z) for z in spec.zones] == ["10.0.1.0/24", "10.0.0.0/24", "10.0.2.0/24"]


def test_spec_hash_ignores_the_target_but_not_the_count():
    base = load_default()
    one = parse_stack(_yaml(base))
    other_target = parse_stack(_yaml(merged(base, {"target": {"kind": "alibaba"}})))
    more = parse_stack(_yaml(merged(base, {"instances": {"count": 4}})))
    assert one.spec_hash == other_target.spec_hash
    assert one.spec_hash != more.spec_hash


def test_a_single_admin_address_becomes_a_host_cidr():
    spec = parse_stack(_yaml(merged(load_default(), {"access": {"admin_cidrs": ["203.0.113.7"]}})))
    assert spec.access.admin_cidrs == ("203.0.113.7/32",)


BAD_STACKS = [
    # (changes to the default stack, the field the error must name, words the message must hold)
    ({"instances": {"count": 0}}, "instances.count", "between 1 and 500"),
    ({"instances": {"count": "3"}}, "instances.count", "integer"),
    ({"instances": {"cout": 3}}, "instances.cout", "unknown key"),
    ({"nmae": "x"}, "nmae", "unknown key"),
    ({"name": "Fleet_1"}, "name", "a-z"),
    ({"network": {"vpc_cidr": "10.0.0.0/33"}}, "network.vpc_cidr", "not a valid CIDR"),
    ({"network": {"vpc_cidr": "100.64.0.0/16", "vswitch_cidr": "100.64.1.0/24"}}, "network.vpc_cidr", "100.64.0.0/10"),
    ({"network": {"vswitch_cidr": "10.1.0.0/24"}}, "network.vswitch_cidr", "inside"),
    ({"zones": ["cn-beijing-h"]}, "zones[0]", "cn-hangzhou"),
    ({"zones": []}, "zones", "at least one zone"),
    ({"zones": ["cn-hangzhou-i", "cn-hangzhou-i"]}, "zones[1]", "twice"),
    ({"access": {"admin_cidrs": ["0.0.0.0/0"]}}, "access.admin_cidrs[0]", "whole internet"),
    ({"access": {"serving_cidrs": ["0.0.0.0/0"]}}, "access.serving_cidrs[0]", "whole internet"),
    ({"access": {"serving_cidrs": [""]}}, "access.serving_cidrs[0]", "not a valid CIDR"),
    ({"data_disk": {"attach": "all"}}, "data_disk.attach", "first, each"),
    ({"data_disk": {"size_gib": 10}}, "data_disk.size_gib", "between 20 and 32768"),
    (
        {"load_balancer": {"health_check": {"http_codes": ["http_200"]}}},
        "load_balancer.health_check.http_codes[0]",
        "http_2xx",
    ),
    ({"load_balancer": {"health_check": {"interval": 60}}}, "load_balancer.health_check.interval", "between 1 and 50"),
    ({"load_balancer": {"address_type": "public"}}, "load_balancer.address_type", "internet, intranet"),
    ({"serving": {"port": 22}}, "serving.port", "SSH"),
    ({"serving": {"user_data": "#!/bin/sh\n", "server": {"command": ["x"]}}}, "serving.server", "not both"),
    ({"serving": {"server": {"command": ["{pyton}", "app.py"]}}}, "serving.server.command", "placeholder"),
    ({"target": {"kind": "alibaba", "endpoint": "http://127.0.0.1:1"}}, "target.endpoint", "only for"),
    ({"instances": {"type": "g7.large"}}, "instances.type", "instance type"),
]


@pytest.mark.parametrize("changes,field,words", BAD_STACKS, ids=[b[1] for b in BAD_STACKS])
def test_bad_stack_is_refused_naming_the_field(changes, field, words):
    with pytest.raises(SpecError) as info:
        parse_stack(_yaml(merged(load_default(), changes)))
    assert info.value.field == field
    assert words in info.value.message


def test_a_key_given_twice_is_refused():
    text = _yaml(load_default()) + "name: again\n"
    with pytest.raises(SpecError, match="given twice"):
        parse_stack(text)


def test_yaml_syntax_error_names_the_line():
    with pytest.raises(SpecError, match="line 2"):
        parse_stack("name: x\nregion: @cn-hangzhou\n")


@pytest.mark.parametrize("changes,field,words", BAD_STACKS[:12], ids=[b[1] for b in BAD_STACKS[:12]])
def test_cli_refuses_a_bad_stack_with_exit_2_and_no_api_call(run, control, write_stack, changes, field, words):
    path = write_stack(**changes)
    result = run("provision", path)
    assert result.exit_code == 2
    assert result.doc["ok"] is False
    assert result.doc["error"]["field"] == field
    assert words in result.doc["error"]["message"]
    assert "Traceback" not in result.stderr
    assert control.stats()["total"] == 0


def test_cli_reports_a_missing_stack_file_with_exit_2(run, control, tmp_path):
    result = run("plan", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert "cannot read the stack file" in result.doc["error"]["message"]
    assert control.stats()["total"] == 0


def _yaml(data: dict) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False)
