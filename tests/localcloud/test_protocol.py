"""The wire protocol through the real SDKs: both signature schemes, auth errors, routing, error bodies."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from alibabacloud_tea_openapi.utils import Utils
from alibabacloud_vpc20160428 import models as vpc_models
from alibabacloud_vpc20160428.client import Client as VpcClient

from localcloud.auth import Verifier
from tests.helpers import REGION, credentials_for, sdk_config


def describe_vpcs(client):
    return client.describe_vpcs(vpc_models.DescribeVpcsRequest(region_id=REGION))


def error_of(func, *args):
    with pytest.raises(Exception) as info:
        func(*args)
    return info.value


def test_v3_signed_call_succeeds_and_returns_a_request_id(vpc):
    resp = describe_vpcs(vpc)
    assert resp.status_code == 200
    assert resp.body.request_id and resp.body.total_count == 0


def test_hmac_sha1_signed_call_from_the_new_sdk_succeeds(emulator):
    client = VpcClient(sdk_config(emulator.url, signature_algorithm="v2"))
    assert describe_vpcs(client).body.total_count == 0


def test_legacy_sdk_signed_call_succeeds(emulator):
    from aliyunsdkcore.client import AcsClient
    from aliyunsdkcore.request import CommonRequest

    creds = credentials_for(emulator.url)
    client = AcsClient(creds.access_key_id, creds.access_key_secret, REGION)
    req = CommonRequest(domain=emulator.url.split("://")[1], version="2016-04-28", action_name="CreateVpc")
    req.set_method("POST")
    req.add_query_param("RegionId", REGION)
    req.add_query_param("CidrBlock", "10.0.0.0/16")
    req.add_query_param("VpcName", "legacy é *~")
    body = json.loads(client.do_action_with_exception(req))
    assert body["VpcId"].startswith("vpc-")


def test_legacy_sdk_wrong_secret_is_reported_as_invalid_secret(emulator):
    from aliyunsdkcore.acs_exception.exceptions import ServerException
    from aliyunsdkcore.client import AcsClient
    from aliyunsdkecs.request.v20140526.DescribeRegionsRequest import DescribeRegionsRequest

    client = AcsClient(credentials_for(emulator.url).access_key_id, "not-the-secret", REGION)
    req = DescribeRegionsRequest()
    req.set_endpoint(emulator.url.split("://")[1])
    with pytest.raises(ServerException) as info:
        client.do_action_with_exception(req)
    # The legacy SDK compares our "server string to sign" with its own and, when they are equal, reports
    # a wrong secret: proof that both sides computed the same HMAC-SHA1 string to sign.
    assert info.value.get_error_code() == "InvalidAccessKeySecret"
    assert info.value.get_http_status() == 400


def test_unknown_access_key_is_invalid_access_key_id_not_found(emulator):
    cfg = sdk_config(emulator.url)
    cfg.access_key_id = "LTAInobody"
    err = error_of(describe_vpcs, VpcClient(cfg))
    assert err.code == "InvalidAccessKeyId.NotFound"
    assert err.status_code == 404


def test_wrong_secret_is_signature_does_not_match(emulator):
    cfg = sdk_config(emulator.url)
    cfg.access_key_secret = "wrong"
    err = error_of(describe_vpcs, VpcClient(cfg))
    assert err.code == "SignatureDoesNotMatch"
    assert err.status_code == 400
    assert "string to sign" in err.data["Message"]


def test_wrong_secret_with_hmac_sha1_is_signature_does_not_match(emulator):
    cfg = sdk_config(emulator.url, signature_algorithm="v2")
    cfg.access_key_secret = "wrong"
    err = error_of(describe_vpcs, VpcClient(cfg))
    assert err.code == "SignatureDoesNotMatch"


def test_replayed_nonce_is_refused(vpc, monkeypatch):
    monkeypatch.setattr(Utils, "get_nonce", staticmethod(lambda: "0123456789abcdef0123456789abcdef"))
    describe_vpcs(vpc)
    err = error_of(describe_vpcs, vpc)
    assert err.code == "SignatureNonceUsed"
    assert err.status_code == 400


def test_stale_timestamp_is_refused(vpc, monkeypatch):
    monkeypatch.setattr(Utils, "get_timestamp", staticmethod(lambda: "2020-01-01T00:00:00Z"))
    err = error_of(describe_vpcs, vpc)
    assert err.code == "InvalidTimeStamp.Expired"
    assert err.status_code == 400


def test_stale_timestamp_with_hmac_sha1_is_refused(emulator, monkeypatch):
    monkeypatch.setattr(Utils, "get_timestamp", staticmethod(lambda: "2020-01-01T00:00:00Z"))
    err = error_of(describe_vpcs, VpcClient(sdk_config(emulator.url, signature_algorithm="v2")))
    assert err.code == "InvalidTimeStamp.Expired"


def test_access_keys_come_from_the_environment(monkeypatch):
    from localcloud.server import Emulator

    monkeypatch.setenv("LOCALCLOUD_ACCESS_KEY_ID", "LTAIcustom")
    monkeypatch.setenv("LOCALCLOUD_ACCESS_KEY_SECRET", "custom-secret")
    emu = Emulator(None, runtime=False)
    try:
        assert emu.verifier.keys == {"LTAIcustom": "custom-secret"}
    finally:
        emu.close()


def test_verifier_matches_the_documented_v3_test_vector():
    headers = {
        "host": "ecs.cn-hangzhou.aliyuncs.com",
        "x-acs-version": "2014-05-26",
        "x-acs-action": "RunInstances",
        "x-acs-date": "2026-01-01T00:00:00Z",
        "x-acs-signature-nonce": "0123456789abcdef0123456789abcdef",
        "accept": "application/json",
        "x-acs-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "authorization": "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=accept;host;x-acs-action;"
        "x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,"
        "Signature=3cd71d28a786a99f8fe44f1a0b7e3f6c752b01a9d2152377df1f8862e02c2eee",
    }
    verifier = Verifier({"testid": "testsecret"})
    import localcloud.auth as auth

    original = auth._check_time
    auth._check_time = lambda stamp: None  # the vector is dated 2026-01-01
    try:
        query = "RegionId=cn-hangzhou&Tag.1.Key=env&Tag.1.Value=a+b&InstanceName=web%2A~%2F%C3%A9"
        assert verifier.verify("POST", "/", query, headers, b"", []) == "testid"
        with pytest.raises(Exception) as info:
            Verifier({"testid": "testsecret"}).verify("POST", "/", query.replace("env", "dev"), headers, b"", [])
        assert info.value.code == "SignatureDoesNotMatch"
    finally:
        auth._check_time = original


def raw_post(url: str, query: str, headers: dict | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(url + "/?" + query, data=b"", method="POST", headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_unknown_action_is_invalid_action_not_found_with_full_error_body(emulator):
    status, body = raw_post(emulator.url, "Action=CreateSpaceship&Version=2016-04-28")
    assert status == 404
    assert body["Code"] == "InvalidAction.NotFound"
    assert set(body) == {"RequestId", "HostId", "Code", "Message", "Recommend"}
    assert body["HostId"] == "vpc.aliyuncs.com"


def test_unknown_version_is_refused(emulator):
    status, body = raw_post(emulator.url, "Action=DescribeVpcs&Version=1999-01-01")
    assert status == 400
    assert body["Code"] == "InvalidVersion"


def test_unsigned_request_is_missing_signature(emulator):
    status, body = raw_post(emulator.url, "Action=DescribeVpcs&Version=2016-04-28&RegionId=cn-hangzhou")
    assert status == 400
    assert body["Code"] == "MissingParameter"
    assert "Signature" in body["Message"]


def test_missing_required_parameter_names_it(vpc):
    err = error_of(vpc.describe_vpcs, vpc_models.DescribeVpcsRequest())
    assert err.code == "MissingParameter"
    assert err.status_code == 400
    assert '"RegionId"' in err.data["Message"]


def test_unknown_region_is_invalid_region_id_not_found(vpc):
    err = error_of(vpc.describe_vpcs, vpc_models.DescribeVpcsRequest(region_id="mars-north-1"))
    assert err.code == "InvalidRegionId.NotFound"
    assert err.status_code == 404


def test_unknown_extra_parameters_are_ignored(emulator):
    from alibabacloud_tea_openapi.models import GlobalParameters

    cfg = sdk_config(emulator.url)
    cfg.global_parameters = GlobalParameters(queries={"NoSuchParameter": "x"})
    assert describe_vpcs(VpcClient(cfg)).body.total_count == 0
