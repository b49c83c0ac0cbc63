"""ECS TagResources, UntagResources and ListTagResources through the official SDK."""

from __future__ import annotations

from alibabacloud_ecs20140526 import models as em

from tests.helpers import REGION
from tests.localcloud.helpers import assert_error, create_disk, error_of, instance, run, tag_rows


def tag(ecs, resource_type, ids, pairs):
    return ecs.tag_resources(
        em.TagResourcesRequest(
            region_id=REGION,
            resource_type=resource_type,
            resource_id=ids,
            tag=[em.TagResourcesRequestTag(key=k, value=v) for k, v in pairs],
        )
    )


def untag(ecs, resource_type, ids, keys=None, remove_all=None):
    return ecs.untag_resources(
        em.UntagResourcesRequest(
            region_id=REGION, resource_type=resource_type, resource_id=ids, tag_key=keys, all=remove_all
        )
    )


def listing(ecs, resource_type, **kwargs):
    return ecs.list_tag_resources(
        em.ListTagResourcesRequest(region_id=REGION, resource_type=resource_type, **kwargs)
    ).body


def test_tag_resources_on_an_instance_shows_in_list_and_describe(ecs, net):
    iid = run(ecs, net)[0]
    tag(ecs, "instance", [iid], [("env", "prod"), ("team", "ml")])
    assert tag_rows(listing(ecs, "instance", resource_id=[iid])) == [
        (iid, "instance", "env", "prod"),
        (iid, "instance", "team", "ml"),
    ]
    assert [(t.tag_key, t.tag_value) for t in instance(ecs, iid).tags.tag] == [("env", "prod"), ("team", "ml")]


def test_tag_resources_overwrites_the_value_of_an_existing_key(ecs, net):
    tag(ecs, "securitygroup", [net.sg_id], [("env", "dev")])
    tag(ecs, "securitygroup", [net.sg_id], [("env", "prod")])
    assert tag_rows(listing(ecs, "securitygroup", resource_id=[net.sg_id])) == [
        (net.sg_id, "securitygroup", "env", "prod")
    ]


def test_tag_resources_on_disks(ecs):
    disk_id = create_disk(ecs)
    tag(ecs, "disk", [disk_id], [("backup", "daily")])
    assert tag_rows(listing(ecs, "disk", resource_id=[disk_id])) == [(disk_id, "disk", "backup", "daily")]


def test_list_tag_resources_filters_by_tag(ecs, net):
    ids = run(ecs, net, amount=3)
    tag(ecs, "instance", ids[:2], [("stack", "a")])
    tag(ecs, "instance", ids[1:], [("role", "gpu")])
    assert {p[0] for p in tag_rows(listing(ecs, "instance", tag=[em.ListTagResourcesRequestTag(key="stack")]))} == set(
        ids[:2]
    )
    both = listing(
        ecs,
        "instance",
        tag=[
            em.ListTagResourcesRequestTag(key="stack", value="a"),
            em.ListTagResourcesRequestTag(key="role", value="gpu"),
        ],
    )
    assert {p[0] for p in tag_rows(both)} == {ids[1]}


def test_list_tag_resources_with_a_value_and_no_key_is_invalid(ecs):
    err = error_of(listing, ecs, "instance", tag=[em.ListTagResourcesRequestTag(value="a")])
    assert_error(err, "InvalidParameter.TagValue", 400)


def test_list_tag_resources_pages_by_50_with_next_token(ecs, net):
    ids = run(ecs, net, amount=3)
    tag(ecs, "instance", ids, [(f"k{n:02d}", "v") for n in range(20)])
    first = listing(ecs, "instance")
    second = listing(ecs, "instance", next_token=first.next_token)
    assert (len(first.tag_resources.tag_resource), len(second.tag_resources.tag_resource)) == (50, 10)
    assert first.next_token and second.next_token == ""
    assert len(set(tag_rows(first) + tag_rows(second))) == 60


def test_untag_resources_removes_the_given_keys(ecs, net):
    tag(ecs, "securitygroup", [net.sg_id], [("a", "1"), ("b", "2"), ("c", "3")])
    untag(ecs, "securitygroup", [net.sg_id], keys=["a", "c", "missing"])
    assert [p[2] for p in tag_rows(listing(ecs, "securitygroup", resource_id=[net.sg_id]))] == ["b"]


def test_untag_resources_with_all_removes_every_tag(ecs, net):
    tag(ecs, "securitygroup", [net.sg_id], [("a", "1"), ("b", "2")])
    untag(ecs, "securitygroup", [net.sg_id], remove_all=True)
    assert tag_rows(listing(ecs, "securitygroup", resource_id=[net.sg_id])) == []


def test_more_than_20_tags_on_a_resource_is_refused_and_changes_nothing(ecs, net):
    ids = run(ecs, net, amount=2)
    tag(ecs, "instance", ids[1:], [(f"k{n}", "v") for n in range(20)])
    err = error_of(tag, ecs, "instance", ids, [("extra", "v")])
    assert_error(err, "OperationDenied.QuotaExceed", 400)
    assert instance(ecs, ids[0]).tags.tag == []


def test_more_than_20_tags_in_one_call_is_number_exceed(ecs, net):
    err = error_of(tag, ecs, "securitygroup", [net.sg_id], [(f"k{n}", "v") for n in range(21)])
    assert_error(err, "NumberExceed.Tags", 400)


def test_more_than_50_resource_ids_is_number_exceed(ecs, net):
    err = error_of(tag, ecs, "instance", [f"i-{n}" for n in range(51)], [("k", "v")])
    assert_error(err, "NumberExceed.ResourceIds", 400)


def test_tagging_an_unknown_resource_is_invalid_resource_id_not_found(ecs, net):
    err = error_of(tag, ecs, "instance", ["i-nothere"], [("k", "v")])
    assert_error(err, "InvalidResourceId.NotFound", 404)


def test_tagging_a_security_group_as_an_instance_is_not_found(ecs, net):
    err = error_of(tag, ecs, "instance", [net.sg_id], [("k", "v")])
    assert_error(err, "InvalidResourceId.NotFound", 404)


def test_an_unknown_resource_type_is_not_found(ecs, net):
    err = error_of(tag, ecs, "bucket", [net.sg_id], [("k", "v")])
    assert_error(err, "InvalidResourceType.NotFound", 404)


def test_duplicate_keys_in_one_call_are_refused(ecs, net):
    err = error_of(tag, ecs, "securitygroup", [net.sg_id], [("k", "1"), ("k", "2")])
    assert_error(err, "Duplicate.TagKey", 400)


def test_reserved_key_prefix_is_malformed(ecs, net):
    err = error_of(tag, ecs, "securitygroup", [net.sg_id], [("aliyun:owner", "v")])
    assert_error(err, "InvalidTagKey.Malformed", 400)


def test_list_tag_resources_tag_filter_matches_any_of_the_values(ecs, net):
    ids = run(ecs, net, amount=3)
    for iid, env in zip(ids, ("dev", "test", "prod"), strict=False):
        tag(ecs, "instance", [iid], [("env", env)])
    body = listing(
        ecs, "instance", tag_filter=[em.ListTagResourcesRequestTagFilter(tag_key="env", tag_values=["dev", "prod"])]
    )
    assert {p[0] for p in tag_rows(body)} == {ids[0], ids[2]}
