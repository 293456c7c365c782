#!/usr/bin/env python3
"""Create the seed scenario's fixed infrastructure in the honest emulator.

    python testbed/seed.py --endpoint http://127.0.0.1:PORT --out terraform.tfvars.json
                           [--domain gateway.example.com] [--region eu-west-1] [--name gateway-seed]

What an edge needs and a platform team would already have, made in the emulator:

- a VPC with two public subnets (two availability zones) and an internet gateway;
- an internet-facing Application Load Balancer in them;
- a target group (HTTP 80, instance targets), the one all tenants share;
- ACM certificates for ``*.<domain>``: one in us-east-1 for CloudFront, one in the load
  balancer's region for its listener (AWS requires each in its own region);
- an HTTPS 443 listener with that regional certificate, whose default action is a fixed 404
  (a host no tenant rule matches gets nothing);
- a public Route53 hosted zone for ``<domain>``.

Each object is looked up by name before it is created, so a second run against the same
emulator reuses what the first made, and a run against a fresh emulator makes it all.

It also seeds ministack (PyPI, the second test bed: ``Scene::on_ministack`` in tests/scene),
whose answers differ in ways this script allows for: its account is 000000000000 (the ARNs
written say so); it has no DescribeListenerCertificates, so a second run reads the listener's
certificate from DescribeListeners; and it has no AddListenerCertificates either, so a second
run for another ``--domain`` against the same ministack fails there (InvalidAction).

Writes ``--out`` (``-`` for stdout) as a ``terraform.tfvars.json`` for examples/complete:
aws_endpoint, aws_region, domain, hosted_zone_id, certificate_arn, alb_listener_arn,
target_group_arn. Run it with the tools' Python (``.tools/bin/python``), which has boto3.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from typing import Any, Callable

import boto3
import botocore.config
import botocore.exceptions

#: The emulator's account; any credentials are accepted.
DEFAULT_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
#: ELBv2's models load in the background when the emulator starts; the first ELBv2/EC2 call
#: waits for them, which can take several seconds on a busy machine.
READ_TIMEOUT_SECONDS = 120
VPC_CIDR = "10.42.0.0/16"
SUBNET_CIDRS = ("10.42.1.0/24", "10.42.2.0/24")
SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


def log(message: str) -> None:
    print(f"seed: {message}", file=sys.stderr, flush=True)



def _existing(describe: Callable[[], list[Any]], not_found: str) -> list[Any]:
    """What `describe` finds; nothing when it fails with the code `not_found`."""
    try:
        return describe()
    except botocore.exceptions.ClientError as err:
        if err.response["Error"]["Code"] != not_found:
            raise
        return []


def _listener_certificates(elbv2: Any, listener: dict[str, Any]) -> set[str]:
    """The certificates `listener` serves. ministack has no DescribeListenerCertificates
    (InvalidAction); its listeners hold their default certificate alone, which DescribeListeners
    shows."""
    try:
        found = elbv2.describe_listener_certificates(ListenerArn=listener["ListenerArn"])["Certificates"]
    except botocore.exceptions.ClientError as err:
        if err.response["Error"]["Code"] != "InvalidAction":
            raise
        found = listener.get("Certificates", [])
    return {c["CertificateArn"] for c in found}


class Seed:
    def __init__(self, endpoint: str, region: str, name: str, domain: str) -> None:
        self.endpoint = endpoint
        self.region = region
        self.name = name
        self.domain = domain
        for key, value in DEFAULT_CREDENTIALS.items():
            os.environ.setdefault(key, value)
        self.config = botocore.config.Config(
            read_timeout=READ_TIMEOUT_SECONDS,
            retries={"mode": "standard", "max_attempts": 5},
        )

    def client(self, service: str, region: str | None = None) -> Any:
        return boto3.client(
            service,
            region_name=region or self.region,
            endpoint_url=self.endpoint,
            config=self.config,
        )

    # -- ACM ---------------------------------------------------------------------------------
    def certificate(self, region: str) -> str:
        """An ACM certificate for ``*.<domain>`` (and the apex) in ``region``."""
        acm = self.client("acm", region)
        wildcard = f"*.{self.domain}"
        for page in acm.get_paginator("list_certificates").paginate():
            for summary in page["CertificateSummaryList"]:
                if summary.get("DomainName") == wildcard:
                    return summary["CertificateArn"]
        arn = acm.request_certificate(
            DomainName=wildcard,
            SubjectAlternativeNames=[wildcard, self.domain],
            ValidationMethod="DNS",
            # Same token for the same certificate only: ACM returns the earlier one for a reused token.
            IdempotencyToken=hashlib.sha256(f"{self.name} {wildcard} {region}".encode()).hexdigest()[:32],
            Tags=[{"Key": "Name", "Value": self.name}],
        )["CertificateArn"]
        log(f"ACM certificate {wildcard} in {region}: {arn}")
        return arn

    # -- EC2 ---------------------------------------------------------------------------------
    def network(self) -> tuple[str, list[str]]:
        """A VPC with an internet gateway and two subnets in two availability zones."""
        ec2 = self.client("ec2")
        name_filter = [{"Name": "tag:Name", "Values": [self.name]}]
        vpcs = ec2.describe_vpcs(Filters=name_filter)["Vpcs"]
        if vpcs:
            vpc_id = vpcs[0]["VpcId"]
        else:
            vpc_id = ec2.create_vpc(
                CidrBlock=VPC_CIDR,
                TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": self.name}]}],
            )["Vpc"]["VpcId"]
            igw = ec2.create_internet_gateway(
                TagSpecifications=[
                    {"ResourceType": "internet-gateway", "Tags": [{"Key": "Name", "Value": self.name}]}
                ]
            )["InternetGateway"]["InternetGatewayId"]
            ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
            log(f"VPC {vpc_id} ({VPC_CIDR}) with internet gateway {igw}")

        existing = {
            s["CidrBlock"]: s["SubnetId"]
            for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
        }
        zones = [
            z["ZoneName"]
            for z in ec2.describe_availability_zones()["AvailabilityZones"]
            if z.get("State", "available") == "available"
        ]
        if len(zones) < len(SUBNET_CIDRS):
            raise SystemExit(f"seed: region {self.region} has fewer than {len(SUBNET_CIDRS)} availability zones")
        subnets = []
        for cidr, zone in zip(SUBNET_CIDRS, zones):
            if cidr in existing:
                subnets.append(existing[cidr])
                continue
            subnet = ec2.create_subnet(
                VpcId=vpc_id,
                CidrBlock=cidr,
                AvailabilityZone=zone,
                TagSpecifications=[
                    {"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": f"{self.name}-{zone}"}]}
                ],
            )["Subnet"]["SubnetId"]
            log(f"subnet {subnet} ({cidr}, {zone})")
            subnets.append(subnet)
        return vpc_id, subnets

    # -- ELBv2 -------------------------------------------------------------------------------
    def load_balancer(self, subnets: list[str]) -> str:
        elbv2 = self.client("elbv2")
        found = _existing(lambda: elbv2.describe_load_balancers(Names=[self.name])["LoadBalancers"], "LoadBalancerNotFound")
        if found:
            return found[0]["LoadBalancerArn"]
        lb = elbv2.create_load_balancer(
            Name=self.name,
            Subnets=subnets,
            Scheme="internet-facing",
            Type="application",
            IpAddressType="ipv4",
            Tags=[{"Key": "Name", "Value": self.name}],
        )["LoadBalancers"][0]
        log(f"load balancer {lb['LoadBalancerArn']} ({lb['DNSName']})")
        return lb["LoadBalancerArn"]

    def target_group(self, vpc_id: str) -> str:
        elbv2 = self.client("elbv2")
        name = f"{self.name}-app"[:32]
        found = _existing(lambda: elbv2.describe_target_groups(Names=[name])["TargetGroups"], "TargetGroupNotFound")
        if found:
            return found[0]["TargetGroupArn"]
        tg = elbv2.create_target_group(
            Name=name,
            Protocol="HTTP",
            Port=80,
            VpcId=vpc_id,
            TargetType="instance",
            HealthCheckProtocol="HTTP",
            HealthCheckPath="/healthz",
            Tags=[{"Key": "Name", "Value": name}],
        )["TargetGroups"][0]
        log(f"target group {tg['TargetGroupArn']} (HTTP 80, instance)")
        return tg["TargetGroupArn"]

    def https_listener(self, lb_arn: str, certificate_arn: str) -> str:
        elbv2 = self.client("elbv2")
        for listener in elbv2.describe_listeners(LoadBalancerArn=lb_arn)["Listeners"]:
            if int(listener["Port"]) != 443:
                continue
            arn = listener["ListenerArn"]
            # A run for another domain: serve its certificate too (SNI picks it).
            served = _listener_certificates(elbv2, listener)
            if certificate_arn not in served:
                elbv2.add_listener_certificates(ListenerArn=arn, Certificates=[{"CertificateArn": certificate_arn}])
                log(f"listener {arn} also serves {certificate_arn}")
            return arn
        listener = elbv2.create_listener(
            LoadBalancerArn=lb_arn,
            Protocol="HTTPS",
            Port=443,
            SslPolicy=SSL_POLICY,
            Certificates=[{"CertificateArn": certificate_arn}],
            DefaultActions=[
                {
                    "Type": "fixed-response",
                    "FixedResponseConfig": {
                        "StatusCode": "404",
                        "ContentType": "text/plain",
                        "MessageBody": "no such partner",
                    },
                }
            ],
        )["Listeners"][0]
        log(f"HTTPS 443 listener {listener['ListenerArn']} (default action: fixed 404)")
        return listener["ListenerArn"]

    # -- Route53 -----------------------------------------------------------------------------
    def hosted_zone(self) -> str:
        route53 = self.client("route53", "us-east-1")
        wanted = self.domain.rstrip(".") + "."
        zones = route53.list_hosted_zones_by_name(DNSName=wanted)["HostedZones"]
        for zone in zones:
            if zone["Name"] == wanted and not zone.get("Config", {}).get("PrivateZone", False):
                return zone["Id"].split("/")[-1]
        zone = route53.create_hosted_zone(
            Name=wanted,
            CallerReference=f"{self.name}-{time.time_ns()}",
            HostedZoneConfig={"Comment": f"{self.name}: partner hosts", "PrivateZone": False},
        )["HostedZone"]
        zone_id = zone["Id"].split("/")[-1]
        log(f"hosted zone {zone_id} ({wanted})")
        return zone_id

    def run(self) -> dict[str, str]:
        cloudfront_certificate = self.certificate("us-east-1")
        listener_certificate = (
            cloudfront_certificate if self.region == "us-east-1" else self.certificate(self.region)
        )
        vpc_id, subnets = self.network()
        lb_arn = self.load_balancer(subnets)
        tg_arn = self.target_group(vpc_id)
        listener_arn = self.https_listener(lb_arn, listener_certificate)
        zone_id = self.hosted_zone()
        return {
            "aws_endpoint": self.endpoint,
            "aws_region": self.region,
            "domain": self.domain,
            "hosted_zone_id": zone_id,
            "certificate_arn": cloudfront_certificate,
            "alb_listener_arn": listener_arn,
            "target_group_arn": tg_arn,
        }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--endpoint", required=True, help="the emulator's URL, e.g. http://127.0.0.1:5000")
    ap.add_argument("--out", required=True, help="where to write terraform.tfvars.json ('-' for stdout)")
    ap.add_argument("--domain", default="gateway.example.com", help="the tenants' parent domain")
    ap.add_argument("--region", default="eu-west-1", help="region of the load balancer")
    ap.add_argument("--name", default="gateway-seed", help="name (and Name tag) of the objects created")
    args = ap.parse_args(argv)

    domain = args.domain.strip().rstrip(".").lower()
    if not domain or "." not in domain:
        ap.error(f"--domain {args.domain!r} is not a domain name")
    endpoint = args.endpoint.rstrip("/")
    try:
        variables = Seed(endpoint, args.region, args.name, domain).run()
    except botocore.exceptions.EndpointConnectionError as err:
        log(f"cannot reach the emulator at {endpoint}: {err}")
        return 1
    except botocore.exceptions.ClientError as err:
        error = err.response.get("Error", {})
        log(f"{err.operation_name}: {error.get('Code')}: {error.get('Message')}")
        return 1

    text = json.dumps(variables, indent=2, sort_keys=True) + "\n"
    if args.out == "-":
        sys.stdout.write(text)
    else:
        tmp = f"{args.out}.tmp"
        with open(tmp, "w") as fh:
            fh.write(text)
        os.replace(tmp, args.out)
        log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
