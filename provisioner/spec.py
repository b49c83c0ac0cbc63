"""The stack file: YAML in, frozen dataclasses out, every field validated before any API call."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from . import names
from .errors import SpecError
from .spec_rollout import Rollout, parse_rollout
from .spec_serving import ALIYUN_APT_MIRROR as ALIYUN_APT_MIRROR
from .spec_serving import ALIYUN_PIP_MIRROR as ALIYUN_PIP_MIRROR
from .spec_serving import USER_DATA_MAX_BYTES as USER_DATA_MAX_BYTES
from .spec_serving import Mirror as Mirror
from .spec_serving import Server as Server
from .spec_serving import Serving as Serving
from .spec_serving import parse_serving as _serving
from .specfields import Section as _Section
from .specfields import empty as _empty
from .specfields import kind as _kind
from .specfields import shown as _shown
from .specfields import uri as _uri
from .stackfile import cut, load_yaml, read_text

# The SLB's health checks and forwarded traffic come from 100.64.0.0/10 (Alibaba CLB docs: "add the
# CIDR block 100.64.0.0/10 to the security group"); the serving port accepts only that and the VPC.
SLB_SOURCE_CIDR = "100.64.0.0/10"

# VPC CIDR rules (CreateVpc: RFC 1918 blocks or subnets, mask 16-28 for custom blocks; never these).
_RESERVED = [
    ipaddress.ip_network(c)
    for c in ("100.64.0.0/10", "224.0.0.0/4", "127.0.0.0/8", "169.254.0.0/16", "0.0.0.0/8", "240.0.0.0/4")
]
_RFC1918 = [ipaddress.ip_network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]

SYSTEM_DISK_SIZES = {
    "cloud_efficiency": (20, 2048),
    "cloud_ssd": (20, 2048),
    "cloud_essd": (20, 2048),
    "cloud_auto": (1, 2048),
    "cloud_essd_entry": (10, 2048),
    "cloud": (20, 500),
}
DATA_DISK_SIZES = {
    "cloud_efficiency": (20, 32768),
    "cloud_ssd": (20, 32768),
    "cloud_essd": (20, 65536),
    "cloud_auto": (1, 65536),
    "cloud_essd_entry": (10, 32768),
    "cloud": (5, 2000),
}
# How a new CLB is billed: pay-as-you-go CLBs are pay-by-LCU only (pay-by-specification left sale on 2025-06-01).
SLB_BILLING = ("pay_by_lcu",)
HTTP_CODES = ("http_2xx", "http_3xx", "http_4xx", "http_5xx")
MAX_INSTANCES = 500

# Every pattern is applied with fullmatch (a `$` would also match before a final newline: "fleet\n").
_NAME_RE = re.compile(r"[a-z]([a-z0-9-]{0,38}[a-z0-9])?")  # 1-40; names.py checks what the cloud gets
_REGION_RE = re.compile(r"[a-z]{2,}-[a-z0-9-]{1,40}")
_ZONE_SUFFIX_RE = re.compile(r"-?[a-z0-9]{1,16}")  # cn-hangzhou-i, ap-southeast-1a
_TYPE_RE = re.compile(r"ecs\.[a-z0-9]+(-[a-z0-9]+)*\.[a-z0-9-]+")
_FAMILY_RE = re.compile(r"[A-Za-z][A-Za-z0-9:_.-]{1,127}")
_ENDPOINT_RE = re.compile(r"https?://[A-Za-z0-9.\-\[\]:]{1,100}:\d{1,5}/?")
# RunInstances KeyPairName: 2-128 characters, a letter first, letters, digits, . _ - :
_KEY_PAIR_RE = re.compile(r"[A-Za-z][A-Za-z0-9._:-]{1,127}")


@dataclass(frozen=True)
class Network:
    vpc_cidr: str
    vswitch_cidr: str


@dataclass(frozen=True)
class SystemDisk:
    category: str
    size_gib: int


@dataclass(frozen=True)
class Instances:
    count: int
    type: str
    image: str | None  # an exact image id, or
    system_disk: SystemDisk
    image_family: str | None = None  # an image family: RunInstances ImageFamily takes its newest image


@dataclass(frozen=True)
class DataDisk:
    size_gib: int
    category: str
    attach: str  # "first": one disk on the first instance; "each": one per instance


@dataclass(frozen=True)
class HealthCheck:
    uri: str
    interval: int
    timeout: int
    healthy_threshold: int
    unhealthy_threshold: int
    http_codes: tuple[str, ...]


@dataclass(frozen=True)
class LoadBalancer:
    listener_port: int
    billing: str  # "pay_by_lcu": CreateLoadBalancer InstanceChargeType=PayByCLCU, no spec
    address_type: str
    health_check: HealthCheck
    drain_seconds: int = 10  # scale-down: weight 0 this long before a backend is removed


@dataclass(frozen=True)
class Access:
    admin_cidrs: tuple[str, ...]  # SSH (22) only from these; none: SSH closed
    serving_cidrs: tuple[str, ...]  # extra sources for the serving port besides the SLB and the VPC
    key_pair: str | None


@dataclass(frozen=True)
class Target:
    kind: str  # "localcloud" or "alibaba"
    endpoint: str | None


@dataclass(frozen=True)
class Stack:
    name: str
    region: str
    zones: tuple[str, ...]
    network: Network
    instances: Instances
    data_disk: DataDisk | None
    serving: Serving
    load_balancer: LoadBalancer
    access: Access
    target: Target = field(default=Target("localcloud", None))
    rollout: Rollout = field(default=Rollout())  # how outdated instances are replaced (spec_rollout.py)

    def vswitch_cidr(self, zone: str) -> str:
        """The vSwitch CIDR of a zone: the spec's for the first zone, carved ones of the same size after it."""
        return zone_cidrs(self.network, len(self.zones))[self.zones.index(zone)]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def spec_hash(self) -> str:
        """Hash of what the stack asks for (the target is where, not what, so it is left out)."""
        data = self.to_dict()
        data.pop("target", None)
        data.pop("rollout", None)  # how a change is rolled out is not what the stack is
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def zone_cidrs(network: Network, count: int) -> list[str]:
    """The first zone gets vswitch_cidr; each further zone the next free block of the same size in the VPC."""
    vpc = ipaddress.ip_network(network.vpc_cidr)
    first = ipaddress.ip_network(network.vswitch_cidr)
    out = [str(first)]
    for block in vpc.subnets(new_prefix=first.prefixlen):
        if len(out) >= count:
            break
        if block != first:
            out.append(str(block))
    return out


