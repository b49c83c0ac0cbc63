"""`NextToken` is in every answer whose SDK model declares it ("" on the last page and with PageNumber paging),
and NextToken/MaxResults paging walks every item once."""

from __future__ import annotations

from alibabacloud_ecs20140526 import models as em
from alibabacloud_slb20140515 import models as sm
from alibabacloud_vpc20160428 import models as vm

from tests.helpers import REGION
from tests.localcloud.helpers import create_disk, run


def walk(call, key) -> tuple[list, list]:
    """Every item of a NextToken-paged Describe, and the NextToken of each page."""
    items, tokens, token = [], [], None
    for _ in range(20):
        body = call(token)
        items += key(body)
        tokens.append(body.next_token)
        token = body.next_token
        if not token:
            return items, tokens
    raise AssertionError("more than 20 pages")


def test_describe_instances_pages_by_max_results_and_ends_with_an_empty_token(ecs, net):
    made = run(ecs, net, amount=25)
    items, tokens = walk(
        lambda t: ecs.describe_instances(
            em.DescribeInstancesRequest(region_id=REGION, max_results=10, next_token=t)
        ).body,
        lambda b: [i.instance_id for i in b.instances.instance],
    )
    assert items == made
    assert len(tokens) == 3 and all(tokens[:2]) and tokens[2] == ""


def test_page_number_answers_carry_an_empty_next_token(ecs, net):
    run(ecs, net, amount=2)
    create_disk(ecs)
    assert ecs.describe_instances(em.DescribeInstancesRequest(region_id=REGION, page_size=1)).body.next_token == ""
    assert ecs.describe_disks(em.DescribeDisksRequest(region_id=REGION)).body.next_token == ""
    assert ecs.describe_security_groups(em.DescribeSecurityGroupsRequest(region_id=REGION)).body.next_token == ""


def test_describe_disks_pages_by_max_results(ecs, net):
    made = [create_disk(ecs) for _ in range(12)]
    items, tokens = walk(
        lambda t: ecs.describe_disks(em.DescribeDisksRequest(region_id=REGION, max_results=10, next_token=t)).body,
        lambda b: [d.disk_id for d in b.disks.disk],
    )
    assert items == made and tokens[-1] == ""


def test_describe_security_groups_pages_by_max_results(ecs, net):
    made = [net.sg_id] + [
        ecs.create_security_group(
            em.CreateSecurityGroupRequest(region_id=REGION, vpc_id=net.vpc_id)
        ).body.security_group_id
        for _ in range(4)
    ]
    items, tokens = walk(
        lambda t: ecs.describe_security_groups(
            em.DescribeSecurityGroupsRequest(region_id=REGION, max_results=2, next_token=t)
        ).body,
        lambda b: [g.security_group_id for g in b.security_groups.security_group],
    )
    assert items == made and len(tokens) == 3 and tokens[-1] == ""


def test_describe_security_group_attribute_has_an_empty_next_token(ecs, net):
    body = ecs.describe_security_group_attribute(
        em.DescribeSecurityGroupAttributeRequest(region_id=REGION, security_group_id=net.sg_id)
    ).body
    assert body.next_token == ""


def test_list_tag_resources_of_ecs_vpc_and_slb_end_with_an_empty_token(ecs, vpc, slb, net):
    ecs_body = ecs.list_tag_resources(
        em.ListTagResourcesRequest(region_id=REGION, resource_type="securitygroup", resource_id=[net.sg_id])
    ).body
    vpc_body = vpc.list_tag_resources(
        vm.ListTagResourcesRequest(region_id=REGION, resource_type="VPC", resource_id=[net.vpc_id])
    ).body
    lb_id = slb.create_load_balancer(
        sm.CreateLoadBalancerRequest(
            region_id=REGION, v_switch_id=net.vsw_id, address_type="intranet", instance_charge_type="PayByCLCU"
        )
    ).body.load_balancer_id
    slb_body = slb.list_tag_resources(
        sm.ListTagResourcesRequest(region_id=REGION, resource_type="instance", resource_id=[lb_id])
    ).body
    assert (ecs_body.next_token, vpc_body.next_token, slb_body.next_token) == ("", "", "")
