"""Errors are classified once, by code and HTTP status; tenacity retries only what can clear, reusing
the ClientToken, and never really sleeps in tests."""

from __future__ import annotations

import pytest

from provisioner import errors, retry
from provisioner.errors import Busy, Fatal, NoStock, NotFound, Transient, classify
from provisioner.steps import common
from provisioner.steps import security_group as sg_step
from provisioner.steps import vpc as vpc_step


@pytest.mark.parametrize(
    "code,status,kind",
    [
        ("Throttling", 400, Transient),
        ("Throttling.User", 400, Transient),
        ("ServiceUnavailable", 503, Transient),
        ("InternalError", 500, Transient),
        ("SomethingNew", 502, Transient),
        (None, None, Transient),
        ("IncorrectInstanceStatus.Initializing", 403, Busy),
        ("DependencyViolation.VSwitch", 400, Busy),
        ("IncorrectVpcStatus", 400, Busy),
        ("OperationConflict", 409, Busy),
        ("LastTokenProcessing", 403, Busy),
        ("IdempotentProcessing", 403, Busy),
        ("InvalidVpcId.NotFound", 404, NotFound),
        ("InvalidDisk.AlreadyDetached", 404, NotFound),
        ("OperationDenied.NoStock", 403, NoStock),
        ("Zone.NotOnSale", 403, NoStock),
        ("InvalidParameter", 400, Fatal),
        ("QuotaExceed.ElasticQuota", 403, Fatal),
        ("Forbidden.RAM", 403, Fatal),
        ("InvalidAccessKeyId.NotFound", 404, NotFound),
        ("IdempotentParameterMismatch", 400, Fatal),
    ],
)
def test_errors_are_classified_by_code_and_status(code, status, kind):
    assert classify(code, status) is kind


def test_an_sdk_error_becomes_ours_with_code_status_and_request_id(make_ctx):
    ctx = make_ctx()
    with pytest.raises(NotFound) as info:
        ctx.call(
            "security-group",
            "sg-nope",
            "ecs",
            "DeleteSecurityGroup",
            {"RegionId": "cn-hangzhou", "SecurityGroupId": "sg-nope"},
        )
    err = info.value
    assert (err.code, err.status, err.step, err.resource) == (
        "InvalidSecurityGroupId.NotFound",
        404,
        "security-group",
        "sg-nope",
    )
    assert err.request_id and err.request_id in str(err)
    assert str(err).startswith("security-group: DeleteSecurityGroup on sg-nope failed: InvalidSecurityGroupId.NotFound")


def test_a_refused_connection_is_a_transient_network_error(make_ctx, monkeypatch, emulator):
    ctx = make_ctx()
    ctx.cloud.target.endpoint = "http://127.0.0.1:9"  # nothing listens on the discard port
    monkeypatch.setattr(retry, "TRANSIENT", retry.Policy(2, 5.0, 0.01, 0.01, 0.0))
    with pytest.raises(Transient) as info:
        ctx.call("vpc", "", "vpc", "DescribeVpcs", {"RegionId": "cn-hangzhou"})
    assert info.value.code is None and "network error" in str(info.value)


def test_throttling_is_retried_with_growing_backoff_then_succeeds(make_ctx, control, monkeypatch):
    sleeps: list[float] = []
    monkeypatch.setattr(retry, "sleep", sleeps.append)
    control.faults(seed=7, rules=[{"action": "vpc:DescribeVpcs", "throttle": 0.7}])
    ctx = make_ctx()
    for _ in range(5):
        ctx.call("vpc", "", "vpc", "DescribeVpcs", {"RegionId": "cn-hangzhou"})
    throttled = control.stats()["actions"]["vpc:DescribeVpcs"]["errors"].get("Throttling.User", 0)
    assert throttled >= 3 and len(sleeps) == throttled
    assert all(0 < s <= retry.TRANSIENT.max_wait_s + retry.TRANSIENT.jitter_s for s in sleeps)


