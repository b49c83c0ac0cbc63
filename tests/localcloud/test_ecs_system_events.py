"""Behaviours of today's cloud that outlast a call: instances the system releases at creation (with their
SystemFailure.Delete history event), dependencies that linger after a release, a stopped instance that
cannot start for stock, and security group rules from prefix lists and revoked by id."""

from __future__ import annotations

from alibabacloud_ecs20140526 import models as em
from alibabacloud_vpc20160428 import models as vm

from tests.helpers import REGION
from tests.localcloud.helpers import ZONE, assert_error, error_of, instance, run, status_of


def history(ecs, **kwargs):
    return ecs.describe_instance_history_events(
        em.DescribeInstanceHistoryEventsRequest(region_id=REGION, **kwargs)
    ).body


# lost instances -------------------------------------------------------------------------------------------
def test_a_lost_instance_is_answered_but_never_listed_and_has_a_system_failure_delete_event(ecs, net, control):
    control.faults(seed=3, rules=[{"action": "ecs:RunInstances", "lose": 1.0}])
    ids = run(ecs, net, amount=2)
    assert len(ids) == 2 and all(instance(ecs, i) is None for i in ids)
    body = history(ecs, instance_event_type=["SystemFailure.Delete"], resource_id=ids)
    events = body.instance_system_event_set.instance_system_event_type
    assert sorted(e.instance_id for e in events) == sorted(ids)
    assert {(e.event_type.name, e.event_cycle_status.name) for e in events} == {("SystemFailure.Delete", "Executed")}
    assert control.request("GET", "faults")["injected"]["lose"] == 2
    # Nothing of them is left: no disk, no address taken.
    assert "disk" not in control.resources() and "instance" not in control.resources()


def test_history_events_filter_by_type_and_instance(ecs, net, control):
    control.faults(rules=[{"action": "RunInstances", "lose": 1.0}])
    [lost] = run(ecs, net)
    control.faults()
    [kept] = run(ecs, net)
    assert history(ecs, event_type="SystemFailure.Reboot").total_count == 0
    assert history(ecs, instance_id=kept).total_count == 0
    [event] = history(
        ecs, instance_id=lost, event_type="SystemFailure.Delete"
    ).instance_system_event_set.instance_system_event_type
    assert event.instance_id == lost and event.event_id.startswith("e-")
    # Only finished events are listed by default; Scheduled ones need InstanceEventCycleStatus.
    assert history(ecs, instance_event_cycle_status=["Scheduled"]).total_count == 0
    assert status_of(ecs, kept) == "Running"


def test_an_unknown_event_type_is_invalid_parameter(ecs):
    assert_error(error_of(history, ecs, event_type="Meteor.Strike"), "InvalidParameter", 400, "EventType")


# lingering dependencies -----------------------------------------------------------------------------------
def _released(ecs, net) -> None:
    [iid] = run(ecs, net)
    assert status_of(ecs, iid) == "Running"
    ecs.delete_instances(em.DeleteInstancesRequest(region_id=REGION, instance_id=[iid], force=True))
    assert status_of(ecs, iid) is None


def test_a_released_instance_keeps_its_group_vswitch_and_vpc_busy_for_a_while(ecs, vpc, net, control):
    control.config(dependency_linger=120)
    _released(ecs, net)
    err = error_of(
        ecs.delete_security_group, em.DeleteSecurityGroupRequest(region_id=REGION, security_group_id=net.sg_id)
    )
    assert_error(err, "DependencyViolation", 403)
    err = error_of(vpc.delete_vswitch, vm.DeleteVSwitchRequest(region_id=REGION, v_switch_id=net.vsw_id))
    assert_error(err, "DependencyViolation", 400)
    control.advance(121)
    ecs.delete_security_group(em.DeleteSecurityGroupRequest(region_id=REGION, security_group_id=net.sg_id))
    vpc.delete_vswitch(vm.DeleteVSwitchRequest(region_id=REGION, v_switch_id=net.vsw_id))


def test_the_vpc_answers_dependency_violation_instance_while_a_release_lingers(ecs, vpc, control):
    control.config(dependency_linger=60)
    vpc_id = vpc.create_vpc(vm.CreateVpcRequest(region_id=REGION, cidr_block="10.0.0.0/16")).body.vpc_id
    vsw = vpc.create_vswitch(
        vm.CreateVSwitchRequest(region_id=REGION, vpc_id=vpc_id, zone_id=ZONE, cidr_block="10.0.1.0/24")
    ).body.v_switch_id
    sg = ecs.create_security_group(
        em.CreateSecurityGroupRequest(region_id=REGION, vpc_id=vpc_id)
    ).body.security_group_id
    [iid] = ecs.run_instances(
        em.RunInstancesRequest(
            region_id=REGION,
            image_family="acs:ubuntu_22_04_x64",
            instance_type="ecs.g7.large",
            v_switch_id=vsw,
            security_group_id=sg,
        )
    ).body.instance_id_sets.instance_id_set
    assert status_of(ecs, iid) == "Running"
    ecs.delete_instances(em.DeleteInstancesRequest(region_id=REGION, instance_id=[iid], force=True))
    assert status_of(ecs, iid) is None
    control.advance(61)  # the vSwitch and group go first, once the release has settled
    vpc.delete_vswitch(vm.DeleteVSwitchRequest(region_id=REGION, v_switch_id=vsw))
    ecs.delete_security_group(em.DeleteSecurityGroupRequest(region_id=REGION, security_group_id=sg))
    vpc.delete_vpc(vm.DeleteVpcRequest(region_id=REGION, vpc_id=vpc_id))


