"""What a stack's instances would fetch from the internet, which they cannot reach on Alibaba Cloud.

Instances get no public IP (`InternetMaxBandwidthOut: 0`) and the VPC has no NAT gateway, so apt, pip
and docker pulls work only against addresses inside the VPC: Alibaba Cloud's mirrors
(mirrors.cloud.aliyuncs.com, the default of serving.mirror) and Container Registry's VPC endpoints
(registry-vpc.<region>.aliyuncs.com, <instance>-registry-vpc.<region>.cr.aliyuncs.com). `plan` and
`provision` print these findings as warnings for the real cloud; localcloud runs workloads locally
and needs none of it. apt is not reported: Alibaba's public images of every distribution already take
their packages from mirrors.cloud.aliyuncs.com, and serving.mirror sets it for Ubuntu and Debian.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..spec_serving import Serving

# Container Registry addresses reachable from inside a VPC (ACR personal and enterprise editions).
_VPC_REGISTRY = re.compile(r"([a-z0-9-]+-)?registry-vpc\.[a-z0-9-]+\.(cr\.)?aliyuncs\.com(:[0-9]+)?")


def image_registry(image: str) -> str:
    """The registry host of a docker image reference (Docker Hub when the first part is no host)."""
    first, _, rest = image.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def internet_needs(serving: Serving) -> list[str]:
    """One warning per thing the generated user data would fetch from outside the VPC."""
    if serving.user_data is not None:
        return []
    server, mirror = serving.server, serving.mirror
    out = []
    if server.container:
        registry = image_registry(server.container)
        if not _VPC_REGISTRY.fullmatch(registry) and not (registry == "docker.io" and mirror.registry):
            out.append(
                f"serving.server.container {server.container[:80]} is pulled from {registry}, a public registry;"
                " the instances have no public IP and no NAT, so the pull fails: push the image to Alibaba"
                " Cloud Container Registry and name its VPC address (registry-vpc.<region>.aliyuncs.com/...),"
                " or set serving.mirror.registry (Docker Hub images only)"
            )
    elif not mirror.pip and (server.builtin or server.pip):
        out.append(
            "serving.mirror.pip is none: pip installs from the image's own index, which is on the internet"
            " unless the image says otherwise; the instances have no public IP and no NAT (the default,"
            " http://mirrors.cloud.aliyuncs.com/pypi/simple/, is inside every VPC)"
        )
    return out
