"""One honest emulator per test session; state reset before every test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.request
from typing import Any, Callable

import xml.etree.ElementTree as ET

import boto3
import botocore.config
import botocore.exceptions
import pytest

TESTBED = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CREDS = dict(region_name="us-east-1", aws_access_key_id="AKIAHONESTTEST000000", aws_secret_access_key="honest-secret")
ACCOUNT = "123456789012"
CERT_ARN = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/11111111-2222-3333-4444-555555555555"


@pytest.fixture(scope="session")
def server_url() -> Any:
    proc = subprocess.Popen(
        [sys.executable, os.path.join(TESTBED, "serve.py"), "--port", "0", "--exit-with-parent"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(30)
    if not line or not line[0].startswith("http://"):
        proc.kill()
        raise RuntimeError(f"emulator did not start: {proc.stderr.read() if proc.poll() is not None else 'timeout'}")
    url = line[0].strip()
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


class Control:
    def __init__(self, url: str) -> None:
        self.url = url

    def request(self, method: str, path: str, payload: Any = None) -> tuple[int, Any]:
        data = json.dumps(payload).encode() if payload is not None else None
        req = urllib.request.Request(f"{self.url}/honest-api/{path}", data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def config(self, **settings: Any) -> dict:
        status, body = self.request("POST", "config", settings)
        assert status == 200, body
        return body

    def reset(self) -> None:
        status, body = self.request("POST", "reset", {})
        assert status == 200, body

    def calls(self) -> dict[str, int]:
        return self.request("GET", "calls")[1]["calls"]

    def uncovered(self) -> list[dict[str, Any]]:
        status, body = self.request("GET", "uncovered")
        assert status == 200, body
        return body["uncovered"]

    def unserved(self) -> list[dict[str, Any]]:
        status, body = self.request("GET", "unserved")
        assert status == 200, body
        return body["unserved"]


@pytest.fixture(scope="session")
def control(server_url: str) -> Control:
    return Control(server_url)


@pytest.fixture(autouse=True)
def _reset(control: Control) -> None:
    control.reset()


def _client(url: str, service: str, validate: bool = True) -> Any:
    config = botocore.config.Config(
        retries={"total_max_attempts": 1, "mode": "standard"}, parameter_validation=validate
    )
    return boto3.client(service, endpoint_url=url, config=config, **CREDS)


def _client_fixture(service: str, validate: bool = True) -> Any:
    @pytest.fixture(scope="session")
    def client(server_url: str) -> Any:
        return _client(server_url, service, validate)

    return client


cf = _client_fixture("cloudfront")
r53 = _client_fixture("route53")
elb = _client_fixture("elbv2")
# No client-side validation: lets out-of-range values reach the server, as the Rust SDK does.
elb_raw = _client_fixture("elbv2", validate=False)
ec2 = _client_fixture("ec2")
acm = _client_fixture("acm")


class RawCapture:
    """Keeps the raw HTTP answer of the last call made with a client."""

    def __init__(self, client: Any) -> None:
        self.last: dict[str, Any] = {}
        client.meta.events.register("before-parse", self._hook)

    def _hook(self, response_dict: Any = None, **_: Any) -> None:
        if response_dict is not None:
            self.last = {
                "status": response_dict["status_code"],
                "headers": {k.lower(): v for k, v in response_dict["headers"].items()},
                "body": response_dict["body"],
            }


@pytest.fixture(scope="session")
def raw_cf(cf: Any) -> RawCapture:
    return RawCapture(cf)


@pytest.fixture(scope="session")
def raw_r53(r53: Any) -> RawCapture:
    return RawCapture(r53)


@pytest.fixture(scope="session")
def raw_elb(elb_raw: Any) -> RawCapture:
    return RawCapture(elb_raw)


def error_document(raw: dict[str, Any], ns: str, code: str, kind: str = "Sender") -> Any:
    """The XML error answer in `raw`, checked: AWS's `ErrorResponse` in namespace `ns`, with the
    fault's kind, `code`, a message and a request id."""
    root = ET.fromstring(raw["body"])
    ns = "{" + ns + "}"
    assert root.tag == f"{ns}ErrorResponse"
    assert root.find(f"{ns}Error/{ns}Type").text == kind
    assert root.find(f"{ns}Error/{ns}Code").text == code
    assert root.find(f"{ns}RequestId").text
    return root


def expect_error(fn: Callable[..., Any], code: str, status: int, **kwargs: Any) -> botocore.exceptions.ClientError:
    with pytest.raises(botocore.exceptions.ClientError) as info:
        fn(**kwargs)
    err = info.value
    assert err.response["Error"]["Code"] == code, err.response
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == status, err.response
    return err


# ---------------------------------------------------------------------------
# CloudFront helpers
# ---------------------------------------------------------------------------
def dist_config(
    ref: str,
    aliases: list[str] | None = None,
    cert: str | None = CERT_ARN,
    cache_policy_id: str | None = "658327ea-f89d-4fab-a63d-7e88639e58f6",
    origin_request_policy_id: str | None = None,
    enabled: bool = True,
    comment: str = "pool",
) -> dict[str, Any]:
    aliases = aliases or []
    behavior: dict[str, Any] = {"TargetOriginId": "alb", "ViewerProtocolPolicy": "redirect-to-https"}
    if cache_policy_id:
        behavior["CachePolicyId"] = cache_policy_id
    else:
        behavior["ForwardedValues"] = {"QueryString": True, "Cookies": {"Forward": "all"}}
        behavior["MinTTL"] = 0
    if origin_request_policy_id:
        behavior["OriginRequestPolicyId"] = origin_request_policy_id
    config: dict[str, Any] = {
        "CallerReference": ref,
        "Aliases": {"Quantity": len(aliases), "Items": aliases} if aliases else {"Quantity": 0},
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "alb",
                    "DomainName": "edge-alb-123.us-east-1.elb.amazonaws.com",
                    "CustomOriginConfig": {
                        "HTTPPort": 80,
                        "HTTPSPort": 443,
                        "OriginProtocolPolicy": "https-only",
                        "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.2"]},
                    },
                }
            ],
        },
        "DefaultCacheBehavior": behavior,
        "Comment": comment,
        "Enabled": enabled,
    }
    if cert:
        config["ViewerCertificate"] = {
            "ACMCertificateArn": cert,
            "SSLSupportMethod": "sni-only",
            "MinimumProtocolVersion": "TLSv1.2_2021",
        }
    return config


# ---------------------------------------------------------------------------
# ELBv2 helpers
# ---------------------------------------------------------------------------
def make_alb(ec2: Any, elb: Any, name: str = "edge") -> dict[str, str]:
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"]["SubnetId"]
        for i, az in enumerate("ab")
    ]
    lb = elb.create_load_balancer(Name=name, Subnets=subnets, Type="application")["LoadBalancers"][0]
    tg = elb.create_target_group(Name=f"{name}-tg", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")[
        "TargetGroups"
    ][0]
    listener = elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
    )["Listeners"][0]
    return {
        "vpc": vpc,
        "lb": lb["LoadBalancerArn"],
        "tg": tg["TargetGroupArn"],
        "listener": listener["ListenerArn"],
    }


def host_rule(host: str | list[str], tg: str) -> dict[str, Any]:
    hosts = [host] if isinstance(host, str) else host
    return {
        "Conditions": [{"Field": "host-header", "HostHeaderConfig": {"Values": hosts}}],
        "Actions": [{"Type": "forward", "TargetGroupArn": tg}],
    }
