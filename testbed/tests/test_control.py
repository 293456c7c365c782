"""The control API: call counting, faults on demand, reset, config; the launchers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET

import pytest
from conftest import TESTBED, dist_config, expect_error, host_rule, make_alb

REPO = os.path.dirname(TESTBED)


def test_calls_are_counted_per_service_and_operation(cf, r53, elb, control):
    resp = cf.create_distribution(DistributionConfig=dist_config("r1"))
    dist_id, etag = resp["Distribution"]["Id"], resp["ETag"]
    cf.get_distribution(Id=dist_id)
    cf.get_distribution(Id=dist_id)
    cf.update_distribution(Id=dist_id, IfMatch=etag, DistributionConfig=dist_config("r1", comment="x"))
    expect_error(cf.update_distribution, "PreconditionFailed", 412, Id=dist_id, IfMatch=etag, DistributionConfig=dist_config("r1"))
    cf.list_distributions()
    cf.create_distribution_with_tags(
        DistributionConfigWithTags={"DistributionConfig": dist_config("r2"), "Tags": {"Items": [{"Key": "k", "Value": "v"}]}}
    )
    cf.tag_resource(Resource=resp["Distribution"]["ARN"], Tags={"Items": [{"Key": "a", "Value": "b"}]})
    cf.list_tags_for_resource(Resource=resp["Distribution"]["ARN"])
    cf.list_cache_policies()
    zone = r53.create_hosted_zone(Name="example.com", CallerReference="z")["HostedZone"]["Id"]
    r53.list_resource_record_sets(HostedZoneId=zone)
    elb.describe_load_balancers()
    assert control.calls() == {
        "cloudfront:CreateDistribution": 1,
        "cloudfront:GetDistribution": 2,
        "cloudfront:UpdateDistribution": 2,
        "cloudfront:ListDistributions": 1,
        "cloudfront:CreateDistributionWithTags": 1,
        "cloudfront:TagResource": 1,
        "cloudfront:ListTagsForResource": 1,
        "cloudfront:ListCachePolicies": 1,
        "route53:CreateHostedZone": 1,
        "route53:ListResourceRecordSets": 1,
        "elbv2:DescribeLoadBalancers": 1,
    }
    status, body = control.request("GET", "calls?log=1")
    assert body["total"] == 13
    assert [e["op"] for e in body["log"][:3]] == [
        "cloudfront:CreateDistribution", "cloudfront:GetDistribution", "cloudfront:GetDistribution",
    ]
    assert body["log"][4]["status"] == 412
    # Each call is stamped with the wall seconds since the reset, in order.
    stamps = [e["at"] for e in body["log"]]
    assert stamps == sorted(stamps) and stamps[0] >= 0
    # Each call moto answered carries the emulator's own time on it; a refusal made before
    # moto (an injected fault, a throttle) has none.
    served = [e["served_ms"] for e in body["log"]]
    assert all(isinstance(ms, float) and 0 < ms < 5000 for ms in served)
    control.request("POST", "calls/reset", {})
    assert control.calls() == {}
    assert cf.list_distributions()["DistributionList"]["Quantity"] == 2  # state kept


def test_next_n_calls_of_an_operation_are_throttled(cf, control):
    resp = cf.create_distribution(DistributionConfig=dist_config("r1"))
    dist_id, etag = resp["Distribution"]["Id"], resp["ETag"]
    control.config(faults=[{"match": "cloudfront:UpdateDistribution", "count": 2, "error": "throttle"}])
    for _ in range(2):
        expect_error(cf.update_distribution, "Throttling", 400, Id=dist_id, IfMatch=etag, DistributionConfig=dist_config("r1"))
        cf.get_distribution(Id=dist_id)  # other operations are not affected
    cf.update_distribution(Id=dist_id, IfMatch=etag, DistributionConfig=dist_config("r1"))
    status, body = control.request("GET", "calls")
    assert body["faults_injected"] == {"cloudfront:UpdateDistribution": 2}
    assert body["calls"]["cloudfront:UpdateDistribution"] == 3
    assert control.request("GET", "faults")[1] == []  # spent


def test_fault_answers_in_each_services_shape(cf, r53, elb, raw_cf, raw_r53, control):
    control.request("POST", "faults", [
        {"match": "route53:ListHostedZones", "count": 1, "error": "prior_request_not_complete"},
        {"match": "route53:*", "count": 1, "error": "throttle"},
        {"match": "elbv2:DescribeLoadBalancers", "count": 1, "error": "throttle"},
        {"match": "elbv2:*", "count": 1, "error": "internal"},
        {"match": "cloudfront:ListDistributions", "count": 1, "error": "unavailable"},
        {"match": "cloudfront:*", "count": 1, "error": "custom", "code": "AccessDenied", "status": 403, "message": "no"},
    ])
    expect_error(r53.list_hosted_zones, "PriorRequestNotComplete", 400)
    expect_error(r53.list_hosted_zones, "Throttling", 400)
    root = ET.fromstring(raw_r53.last["body"])
    assert root.tag == "{https://route53.amazonaws.com/doc/2013-04-01/}ErrorResponse"
    r53.list_hosted_zones()
    expect_error(elb.describe_load_balancers, "Throttling", 400)
    expect_error(elb.describe_load_balancers, "InternalFailure", 500)
    elb.describe_load_balancers()
    expect_error(cf.list_distributions, "ServiceUnavailable", 503)
    root = ET.fromstring(raw_cf.last["body"])
    ns = "{http://cloudfront.amazonaws.com/doc/2020-05-31/}"
    assert root.find(f"{ns}Error/{ns}Type").text == "Receiver"
    expect_error(cf.list_distributions, "AccessDenied", 403)
    cf.list_distributions()


def test_a_lost_response_makes_the_change_then_answers_the_fault(ec2, elb, control):
    alb = make_alb(ec2, elb, "lost")
    control.config(faults=[{"match": "elbv2:CreateRule", "count": 1, "error": "internal", "lost_response": True}])
    expect_error(elb.create_rule, "InternalFailure", 500, ListenerArn=alb["listener"], Priority=7,
                 **host_rule("lost.example.com", alb["tg"]))
    rules = [r for r in elb.describe_rules(ListenerArn=alb["listener"])["Rules"] if not r["IsDefault"]]
    assert [r["Priority"] for r in rules] == ["7"]  # the change was made
    # The client's retry of the same request is refused as AWS refuses a duplicate.
    expect_error(elb.create_rule, "PriorityInUse", 400, ListenerArn=alb["listener"], Priority=7,
                 **host_rule("lost.example.com", alb["tg"]))
    log = control.request("GET", "calls?log=1")[1]["log"]
    assert [e.get("lost_response") for e in log if e["op"] == "elbv2:CreateRule"] == [True, None]


def test_a_fraction_of_calls_fail(cf, control):
    control.config(fault_seed=7, faults=[{"match": "*", "rate": 0.5, "error": "throttle"}])
    outcomes = []
    for _ in range(60):
        try:
            cf.list_distributions()
            outcomes.append(True)
        except cf.exceptions.ClientError as err:
            assert err.response["Error"]["Code"] == "Throttling"
            outcomes.append(False)
    assert 15 <= outcomes.count(False) <= 45
    control.config(faults=[{"match": "cloudfront:*", "rate": 1.0, "error": "unavailable", "skip": 2}])
    cf.list_distributions()
    cf.list_distributions()
    expect_error(cf.list_distributions, "ServiceUnavailable", 503)
    control.request("DELETE", "faults")
    cf.list_distributions()


def test_config_round_trip_and_validation(control):
    status, config = control.request("GET", "config")
    assert status == 200
    assert config["cloudfront_alias_quota"] == 100 and config["elbv2_rules_per_alb_quota"] == 100
    assert config["cloudfront_deploy_reads"] >= 0 and config["route53_pending_reads"] >= 0
    assert control.config(cloudfront_alias_quota=5)["cloudfront_alias_quota"] == 5
    for bad in ({"no_such_key": 1}, {"cloudfront_alias_quota": -1}, {"faults": [{"error": "nope"}]}):
        status, body = control.request("POST", "config", bad)
        assert status == 400 and "error" in body
    assert control.request("GET", "no-such-endpoint")[0] == 404


@pytest.mark.parametrize("reset_path", ["/honest-api/reset", "/moto-api/reset"])
def test_reset_clears_moto_and_extension_state(cf, r53, control, server_url, reset_path):
    control.config(cloudfront_alias_quota=1, faults=[{"match": "sts:*", "count": 5}])
    cf.create_distribution(DistributionConfig=dist_config("r1", aliases=["a.example.com"]))
    policy = cf.create_cache_policy(
        CachePolicyConfig={
            "Name": "p", "MinTTL": 0,
            "ParametersInCacheKeyAndForwardedToOrigin": {
                "EnableAcceptEncodingGzip": False,
                "HeadersConfig": {"HeaderBehavior": "none"},
                "CookiesConfig": {"CookieBehavior": "none"},
                "QueryStringsConfig": {"QueryStringBehavior": "none"},
            },
        }
    )["CachePolicy"]["Id"]
    zone = r53.create_hosted_zone(Name="example.com", CallerReference="z")["HostedZone"]["Id"]
    info = r53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
            "Name": "a.example.com", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.1"}]}}]},
    )["ChangeInfo"]
    req = urllib.request.Request(server_url + reset_path, data=b"", method="POST")
    urllib.request.urlopen(req, timeout=10).read()
    assert cf.list_distributions()["DistributionList"]["Quantity"] == 0
    expect_error(cf.get_cache_policy, "NoSuchCachePolicy", 404, Id=policy)
    expect_error(r53.get_change, "NoSuchChange", 404, Id=info["Id"])
    assert r53.list_hosted_zones()["HostedZones"] == []
    status, config = control.request("GET", "config")
    assert config["cloudfront_alias_quota"] == 100 and config["faults"] == []
    assert control.calls() == {"cloudfront:ListDistributions": 1, "cloudfront:GetCachePolicy": 1,
                               "route53:GetChange": 1, "route53:ListHostedZones": 1}
    # the same CallerReference and aliases are free again
    cf.create_distribution(DistributionConfig=dist_config("r1", aliases=["a.example.com"]))


def test_serve_exits_with_its_parent(tmp_path):
    pid_file = tmp_path / "child.pid"
    parent = (
        "import subprocess, sys\n"
        f"p = subprocess.Popen([sys.executable, {os.path.join(TESTBED, 'serve.py')!r}, '--exit-with-parent'],"
        " stdout=subprocess.PIPE, text=True)\n"
        "url = p.stdout.readline().strip()\n"
        f"open({str(pid_file)!r}, 'w').write(str(p.pid) + ' ' + url)\n"
    )
    subprocess.run([sys.executable, "-c", parent], check=True, timeout=60)
    pid, url = pid_file.read_text().split()
    pid = int(pid)
    deadline = time.time() + 10
    while time.time() < deadline:
        if not _alive(pid):
            break
        time.sleep(0.1)
    else:
        os.kill(pid, 15)
        pytest.fail("serve.py outlived its parent")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


def test_launcher_script_start_status_stop(tmp_path):
    env = dict(os.environ, GATEWAY_PYTHON=sys.executable, GATEWAY_EMULATOR_DIR=str(tmp_path / "emu"))
    script = os.path.join(REPO, "scripts", "emulator")

    def run(*args):
        return subprocess.run([script, *args], env=env, capture_output=True, text=True, timeout=60)

    assert run("status").returncode == 3
    started = run("start", "--config", json.dumps({"elbv2_rules_per_alb_quota": 7}))
    assert started.returncode == 0, started.stderr
    url = started.stdout.strip()
    assert url.startswith("http://127.0.0.1:")
    port = (tmp_path / "emu" / "port").read_text().strip()
    pid = int((tmp_path / "emu" / "pid").read_text())
    assert url.endswith(":" + port)
    with urllib.request.urlopen(url + "/honest-api/config", timeout=5) as resp:
        assert json.loads(resp.read())["elbv2_rules_per_alb_quota"] == 7
    assert run("start").stdout.strip() == url  # already running: same one
    status = run("status")
    assert status.returncode == 0 and url in status.stdout
    assert run("stop").returncode == 0
    assert not _alive(pid)
    assert run("status").returncode == 3


def test_rust_sdk_relevant_throttle_shape_for_elbv2(elb_raw, raw_elb, ec2, control):
    alb = make_alb(ec2, elb_raw)
    control.config(faults=[{"match": "elasticloadbalancing:CreateRule", "count": 1}])
    expect_error(elb_raw.create_rule, "Throttling", 400, ListenerArn=alb["listener"], Priority=1, **host_rule("a.example.com", alb["tg"]))
    root = ET.fromstring(raw_elb.last["body"])
    ns = "{http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/}"
    assert root.tag == f"{ns}ErrorResponse" and root.find(f"{ns}Error/{ns}Code").text == "Throttling"
    elb_raw.create_rule(ListenerArn=alb["listener"], Priority=1, **host_rule("a.example.com", alb["tg"]))
