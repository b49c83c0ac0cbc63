"""ECS catalogue actions through the official SDK: DescribeRegions, DescribeZones, DescribeAvailableResource,
DescribeImages."""

from __future__ import annotations

from alibabacloud_ecs20140526 import models as em

from localcloud import catalog
from tests.helpers import REGION
from tests.localcloud.helpers import IMAGE, assert_complete, assert_error, error_of


def available(ecs, **kwargs):
    body = ecs.describe_available_resource(em.DescribeAvailableResourceRequest(region_id=REGION, **kwargs)).body
    return body.available_zones.available_zone


def images(ecs, **kwargs):
    return ecs.describe_images(em.DescribeImagesRequest(region_id=REGION, **kwargs)).body


def test_describe_regions_lists_every_catalogue_region_with_its_endpoint(ecs):
    regions = ecs.describe_regions(em.DescribeRegionsRequest()).body.regions.region
    assert {r.region_id for r in regions} == set(catalog.REGIONS)
    hangzhou = next(r for r in regions if r.region_id == "cn-hangzhou")
    assert (hangzhou.local_name, hangzhou.region_endpoint, hangzhou.status) == (
        "华东1（杭州）",
        "ecs.cn-hangzhou.aliyuncs.com",
        "available",
    )


def test_describe_regions_in_english_gives_english_names(ecs):
    regions = ecs.describe_regions(em.DescribeRegionsRequest(accept_language="en-US")).body.regions.region
    assert {r.local_name for r in regions} >= {"China (Hangzhou)", "Singapore"}


def test_describe_regions_with_an_unknown_language_is_not_found(ecs):
    err = error_of(ecs.describe_regions, em.DescribeRegionsRequest(accept_language="fr-FR"))
    assert_error(err, "InvalidAcceptLanguage.NotFound", 404)


def test_describe_zones_lists_the_zones_with_lower_camel_inner_keys(ecs):
    zones = ecs.describe_zones(em.DescribeZonesRequest(region_id=REGION)).body.zones.zone
    assert [z.zone_id for z in zones] == sorted(catalog.zones(REGION))
    zone_i = next(z for z in zones if z.zone_id == "cn-hangzhou-i")
    assert_complete(zone_i)
    info = zone_i.available_resources.resources_info[0]
    assert "ecs.gn6v-c8g1.2xlarge" in info.instance_types.supported_instance_type
    assert info.system_disk_categories.supported_system_disk_category == catalog.DISK_CATEGORIES
    assert info.network_types.supported_network_category == ["vpc"]
    assert zone_i.available_instance_types.instance_types == catalog.zones(REGION)["cn-hangzhou-i"]["types"]


def test_describe_zones_without_verbose_gives_only_ids_and_names(ecs):
    zone = ecs.describe_zones(em.DescribeZonesRequest(region_id=REGION, verbose=False)).body.zones.zone[0]
    assert zone.local_name and zone.available_resources is None


def test_describe_zones_of_an_unknown_region_is_invalid_region_id_not_found(ecs):
    err = error_of(ecs.describe_zones, em.DescribeZonesRequest(region_id="mars-north-1"))
    assert_error(err, "InvalidRegionId.NotFound", 404, "RegionId")


def test_available_resource_reports_a_type_without_stock_as_sold_out(ecs, control):
    control.config(no_stock=[["cn-hangzhou-i", "ecs.g7.large"]])
    zones = {z.zone_id: z for z in available(ecs, destination_resource="InstanceType", instance_type="ecs.g7.large")}
    sold_out = zones["cn-hangzhou-i"]
    assert (sold_out.status, sold_out.status_category) == ("SoldOut", "WithoutStock")
    leaf = sold_out.available_resources.available_resource[0].supported_resources.supported_resource[0]
    assert (leaf.value, leaf.status, leaf.status_category) == ("ecs.g7.large", "SoldOut", "WithoutStock")
    assert zones["cn-hangzhou-h"].status == "Available"


