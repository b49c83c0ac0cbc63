"""Today's catalogue through the official SDK: image families and retired image versions, and zones that do
not sell every instance type or disk category (DescribeAvailableResource, RunInstances, CreateDisk)."""

from __future__ import annotations

from alibabacloud_ecs20140526 import models as em

from localcloud import catalog
from tests.helpers import REGION
from tests.localcloud.helpers import add_vswitch, assert_error, create_disk, error_of, instance, run, run_request

FAMILY = "acs:ubuntu_22_04_x64"
NEWEST = "ubuntu_22_04_x64_20G_alibase_20250722.vhd"
RETIRED = catalog.RETIRED_IMAGES[0]


def images(ecs, **kwargs):
    return ecs.describe_images(em.DescribeImagesRequest(region_id=REGION, **kwargs)).body


def available(ecs, **kwargs):
    body = ecs.describe_available_resource(em.DescribeAvailableResourceRequest(region_id=REGION, **kwargs)).body
    return {z.zone_id: z for z in body.available_zones.available_zone}


def leaves(zone) -> dict:
    return {
        r.value: r.status_category
        for r in zone.available_resources.available_resource[0].supported_resources.supported_resource
    }


# images ---------------------------------------------------------------------------------------------------
def test_describe_images_by_family_lists_the_familys_images_newest_first(ecs):
    found = images(ecs, image_family=FAMILY).images.image
    assert next(i.image_id for i in found) == NEWEST
    assert {i.image_family for i in found} == {FAMILY} and len(found) == 2
    assert found[0].creation_time > found[1].creation_time


def test_run_instances_with_an_image_family_uses_its_newest_image(ecs, net):
    [iid] = run(ecs, net, image_id=None, image_family=FAMILY)
    assert instance(ecs, iid).image_id == NEWEST


def test_image_id_and_image_family_together_are_refused(ecs, net):
    err = error_of(ecs.run_instances, run_request(net, image_family=FAMILY))
    assert_error(err, "InvalidParameter", 400, "ImageFamily")


def test_a_retired_image_is_not_found_and_not_listed(ecs, net):
    err = error_of(ecs.run_instances, run_request(net, image_id=RETIRED))
    assert_error(err, "InvalidImageId.NotFound", 404)
    assert images(ecs, image_id=RETIRED).total_count == 0


def test_retiring_the_newest_image_makes_the_family_fall_back_to_the_previous_one(ecs, net, control):
    control.config(retired_images=[NEWEST])
    assert [i.image_id for i in images(ecs, image_family=FAMILY).images.image] == [
        "ubuntu_22_04_x64_20G_alibase_20240130.vhd"
    ]
    [iid] = run(ecs, net, image_id=None, image_family=FAMILY)
    assert instance(ecs, iid).image_id == "ubuntu_22_04_x64_20G_alibase_20240130.vhd"
    err = error_of(ecs.run_instances, run_request(net, image_id=NEWEST))
    assert_error(err, "InvalidImageId.NotFound", 404)


def test_a_family_without_an_available_image_is_refused(ecs, net):
    err = error_of(ecs.run_instances, run_request(net, image_id=None, image_family="acs:beos_5_x86"))
    assert_error(err, "InvalidImageFamily.NotFound", 404)


# zones ----------------------------------------------------------------------------------------------------
def test_available_resource_lists_only_the_disk_categories_a_zone_sells(ecs):
    data = available(ecs, destination_resource="DataDisk", resource_type="disk")
    assert "cloud_ssd" in leaves(data["cn-hangzhou-i"]) and "cloud_ssd" not in leaves(data["cn-hangzhou-k"])
    assert leaves(data["cn-hangzhou-k"])["cloud_essd"] == "WithStock"
    system = available(
        ecs,
        destination_resource="SystemDisk",
        instance_type="ecs.g7.large",
        resource_type="instance",
        system_disk_category="cloud_ssd",
    )
    assert set(system) == {"cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j"}


def test_an_offline_type_is_not_offered_in_that_zone(ecs):
    zones = available(ecs, destination_resource="InstanceType", instance_type="ecs.g6.large")
    assert "cn-hangzhou-k" not in zones and leaves(zones["cn-hangzhou-i"]) == {"ecs.g6.large": "WithStock"}


def test_run_instances_of_an_offline_type_is_instance_type_offline(ecs, vpc, net):
    vsw_k = add_vswitch(vpc, net, "10.0.2.0/24", zone="cn-hangzhou-k")
    err = error_of(ecs.run_instances, run_request(net, v_switch_id=vsw_k, instance_type="ecs.g6.large"))
    assert_error(err, "InstanceType.Offline", 403)


def test_run_instances_with_a_disk_category_the_zone_does_not_sell_is_category_not_supported(ecs, vpc, net):
    vsw_k = add_vswitch(vpc, net, "10.0.2.0/24", zone="cn-hangzhou-k")
    err = error_of(
        ecs.run_instances,
        run_request(net, v_switch_id=vsw_k, system_disk=em.RunInstancesRequestSystemDisk(category="cloud_ssd")),
    )
    assert_error(err, "CategoryNotSupported", 403)
    err = error_of(
        ecs.run_instances,
        run_request(net, v_switch_id=vsw_k, data_disk=[em.RunInstancesRequestDataDisk(category="cloud_ssd", size=40)]),
    )
    assert_error(err, "CategoryNotSupported", 403)


def test_create_disk_of_a_category_the_zone_does_not_sell_is_invalid_data_disk_category_not_supported(ecs):
    err = error_of(create_disk, ecs, zone="cn-hangzhou-k", category="cloud_ssd")
    assert_error(err, "InvalidDataDiskCategory.NotSupported", 403)
    assert create_disk(ecs, zone="cn-hangzhou-k", category="cloud_essd").startswith("d-")


def test_describe_zones_lists_each_zones_own_disk_categories(ecs):
    zones = ecs.describe_zones(em.DescribeZonesRequest(region_id=REGION)).body.zones.zone
    k = next(z for z in zones if z.zone_id == "cn-hangzhou-k")
    assert k.available_disk_categories.disk_categories == ["cloud_efficiency", "cloud_essd"]


def test_a_type_running_low_is_closed_with_stock_and_still_sold(ecs, net, control):
    control.config(low_stock=[["cn-hangzhou-i", "ecs.g7.large"]])
    zones = available(ecs, destination_resource="InstanceType", instance_type="ecs.g7.large")
    assert leaves(zones["cn-hangzhou-i"]) == {"ecs.g7.large": "ClosedWithStock"}
    assert leaves(zones["cn-hangzhou-j"]) == {"ecs.g7.large": "WithStock"}
    assert run(ecs, net)


def test_a_zone_closed_to_the_account_is_zone_not_allowed_though_the_catalogue_lists_it(ecs, net, control):
    control.config(closed_zones=["cn-hangzhou-i"])
    assert "cn-hangzhou-i" in available(ecs, destination_resource="InstanceType", instance_type="ecs.g7.large")
    assert_error(error_of(ecs.run_instances, run_request(net)), "OperationDenied.ZoneNotAllowed", 403)
    assert_error(error_of(create_disk, ecs), "OperationDenied.ZoneNotAllowed", 403)