def test_without_the_knob_an_instant_emulator_frees_dependencies_at_once(ecs, vpc, net):
    _released(ecs, net)
    ecs.delete_security_group(em.DeleteSecurityGroupRequest(region_id=REGION, security_group_id=net.sg_id))


# start without stock ---------------------------------------------------------------------------------------
def test_starting_an_economical_mode_stopped_instance_without_stock_is_no_stock(ecs, net, control):
    ids = run(ecs, net, amount=2)
    ecs.stop_instances(em.StopInstancesRequest(region_id=REGION, instance_id=[ids[0]], stopped_mode="StopCharging"))
    ecs.stop_instances(em.StopInstancesRequest(region_id=REGION, instance_id=[ids[1]], stopped_mode="KeepCharging"))
    assert status_of(ecs, ids[0]) == status_of(ecs, ids[1]) == "Stopped"
    control.config(no_stock=[[ZONE, "ecs.g7.large"]])
    err = error_of(ecs.start_instances, em.StartInstancesRequest(region_id=REGION, instance_id=[ids[0]]))
    assert_error(err, "OperationDenied.NoStock", 403)
    # An instance that kept its resources starts whatever the stock.
    ecs.start_instances(em.StartInstancesRequest(region_id=REGION, instance_id=[ids[1]]))
    assert status_of(ecs, ids[0]) == "Stopped" and status_of(ecs, ids[1]) == "Running"
    control.config(no_stock=[])
    ecs.start_instance(em.StartInstanceRequest(instance_id=ids[0]))
    assert status_of(ecs, ids[0]) == "Running"


# rule sources and rule ids ---------------------------------------------------------------------------------
def _ingress(ecs, sg: str) -> list:
    return ecs.describe_security_group_attribute(
        em.DescribeSecurityGroupAttributeRequest(region_id=REGION, security_group_id=sg, direction="ingress")
    ).body.permissions.permission


def _authorize(ecs, sg: str, **source) -> None:
    ecs.authorize_security_group(
        em.AuthorizeSecurityGroupRequest(
            region_id=REGION,
            security_group_id=sg,
            permissions=[em.AuthorizeSecurityGroupRequestPermissions(ip_protocol="TCP", port_range="22/22", **source)],
        )
    )


def test_a_prefix_list_rule_is_listed_with_its_id_and_blocks_deleting_the_list(ecs, net):
    pl = ecs.create_prefix_list(
        em.CreatePrefixListRequest(
            region_id=REGION,
            address_family="IPv4",
            prefix_list_name="office",
            max_entries=5,
            entry=[em.CreatePrefixListRequestEntry(cidr="203.0.113.0/24")],
        )
    ).body.prefix_list_id
    _authorize(ecs, net.sg_id, source_prefix_list_id=pl)
    [rule] = _ingress(ecs, net.sg_id)
    assert (rule.source_prefix_list_id, rule.source_cidr_ip) == (pl, "")
    listed = ecs.describe_prefix_lists(em.DescribePrefixListsRequest(region_id=REGION)).body.prefix_lists.prefix_list
    assert [(p.prefix_list_id, p.association_count) for p in listed] == [(pl, 1)]
    err = error_of(ecs.delete_prefix_list, em.DeletePrefixListRequest(region_id=REGION, prefix_list_id=pl))
    assert_error(err, "DependencyViolation.PrefixList", 403)
    ecs.revoke_security_group(
        em.RevokeSecurityGroupRequest(
            region_id=REGION, security_group_id=net.sg_id, security_group_rule_id=[rule.security_group_rule_id]
        )
    )
    ecs.delete_prefix_list(em.DeletePrefixListRequest(region_id=REGION, prefix_list_id=pl))


def test_an_unknown_prefix_list_is_not_found(ecs, net):
    err = error_of(_authorize, ecs, net.sg_id, source_prefix_list_id="pl-nope")
    assert_error(err, "InvalidPrefixListId.NotFound", 404)


def test_revoking_a_rule_id_that_does_not_exist_fails_and_revokes_nothing(ecs, net):
    _authorize(ecs, net.sg_id, ipv_6source_cidr_ip="2001:db8::/32")
    [rule] = _ingress(ecs, net.sg_id)
    assert rule.ipv_6source_cidr_ip == "2001:db8::/32"
    err = error_of(
        ecs.revoke_security_group,
        em.RevokeSecurityGroupRequest(
            region_id=REGION,
            security_group_id=net.sg_id,
            security_group_rule_id=[rule.security_group_rule_id, "sgr-nope"],
        ),
    )
    assert_error(err, "InvalidParam.SecurityGroupRuleId", 400, "sgr-nope")
    assert len(_ingress(ecs, net.sg_id)) == 1
    ecs.revoke_security_group(
        em.RevokeSecurityGroupRequest(
            region_id=REGION, security_group_id=net.sg_id, security_group_rule_id=[rule.security_group_rule_id]
        )
    )
    assert _ingress(ecs, net.sg_id) == []
