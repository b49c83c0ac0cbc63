"""An instance's template: everything that decides what an instance is and runs, as named fields.

Two instances with the same template are interchangeable; an instance whose template differs from the
stack's is outdated and is replaced by a rollout (provisioner/replace.py), never changed in place (an
ECS instance's type, image, system disk, key pair and user data only change by a stop, a
ModifyInstanceSpec/ReplaceSystemDisk and a reboot, which is an outage for that backend).

`fields` maps each stack field path that goes into the template to a canonical text of its value
(long values, such as a stack's own user data, as a digest); `digest` is a short hash of the canonical
JSON of the fields. The digest is set at creation as the tag TAG_TEMPLATE (RunInstances Tag.N, so an
instance never exists without it), and the state records each digest's fields (State.template_fields)
so that the fields an old instance differs in can be named after the stack file changed.

Instances created before templates existed carry no tag. They are adopted as the current template when
their type and image match the stack's and their user data (DescribeUserData) is the one the stack
renders now (`legacy_matches`); otherwise they are outdated and replaced with "(unknown: created before
templates)" as the differing field. Adoption only records nothing: the tag is not added afterwards, so
the check is repeated by each run (one DescribeUserData per untagged instance).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from .spec import Stack
from .tags import TAG_TEMPLATE

UNKNOWN_FIELD = "(unknown: created before templates)"
_LONG = 120  # values longer than this are kept as a digest


@dataclass(frozen=True)
class Template:
    digest: str
    fields: dict[str, str]


def _text(value: Any) -> str:
    """A canonical text of a value: strings as is, anything else as sorted compact JSON; long ones hashed."""
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=list)
    if len(text) > _LONG:
        text = "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]
    return text


def template_fields(spec: Stack) -> dict[str, str]:
    """The stack fields that make up an instance's template, as canonical texts."""
    inst, serving, server = spec.instances, spec.serving, spec.serving.server
    fields = {
        "instances.type": inst.type,
        "instances.image": inst.image or "",
        "instances.image_family": inst.image_family or "",
        "instances.system_disk.category": inst.system_disk.category,
        "instances.system_disk.size_gib": str(inst.system_disk.size_gib),
        "access.key_pair": spec.access.key_pair or "",
        "serving.port": str(serving.port),
        "serving.health_path": serving.health_path,
        "serving.model_dir": serving.model_dir,
        "serving.user_data": _text(serving.user_data or ""),
        "serving.server.command": _text(list(server.command) if server.command is not None else None),
        "serving.server.container": server.container or "",
        "serving.server.env": _text(dict(server.env)),
        "serving.server.args": _text(list(server.args)),
        "serving.server.container_port": str(server.container_port),
        "serving.server.gpus": server.gpus,
        "serving.server.pip": _text(list(server.pip)),
        "serving.mirror": _text(asdict(serving.mirror)),
        # The model on the data disk: whether (and how) a disk is mounted is rendered into the user data.
        "data_disk.attach": spec.data_disk.attach if spec.data_disk else "",
    }
    return fields


def digest_of(fields: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:12]


def template_of(spec: Stack) -> Template:
    fields = template_fields(spec)
    return Template(digest_of(fields), fields)


def differing(old_fields: dict[str, str] | None, new_fields: dict[str, str]) -> list[str]:
    """The field paths whose values differ (sorted); an unknown old template differs in UNKNOWN_FIELD."""
    if old_fields is None:
        return [UNKNOWN_FIELD]
    keys = sorted(set(old_fields) | set(new_fields))
    return [k for k in keys if old_fields.get(k) != new_fields.get(k)]


def template_tag(spec: Stack) -> dict[str, str]:
    """The Tag.N entry RunInstances sets at creation."""
    return {"Key": TAG_TEMPLATE, "Value": template_of(spec).digest}


def instance_template(tags: dict[str, str]) -> str | None:
    """The template digest an instance was created with (None: created before templates)."""
    return tags.get(TAG_TEMPLATE) or None


def legacy_matches(
    spec: Stack,
    instance_type: str,
    image_id: str,
    expected_image: str | None,
    user_data_b64: str,
    expected_user_data_b64: str,
) -> bool:
    """Whether an untagged instance is the stack's current template: same type, same image (when the
    stack names an exact image, or the image its family resolves to now) and the same user data."""
    if instance_type != spec.instances.type:
        return False
    if expected_image and image_id and image_id != expected_image:
        return False
    return (user_data_b64 or "") == (expected_user_data_b64 or "")
