"""No browser or DNS-rebinding path: a request with an Origin header, or naming a Host that is not
loopback, is refused in the gateway's error format before anything runs, even when correctly signed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from urllib.parse import quote

import pytest

from tests.helpers import credentials_for
from tests.security.helpers import control_headers, exchange, is_api_error, parse, request_bytes


def pe(value: str) -> str:
    return quote(value, safe="~")


def signed_create_vpc(url: str) -> str:
    """A correctly signed (RPC HMAC-SHA1) CreateVpc as a path with its query string."""
    creds = credentials_for(url)
    params = {
        "Action": "CreateVpc",
        "Version": "2016-04-28",
        "RegionId": "cn-hangzhou",
        "CidrBlock": "10.9.0.0/16",
        "AccessKeyId": creds.access_key_id,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": uuid.uuid4().hex,
        "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "Format": "JSON",
    }
    canon = "&".join(f"{pe(k)}={pe(v)}" for k, v in sorted(params.items()))
    to_sign = f"POST&{pe('/')}&{pe(canon)}"
    digest = hmac.new((creds.access_key_secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    return f"/?{canon}&Signature={pe(base64.b64encode(digest).decode())}"


def vpcs(emulator) -> list:
    return emulator.emulator.store.all("vpc")


def test_the_signed_request_of_the_tests_below_works_without_origin(url, emulator):
    answer = parse(exchange(url, request_bytes(url, "POST", signed_create_vpc(url))))
    assert answer.status == 200, answer.body
    assert len(vpcs(emulator)) == 1


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:18080"])
def test_a_request_with_an_origin_header_is_refused_and_runs_nothing(url, emulator, origin):
    answer = parse(exchange(url, request_bytes(url, "POST", signed_create_vpc(url), headers={"Origin": origin})))
    assert answer.status == 403
    assert is_api_error(answer.json()) and answer.json()["Code"] == "Forbidden"
    assert "Origin" in answer.json()["Message"]
    assert vpcs(emulator) == []


def test_a_control_call_with_an_origin_header_is_refused_even_with_the_token(url, control):
    control.config(instance_quota=9)
    headers = {**control_headers(url), "Origin": "http://evil.example"}
    answer = parse(exchange(url, request_bytes(url, "POST", "/_localcloud/reset", headers=headers)))
    assert answer.status == 403 and answer.json()["Code"] == "Forbidden"
    assert control.request("GET", "config")["instance_quota"] == 9


@pytest.mark.parametrize(
    "host",
    [
        "attacker.example",
        "attacker.example:18080",
        "10.0.0.1",
        "localhost.evil.example",
        "127.0.0.1.nip.io",
        "0.0.0.0:80",
        "",
    ],
)
def test_a_host_that_is_not_loopback_is_refused_and_runs_nothing(url, emulator, host):
    answer = parse(exchange(url, request_bytes(url, "POST", signed_create_vpc(url), headers={"Host": host})))
    assert answer.status == 403
    assert is_api_error(answer.json()) and "Host" in answer.json()["Message"]
    assert vpcs(emulator) == []


@pytest.mark.parametrize(
    "host", ["localhost", "LOCALHOST:18080", "127.0.0.1", "127.0.0.1:1", "127.9.8.7:443", "[::1]", "[::1]:18080"]
)
def test_loopback_hosts_with_any_port_are_served(url, emulator, host):
    answer = parse(exchange(url, request_bytes(url, "POST", signed_create_vpc(url), headers={"Host": host})))
    assert answer.status == 200, answer.body