def test_available_resource_omits_zones_that_do_not_sell_the_type(ecs):
    zones = available(ecs, destination_resource="InstanceType", instance_type="ecs.gn6v-c8g1.2xlarge")
    assert [z.zone_id for z in zones] == ["cn-hangzhou-i"]


def test_available_resource_for_zones_follows_stock(ecs, control):
    control.config(no_stock=[["cn-hangzhou-k", "ecs.c7.large"]])
    zones = {z.zone_id: z for z in available(ecs, destination_resource="Zone", instance_type="ecs.c7.large")}
    assert zones["cn-hangzhou-k"].status == "SoldOut"
    assert zones["cn-hangzhou-j"].status == "Available"
    leaf = zones["cn-hangzhou-j"].available_resources.available_resource[0]
    assert (leaf.type, leaf.supported_resources.supported_resource[0].value) == ("Zone", "cn-hangzhou-j")


def test_available_resource_lists_data_disk_categories_with_their_size_limits(ecs):
    zone = available(ecs, destination_resource="DataDisk", zone_id="cn-hangzhou-h")[0]
    leaves = {r.value: r for r in zone.available_resources.available_resource[0].supported_resources.supported_resource}
    assert set(leaves) == set(catalog.DISK_CATEGORIES)
    assert (leaves["cloud_essd"].min, leaves["cloud_essd"].max, leaves["cloud_essd"].unit) == (20, 65536, "GiB")


def test_available_resource_for_system_disks_needs_an_instance_type(ecs):
    err = error_of(available, ecs, destination_resource="SystemDisk")
    assert_error(err, "Invalid.Param", 400, "InstanceType")


def test_available_resource_with_an_unknown_destination_is_invalid_destination_resource(ecs):
    err = error_of(available, ecs, destination_resource="Gpu")
    assert_error(err, "Invalid.DestinationResource", 404)


def test_available_resource_of_an_unknown_region_is_invalid_region_id(ecs):
    err = error_of(
        ecs.describe_available_resource,
        em.DescribeAvailableResourceRequest(region_id="mars-north-1", destination_resource="Zone"),
    )
    assert_error(err, "Invalid.RegionId", 404)


def test_available_resource_refuses_instance_type_with_cores(ecs):
    err = error_of(available, ecs, destination_resource="InstanceType", instance_type="ecs.g7.large", cores=2)
    assert_error(err, "InvalidParam.TypeAndCpuMem.Conflict", 403)


def test_available_resource_filters_types_by_cores_and_memory(ecs):
    zone = available(ecs, destination_resource="InstanceType", zone_id="cn-hangzhou-i", cores=8, memory=32.0)[0]
    values = [r.value for r in zone.available_resources.available_resource[0].supported_resources.supported_resource]
    assert values == ["ecs.g7.2xlarge", "ecs.gn6v-c8g1.2xlarge"]


def test_describe_images_lists_the_public_images_complete(ecs):
    body = images(ecs, page_size=100)
    assert body.total_count == len(catalog.IMAGES)
    image = next(i for i in body.images.image if i.image_id == IMAGE)
    assert_complete(image)
    assert (image.size, image.ostype, image.image_owner_alias, image.status) == (20, "linux", "system", "Available")


def test_describe_images_filters_by_id_and_name(ecs):
    assert [i.image_id for i in images(ecs, image_id=IMAGE).images.image] == [IMAGE]
    names = [i.image_id for i in images(ecs, image_name="ubuntu*").images.image]
    assert names and all(n.startswith("ubuntu") for n in names)


def test_describe_images_of_own_images_is_empty(ecs):
    assert images(ecs, image_owner_alias="self").total_count == 0


def test_describe_images_with_an_unknown_os_type_is_invalid_os_type(ecs):
    err = error_of(images, ecs, ostype="beos")
    assert_error(err, "InvalidOSType", 404)


def test_describe_images_pages(ecs):
    first = images(ecs, page_size=3, page_number=1)
    second = images(ecs, page_size=3, page_number=2)
    assert (len(first.images.image), len(second.images.image)) == (3, len(catalog.IMAGES) - 3)
    assert first.total_count == len(catalog.IMAGES)