# --- loading --------------------------------------------------------------------------------------------


def load_stack(path: str) -> Stack:
    """Read (bounded, UTF-8) and validate a stack file; raise SpecError naming the field on the first problem."""
    return parse_stack(read_text(path), source=path)


def parse_stack(text: str, source: str = "<stack>") -> Stack:
    data = load_yaml(text, source)
    if not isinstance(data, dict):
        raise SpecError("", f"{source} must hold a mapping of stack settings, not {_kind(data)}")
    try:
        stack = _stack(_Section(data, ""))
        names.check(stack)
    except SpecError as err:
        if len(err.field) > 120 or len(err.message) > 600:  # a huge key or value never floods the terminal
            raise SpecError(cut(err.field, 120), cut(err.message, 600)) from None
        raise
    return stack


def _stack(top: _Section) -> Stack:
    name = top.text(
        "name",
        pattern=_NAME_RE,
        hint="must be 1-40 characters of a-z, 0-9 and '-', starting with a letter, not ending with '-'",
    )
    region = top.text("region", pattern=_REGION_RE, hint="must be a region id such as cn-hangzhou")
    zones = _zones(top, region)
    network = _network(top.section("network") or _empty("network"), len(zones))
    instances = _instances(top.section("instances", required=True))
    data_disk = _data_disk(top.section("data_disk"))
    image_hint = " ".join(str(getattr(instances, key, None) or "") for key in ("image", "image_family")).strip()
    serving = _serving(top.section("serving") or _empty("serving"), image_hint)
    load_balancer = _load_balancer(top.section("load_balancer") or _empty("load_balancer"), serving)
    access = _access(top.section("access") or _empty("access"), network)
    target = _target(top.section("target") or _empty("target"))
    rollout = parse_rollout(top.section("rollout"), instances.count)
    top.done()
    return Stack(name, region, zones, network, instances, data_disk, serving, load_balancer, access, target, rollout)


def _zones(top: _Section, region: str) -> tuple[str, ...]:
    raw = top.items("zones")
    if not raw:
        raise SpecError("zones", "must list at least one zone (in order of preference)")
    seen: list[str] = []
    for i, zone in enumerate(raw):
        path = f"zones[{i}]"
        if (
            not isinstance(zone, str)
            or not zone.startswith(region)
            or not _ZONE_SUFFIX_RE.fullmatch(zone[len(region) :])
        ):
            raise SpecError(path, f"must be a zone of region {region} such as {region}-a (got {_shown(zone)})")
        if zone in seen:
            raise SpecError(path, f"{zone} is listed twice")
        seen.append(zone)
    return tuple(seen)


