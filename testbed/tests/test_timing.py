"""The time model: latency, deployment and INSYNC by the clock, rate limits, all scaled.

Durations are AWS-sized and the scale large, so each test takes well under a second."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest
from conftest import dist_config, error_document, expect_error

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from honest_moto import timing  # noqa: E402

R53_NS = "https://route53.amazonaws.com/doc/2013-04-01/"
NO_LIMITS: dict = {}
NO_LATENCY: dict = {}


def timed(fn, **kwargs):
    started = time.monotonic()
    result = fn(**kwargs)
    return result, time.monotonic() - started


def wait_until(deadline: float) -> None:
    time.sleep(max(0.0, deadline - time.monotonic()))


def test_off_by_default_reads_decide_and_nothing_is_throttled(cf, r53, control):
    assert control.request("GET", "config")[1]["timing"] is None
    dist = cf.create_distribution(DistributionConfig=dist_config("r1"))["Distribution"]
    assert cf.get_distribution(Id=dist["Id"])["Distribution"]["Status"] == "InProgress"
    assert cf.get_distribution(Id=dist["Id"])["Distribution"]["Status"] == "Deployed"
    started = time.monotonic()
    for _ in range(30):  # far above Route53's 5 per second
        r53.list_hosted_zones()
    assert time.monotonic() - started < 3
    body = control.request("GET", "calls")[1]
    assert body["throttled"] == {} and body["calls"]["route53:ListHostedZones"] == 30


def test_settings_are_completed_with_the_model_and_checked(control):
    cfg = control.config(timing={"scale": 15})["timing"]
    assert cfg["scale"] == 15
    assert cfg["cloudfront_deploy_s"] == timing.DEFAULTS["cloudfront_deploy_s"]
    assert cfg["rate_limits"]["route53"] == {"rate": 5, "burst": 5}
    for bad in (
        {"scale": 0},
        {"scale": "fast"},
        {"latency": 1},
        {"latency_ms": {"cloudfront": -1}},
        {"rate_limits": {"route53": {"rate": 0}}},
        {"rate_limits": {"route53": {"rate": 5, "burst": 0.5}}},
        {"rate_limits": {"route*53": {"rate": 5}}},
        [],
    ):
        status, body = control.request("POST", "config", {"timing": bad})
        assert status == 400, (bad, body)
    assert control.config(timing=None)["timing"] is None
    control.config(timing={})
    control.reset()
    assert control.request("GET", "config")[1]["timing"] is None  # back to the start-up value


def test_latency_is_the_most_specific_patterns_divided_by_the_scale(cf, r53, control):
    control.config(timing={
        "scale": 10,
        "rate_limits": NO_LIMITS,
        "latency_ms": {"route53": 2000, "cloudfront": 0, "cloudfront:ListDistributions": 4000},
    })
    _, took = timed(r53.list_hosted_zones)
    assert 0.19 <= took < 0.9, took  # 2 s / 10
    _, took = timed(cf.list_distributions)
    assert 0.39 <= took < 1.2, took  # the operation's 4 s / 10, not the service's 0
    _, took = timed(cf.list_cache_policies)
    assert took < 0.15, took
    control.config(timing={"scale": 100, "rate_limits": NO_LIMITS, "latency_ms": {"route53": 2000}})
    _, took = timed(r53.list_hosted_zones)
    assert 0.019 <= took < 0.15, took  # 2 s / 100


def test_calls_take_their_latency_in_parallel(r53, control):
    control.config(timing={"scale": 10, "rate_limits": NO_LIMITS, "latency_ms": {"route53": 3000}})
    threads = [threading.Thread(target=r53.list_hosted_zones) for _ in range(8)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - started
    assert 0.29 <= took < 1.5, took  # one latency (0.3 s), not eight (2.4 s)
    assert control.calls() == {"route53:ListHostedZones": 8}


def test_status_is_that_of_the_latest_change(cf, control):
    # 50 s of deployment at scale 100: 0.5 s; every update starts it again.
    control.config(timing={"scale": 100, "latency_ms": NO_LATENCY, "rate_limits": NO_LIMITS, "cloudfront_deploy_s": 50},
                   cloudfront_deploy_reads=0)
    created = cf.create_distribution(DistributionConfig=dist_config("r1"))
    t0 = time.monotonic()
    dist_id, etag = created["Distribution"]["Id"], created["ETag"]
    assert created["Distribution"]["Status"] == "InProgress"  # the read count (0) does not apply
    for _ in range(5):  # reads do not speed it up
        assert cf.get_distribution(Id=dist_id)["Distribution"]["Status"] == "InProgress"
    wait_until(t0 + 0.3)
    updated = cf.update_distribution(Id=dist_id, IfMatch=etag, DistributionConfig=dist_config("r1", comment="again"))
    t1 = time.monotonic()
    assert updated["Distribution"]["Status"] == "InProgress"
    wait_until(t0 + 0.6)  # past the first change's deploy time, not the latest's
    if time.monotonic() < t1 + 0.45:
        assert cf.get_distribution(Id=dist_id)["Distribution"]["Status"] == "InProgress"
        summary = cf.list_distributions()["DistributionList"]["Items"][0]
        assert summary["Status"] == "InProgress"
    wait_until(t1 + 0.55)
    assert cf.get_distribution(Id=dist_id)["Distribution"]["Status"] == "Deployed"
    assert cf.list_distributions()["DistributionList"]["Items"][0]["Status"] == "Deployed"


def test_delete_waits_for_the_disabling_to_deploy(cf, control):
    control.config(timing={"scale": 100, "latency_ms": NO_LATENCY, "rate_limits": NO_LIMITS, "cloudfront_deploy_s": 30})
    created = cf.create_distribution(DistributionConfig=dist_config("r1"))
    dist_id = created["Distribution"]["Id"]
    disabled = cf.update_distribution(
        Id=dist_id, IfMatch=created["ETag"], DistributionConfig=dist_config("r1", enabled=False)
    )
    t1 = time.monotonic()
    if time.monotonic() < t1 + 0.25:
        expect_error(cf.delete_distribution, "DistributionNotDisabled", 409, Id=dist_id, IfMatch=disabled["ETag"])
    wait_until(t1 + 0.35)
    cf.delete_distribution(Id=dist_id, IfMatch=disabled["ETag"])


def test_route53_change_is_insync_after_its_time_not_after_reads(r53, control):
    # 30 s at scale 100: 0.3 s.
    control.config(timing={"scale": 100, "latency_ms": NO_LATENCY, "rate_limits": NO_LIMITS, "route53_insync_s": 30},
                   route53_pending_reads=0)
    zone = r53.create_hosted_zone(Name="example.com", CallerReference="z")["HostedZone"]["Id"]
    info = r53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
            "Name": "a.example.com", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.1"}]}}]},
    )["ChangeInfo"]
    t0 = time.monotonic()
    assert info["Status"] == "PENDING"
    for _ in range(5):
        if time.monotonic() < t0 + 0.25:
            assert r53.get_change(Id=info["Id"])["ChangeInfo"]["Status"] == "PENDING"
    wait_until(t0 + 0.35)
    assert r53.get_change(Id=info["Id"])["ChangeInfo"]["Status"] == "INSYNC"


def test_route53_above_five_per_second_is_throttled_in_its_own_error(r53, raw_r53, control):
    control.config(timing={"latency_ms": NO_LATENCY, "rate_limits": {"route53": {"rate": 5, "burst": 5}}})
    for _ in range(5):
        r53.list_hosted_zones()
    expect_error(r53.list_hosted_zones, "Throttling", 400)
    error_document(raw_r53.last, R53_NS, "Throttling")
    expect_error(r53.get_hosted_zone_count, "Throttling", 400)  # one bucket for the account
    body = control.request("GET", "calls?log=1")[1]
    assert body["throttled"] == {"route53:ListHostedZones": 1, "route53:GetHostedZoneCount": 1}
    assert body["calls"] == {"route53:ListHostedZones": 6, "route53:GetHostedZoneCount": 1}
    assert body["faults_injected"] == {}
    last = body["log"][-1]
    assert isinstance(last.pop("at"), float)
    assert last == {"op": "route53:GetHostedZoneCount", "status": 400, "throttled": True}


def test_the_scale_multiplies_the_refill_rate(r53, control):
    limits = {"route53": {"rate": 2, "burst": 1}}
    control.config(timing={"scale": 1, "latency_ms": NO_LATENCY, "rate_limits": limits})
    r53.list_hosted_zones()
    time.sleep(0.1)  # 0.2 token at 2 per second
    expect_error(r53.list_hosted_zones, "Throttling", 400)
    control.config(timing={"scale": 20, "latency_ms": NO_LATENCY, "rate_limits": limits})
    r53.list_hosted_zones()
    time.sleep(0.1)  # 4 tokens at 40 per second (the bucket keeps 1)
    r53.list_hosted_zones()


def test_each_call_draws_from_its_most_specific_bucket(elb, control):
    limits = {"elbv2:Describe*": {"rate": 1, "burst": 3}, "elbv2": {"rate": 1, "burst": 1}}
    control.config(timing={"latency_ms": NO_LATENCY, "rate_limits": limits})
    for _ in range(3):
        elb.describe_load_balancers()
    expect_error(elb.describe_load_balancers, "Throttling", 400)
    # mutating calls have their own bucket, untouched by the Describe* calls
    expect_error(elb.delete_rule, "RuleNotFound", 400,
                 RuleArn="arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/x/1/2/3")
    expect_error(elb.delete_rule, "Throttling", 400,
                 RuleArn="arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/x/1/2/3")


@pytest.mark.parametrize("op_key,expected", [
    ("elbv2:DescribeRules", "elbv2:Describe*"),
    ("elbv2:CreateRule", "elbv2"),
    ("cloudfront:CreateDistributionWithTags", "cloudfront:CreateDistribution*"),
    ("cloudfront:UpdateDistribution", "cloudfront:UpdateDistribution"),
    ("cloudfront:GetDistribution", "cloudfront"),
    ("sts:GetCallerIdentity", None),
])
def test_pattern_choice(op_key, expected):
    service = op_key.split(":")[0]
    assert timing.pick(timing.DEFAULTS["rate_limits"], service, op_key) == expected
