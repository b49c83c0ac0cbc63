"""The instance template: which stack fields make it, and that only those change its digest."""
from __future__ import annotations

import dataclasses

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