def _cidr(path: str, value: Any) -> ipaddress.IPv4Network:
    if not isinstance(value, str):
        raise SpecError(path, f"must be an IPv4 CIDR block such as 10.0.0.0/16, not {_kind(value)}")
    try:
        net = ipaddress.ip_network(value.strip(), strict=True)
    except ValueError as err:
        raise SpecError(path, f"is not a valid CIDR block ({cut(str(err))})") from None
    if net.version != 4:
        raise SpecError(path, "must be an IPv4 CIDR block")
    return net


def _network(sec: _Section, zone_count: int) -> Network:
    vpc = _cidr(sec.field("vpc_cidr"), sec.text("vpc_cidr", default="10.0.0.0/16"))
    if not (vpc in _RFC1918 or 16 <= vpc.prefixlen <= 28):
        raise SpecError(
            sec.field("vpc_cidr"), "must be 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or a block with a /16 to /28 mask"
        )
    for reserved in _RESERVED:
        if vpc.overlaps(reserved):
            raise SpecError(sec.field("vpc_cidr"), f"must not overlap {reserved} (reserved by the cloud)")
    vsw = _cidr(sec.field("vswitch_cidr"), sec.text("vswitch_cidr", default="10.0.1.0/24"))
    if not 16 <= vsw.prefixlen <= 29:
        raise SpecError(sec.field("vswitch_cidr"), "must have a mask between /16 and /29")
    if not vsw.subnet_of(vpc):
        raise SpecError(sec.field("vswitch_cidr"), f"must lie inside network.vpc_cidr {vpc}")
    available = 2 ** (vsw.prefixlen - vpc.prefixlen)
    if available < zone_count:
        raise SpecError(
            sec.field("vswitch_cidr"),
            f"{zone_count} zones need {zone_count} vSwitch blocks of /{vsw.prefixlen} but {vpc} holds {available}",
        )
    sec.done()
    return Network(str(vpc), str(vsw))


def _instances(sec: _Section) -> Instances:
    count = sec.integer("count", 1, MAX_INSTANCES)
    itype = sec.text("type", pattern=_TYPE_RE, hint="must be an ECS instance type such as ecs.g7.large")
    image = sec.text("image", required=False)
    family = sec.text(
        "image_family",
        required=False,
        pattern=_FAMILY_RE,
        hint="must be an image family name such as acs:ubuntu_22_04_x64 (2-128 of letters, digits, "
        "':', '_', '-', '.', starting with a letter)",
    )
    if (image is None) == (family is None):
        # RunInstances takes ImageId or ImageFamily, never both. Public dated ids are retired within months,
        # so a family (the newest image of an OS version) is what the shipped stacks use.
        raise SpecError(
            sec.field("image_family"),
            "give exactly one of instances.image_family (e.g. "
            "acs:ubuntu_22_04_x64, the newest image of that family) and instances.image (an exact image id)",
        )
    disk_sec = sec.section("system_disk") or _empty(sec.field("system_disk"))
    category = disk_sec.text("category", default="cloud_essd", choices=tuple(SYSTEM_DISK_SIZES))
    lo, hi = SYSTEM_DISK_SIZES[category]
    size = disk_sec.integer("size_gib", lo, hi, default=max(lo, 40))
    disk_sec.done()
    sec.done()
    return Instances(count, itype, image, SystemDisk(category, size), family)


def _data_disk(sec: _Section | None) -> DataDisk | None:
    if sec is None:
        return None
    category = sec.text("category", default="cloud_ssd", choices=tuple(DATA_DISK_SIZES))
    lo, hi = DATA_DISK_SIZES[category]
    size = sec.integer("size_gib", lo, hi)
    attach = sec.text("attach", default="first", choices=("first", "each"))
    sec.done()
    return DataDisk(size, category, attach)


