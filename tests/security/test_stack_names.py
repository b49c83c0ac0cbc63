"""Every name and description the provisioner sends keeps to the cloud's character rules, checked before
any call; the names the steps really send are the ones checked."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import yaml

from provisioner import names
from provisioner.errors import SpecError
from provisioner.spec import parse_stack
from tests.security.helpers import run_cli, with_changes


def test_every_derived_name_of_the_default_stack_keeps_to_its_rule():
    spec = parse_stack(yaml.safe_dump(with_changes({})))
    for what, value, rule in names.derived(spec):
        assert rule.fullmatch(value), (what, value)


@pytest.mark.parametrize("name", ["x y", "9lives", "http://x", "n" * 200])
def test_a_name_the_cloud_would_refuse_is_a_spec_error_before_any_call(name):
    with pytest.raises(SpecError) as caught:
        names.check(SimpleNamespace(name=name, zones=("cn-hangzhou-i",)))
    assert caught.value.field == "name"


def test_the_listener_description_has_no_space():
    assert names.LISTENER_DESCRIPTION.fullmatch(names.listener_description("fleet-default"))
    assert not names.LISTENER_DESCRIPTION.fullmatch("stack fleet-default")


def test_a_gpus_value_with_a_newline_is_refused():
    with pytest.raises(SpecError) as caught:
        parse_stack(
            yaml.safe_dump(with_changes({"serving": {"server": {"container": "img", "gpus": "all\nbootcmd: [id]"}}}))
        )
    assert caught.value.field == "serving.server.gpus"


def test_the_names_sent_to_the_cloud_are_the_checked_ones(emulator, tmp_path):
    stack = tmp_path / "stack.yaml"
    stack.write_text(yaml.safe_dump(with_changes({"instances": {"count": 1}, "zones": ["cn-hangzhou-i"]})))
    result = run_cli(emulator, ["provision", "--stack", str(stack), "--state", str(tmp_path / "s.json"), "--json"])
    assert result.exit_code == 0, result.stderr
    expected = {value for _, value, _ in names.derived(parse_stack(stack.read_text()))}
    missing = expected - strings_in_the_cloud(emulator)
    assert not missing, missing


def strings_in_the_cloud(emulator) -> set[str]:
    """Every string value held by the emulator's resources (names and descriptions among them)."""
    from localcloud.core import public

    out: set[str] = set()

    def walk(value) -> None:
        if isinstance(value, str):
            out.add(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)

    store = emulator.emulator.store
    with emulator.emulator.cloud.lock:
        for kind in store.kinds():
            for obj in store.all(kind):
                walk(public(obj))
    return out