def test_retries_stop_after_the_policys_attempts(make_ctx, control, monkeypatch):
    monkeypatch.setattr(retry, "TRANSIENT", retry.Policy(4, 60.0, 0.01, 0.01, 0.0))
    control.faults(rules=[{"action": "vpc:DescribeVpcs", "error": 1.0}])
    with pytest.raises(Transient) as info:
        make_ctx().call("vpc", "", "vpc", "DescribeVpcs", {"RegionId": "cn-hangzhou"})
    assert info.value.status in (500, 503)
    assert control.stats()["actions"]["vpc:DescribeVpcs"]["calls"] == 4


def test_a_create_whose_answers_are_lost_reuses_its_token_and_creates_once(make_ctx, control, monkeypatch):
    """Every CreateVpc takes effect and then loses its answer: each retry carries the same ClientToken."""
    monkeypatch.setattr(retry, "BUSY", retry.Policy(4, 60.0, 0.01, 0.01, 0.0))  # creates also wait out Busy
    control.faults(rules=[{"action": "vpc:CreateVpc", "commit_drop": 1.0}])
    ctx = make_ctx()
    with pytest.raises(Transient):
        vpc_step.ensure_vpc(ctx, [])
    assert control.stats()["actions"]["vpc:CreateVpc"]["calls"] == 4
    assert len(control.resources()["vpc"]) == 1
    pending = ctx.state.all_pending()
    assert list(pending) == ["vpc/0/"]  # kept: the next run replays this token
    control.faults()
    vpc, record = vpc_step.ensure_vpc(ctx, vpc_step.find_vpcs(ctx))
    assert record.action == "existing" and len(control.resources()["vpc"]) == 1


def test_busy_is_not_retried_unless_the_caller_says_it_clears(make_ctx, control, monkeypatch):
    ctx = make_ctx()
    vpc, _ = vpc_step.ensure_vpc(ctx, [])
    group, _ = sg_step.ensure_security_group(ctx, vpc, [])
    control.request("POST", "stats/reset")
    with pytest.raises(Busy) as info:  # the security group still depends on the VPC
        ctx.call("vpc", vpc.id, "vpc", "DeleteVpc", {"RegionId": "cn-hangzhou", "VpcId": vpc.id})
    assert info.value.code.startswith("DependencyViolation")
    assert control.stats()["total"] == 1
    monkeypatch.setattr(retry, "BUSY", retry.Policy(3, 60.0, 0.01, 0.01, 0.0))
    with pytest.raises(Busy):
        ctx.call("vpc", vpc.id, "vpc", "DeleteVpc", {"RegionId": "cn-hangzhou", "VpcId": vpc.id}, busy=True)
    assert control.stats()["actions"]["vpc:DeleteVpc"]["calls"] == 1 + 3


def test_a_fatal_error_is_not_retried(make_ctx, control):
    with pytest.raises(Fatal) as info:
        make_ctx().call("vpc", "", "vpc", "CreateVpc", {"RegionId": "cn-hangzhou", "CidrBlock": "10.0.0.0/33"})
    assert info.value.status == 400
    assert control.stats()["total"] == 1


def test_verify_turns_a_repeated_delete_into_success(make_ctx, control):
    ctx = make_ctx()
    vpc, _ = vpc_step.ensure_vpc(ctx, [])
    ctx.call("vpc", vpc.id, "vpc", "DeleteVpc", {"RegionId": "cn-hangzhou", "VpcId": vpc.id})
    common.wait_for(f"{vpc.id} gone", lambda: (vpc_step.describe_vpc(ctx, vpc.id) is None, ""), 10)
    body = ctx.call(
        "vpc",
        vpc.id,
        "vpc",
        "DeleteVpc",
        {"RegionId": "cn-hangzhou", "VpcId": vpc.id},
        verify=lambda: vpc_step.describe_vpc(ctx, vpc.id) is None,
    )
    assert body == {}


def test_a_wait_has_a_deadline_and_says_what_it_waited_for(monkeypatch):
    clock = iter(range(0, 1000, 7))
    monkeypatch.setattr(common.time, "monotonic", lambda: float(next(clock)))
    with pytest.raises(errors.WaitTimeout) as info:
        common.wait_for("the moon to be Available", lambda: (False, "status Pending"), timeout=30)
    assert "the moon to be Available" in str(info.value) and "status Pending" in str(info.value)