def _load_balancer(sec: _Section, serving: Serving) -> LoadBalancer:
    listener_port = sec.integer("listener_port", 1, 65535, default=80)
    if sec.data.get("spec") is not None:
        # A CLB spec (slb.s1.small, ...) only means something to pay-by-specification CLBs, which are no
        # longer sold: refused here rather than by CreateLoadBalancer after the network was paid for.
        raise SpecError(
            sec.field("spec"),
            "pay-by-specification CLBs are no longer sold (since 2025-06-01), so a"
            f" CLB spec ({sec.data['spec']!r}) cannot be bought; remove the field: new CLBs are"
            " pay-by-LCU (load_balancer.billing: pay_by_lcu) and scale without a spec; an existing"
            " pay-by-spec CLB of the stack is kept as it is",
        )
    billing = sec.text("billing", default="pay_by_lcu", choices=SLB_BILLING)
    address_type = sec.text("address_type", default="internet", choices=("internet", "intranet"))
    hc = sec.section("health_check") or _empty(sec.field("health_check"))
    uri = _uri(hc, "uri", serving.health_path)
    interval = hc.integer("interval", 1, 50, default=2)
    timeout = hc.integer("timeout", 1, 300, default=5)
    healthy = hc.integer("healthy_threshold", 2, 10, default=3)
    unhealthy = hc.integer("unhealthy_threshold", 2, 10, default=3)
    codes = hc.items("http_codes", default=["http_2xx"])
    if not codes:
        raise SpecError(hc.field("http_codes"), f"must list at least one of {', '.join(HTTP_CODES)}")
    for i, code in enumerate(codes):
        if code not in HTTP_CODES:
            raise SpecError(
                f"{hc.field('http_codes')}[{i}]", f"must be one of {', '.join(HTTP_CODES)} (got {_shown(code)})"
            )
    if len(set(codes)) != len(codes):
        raise SpecError(hc.field("http_codes"), "lists a code twice")
    hc.done()
    # Connection draining: CLB's own drain timeout is 10-900 s; 0 removes a backend without waiting.
    drain_seconds = sec.integer("drain_seconds", 0, 900, default=10)
    sec.done()
    return LoadBalancer(
        listener_port,
        billing,
        address_type,
        HealthCheck(uri, interval, timeout, healthy, unhealthy, tuple(codes)),
        drain_seconds,
    )


def _source_cidrs(sec: _Section, key: str, what: str, min_prefix: int) -> tuple[str, ...]:
    out: list[str] = []
    for i, raw in enumerate(sec.items(key, default=[])):
        path = f"{sec.field(key)}[{i}]"
        if isinstance(raw, str) and "/" not in raw:
            raw = raw.strip() + "/32"  # a single address
        net = _cidr(path, raw)
        if net.prefixlen < min_prefix:
            raise SpecError(
                path,
                f"{net} would open {what} to {'the whole internet' if net.prefixlen == 0 else 'too wide a range'};"
                f" give ranges of /{min_prefix} or narrower",
            )
        if str(net) in out:
            raise SpecError(path, f"{net} is listed twice")
        out.append(str(net))
    return tuple(out)


def _access(sec: _Section, network: Network) -> Access:
    admin = _source_cidrs(sec, "admin_cidrs", "SSH", 8)
    slb_range = ipaddress.ip_network(SLB_SOURCE_CIDR)
    for i, cidr in enumerate(admin):
        if ipaddress.ip_network(cidr).overlaps(slb_range):
            # 100.64.0.0/10 is where every CLB's traffic comes from (shared by all tenants' SLBs): SSH
            # open to it is open to whatever an SLB forwards.
            raise SpecError(
                f"{sec.field('admin_cidrs')}[{i}]",
                f"{cidr} overlaps {SLB_SOURCE_CIDR}, the SLB's source" " range; SSH must come from your own addresses",
            )
    serving = _source_cidrs(sec, "serving_cidrs", "the serving port", 8)
    for i, cidr in enumerate(serving):
        if cidr in (SLB_SOURCE_CIDR, network.vpc_cidr):
            raise SpecError(f"{sec.field('serving_cidrs')}[{i}]", f"{cidr} is always allowed; do not list it")
    key_pair = sec.text(
        "key_pair",
        required=False,
        pattern=_KEY_PAIR_RE,
        hint="must be an ECS key pair name (2-128 letters, digits, . _ - :, a letter first)",
    )
    sec.done()
    return Access(admin, serving, key_pair)


def _target(sec: _Section) -> Target:
    kind = sec.text("kind", default="localcloud", choices=("localcloud", "alibaba"))
    endpoint = sec.text(
        "endpoint", required=False, pattern=_ENDPOINT_RE, hint="must be a URL such as http://127.0.0.1:18080"
    )
    if endpoint is not None and kind != "localcloud":
        raise SpecError(
            sec.field("endpoint"),
            "is only for target.kind localcloud (the real cloud's endpoints come from the region)",
        )
    sec.done()
    return Target(kind, endpoint.rstrip("/") if endpoint else None)
