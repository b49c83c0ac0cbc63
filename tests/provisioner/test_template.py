"""The instance template: which stack fields make it, and that only those change its digest."""

from __future__ import annotations

import dataclasses

import pytest

from provisioner.errors import SpecError
from provisioner.spec import parse_stack
from provisioner.template import UNKNOWN_FIELD, differing, template_of

STACK = """
name: tpl
region: cn-hangzhou
zones: [cn-hangzhou-i]
instances: {count: 2, type: ecs.g7.large, image_family: "acs:ubuntu_22_04_x64"}
serving: {port: 8080, server: {env: {MODEL_VERSION: "1"}}}
"""


def test_type_port_and_env_change_the_template_and_are_named():
    old = template_of(parse_stack(STACK))
    new_text = STACK.replace("ecs.g7.large", "ecs.g7.xlarge").replace("8080", "8081").replace('"1"', '"2"')
    new = template_of(parse_stack(new_text))
    assert old.digest != new.digest
    assert differing(old.fields, new.fields) == ["instances.type", "serving.port", "serving.server.env"]


def test_fields_outside_the_template_leave_it_alone():
    base = parse_stack(STACK)
    scaled = dataclasses.replace(base, instances=dataclasses.replace(base.instances, count=9))
    assert template_of(scaled) == template_of(base)
    assert template_of(parse_stack(STACK + "load_balancer: {listener_port: 81}\n")).digest == template_of(base).digest


def test_an_instance_from_before_templates_differs_in_an_unknown_field():
    assert differing(None, template_of(parse_stack(STACK)).fields) == [UNKNOWN_FIELD]


@pytest.mark.parametrize(
    "rollout, field, words",
    [
        ("{max_surge: -1}", "rollout.max_surge", "count (0-500) or a percentage"),
        ("{max_surge: 150%}", "rollout.max_surge", "percentage"),
        ("{max_surge: 0, max_unavailable: 0}", "rollout.max_surge", "cannot both be 0"),
        ("{max_surge: 0}", "rollout.max_surge", "rollout.max_surge (0) and rollout.max_unavailable (0) cannot"),
        ("{max_surge: 0, max_unavailable: 25%}", "rollout.max_unavailable", "cannot both be 0 for instances.count 2"),
        ("{health_timeout: 1}", "rollout.health_timeout", "between 10 and 7200"),
        ("{on_reconcile: always}", "rollout.on_reconcile", "finish, start"),
        ("{canary: {instances: 3, weight: 10}}", "rollout.canary.instances", "at most instances.count (2)"),
        ("{canary: {instances: 1, weight: 100}}", "rollout.canary.weight", "between 1 and 99"),
        ("{canary: {instances: 1, hold: maybe}}", "rollout.canary.hold", "true or false"),
        ("{batch_size: 2}", "rollout.batch_size", "unknown key"),
    ],
)
def test_a_bad_rollout_policy_is_refused_naming_the_field(rollout, field, words):
    with pytest.raises(SpecError) as err:
        parse_stack(STACK + f"rollout: {rollout}\n")
    assert err.value.field == field and words in str(err.value)


def test_rollout_amounts_take_counts_and_percentages_of_the_fleet():
    policy = parse_stack(STACK + "rollout: {max_surge: 50%, max_unavailable: 25%}\n").rollout
    assert (policy.surge(10), policy.unavailable(10)) == (5, 2)  # surge rounds up, unavailable down
    default = parse_stack(STACK).rollout
    assert (default.surge(3), default.unavailable(3), default.on_reconcile) == (1, 0, "finish")
