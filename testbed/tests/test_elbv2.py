"""ELBv2 listener rules as AWS enforces them."""

from __future__ import annotations


import pytest
from conftest import error_document, expect_error, host_rule, make_alb


@pytest.fixture
def alb(ec2, elb):
    return make_alb(ec2, elb)


def test_priority_outside_1_to_50000_is_validation_error(elb_raw, alb):
    for priority in (0, 50001, -5):
        err = expect_error(
            elb_raw.create_rule, "ValidationError", 400,
            ListenerArn=alb["listener"], Priority=priority, **host_rule("a.example.com", alb["tg"]),
        )
        assert "priority" in err.response["Error"]["Message"]
    for priority in (1, 50000):
        elb_raw.create_rule(ListenerArn=alb["listener"], Priority=priority, **host_rule(f"p{priority}.example.com", alb["tg"]))


def test_set_rule_priorities_range_and_swap(elb_raw, alb):
    r1 = elb_raw.create_rule(ListenerArn=alb["listener"], Priority=1, **host_rule("a.example.com", alb["tg"]))["Rules"][0]
    r2 = elb_raw.create_rule(ListenerArn=alb["listener"], Priority=2, **host_rule("b.example.com", alb["tg"]))["Rules"][0]
    r3 = elb_raw.create_rule(ListenerArn=alb["listener"], Priority=3, **host_rule("c.example.com", alb["tg"]))["Rules"][0]
    expect_error(
        elb_raw.set_rule_priorities, "ValidationError", 400, RulePriorities=[{"RuleArn": r1["RuleArn"], "Priority": 50001}]
    )
    expect_error(elb_raw.set_rule_priorities, "ValidationError", 400, RulePriorities=[{"RuleArn": r1["RuleArn"], "Priority": 0}])
    # swapping in one call is fine (AWS applies the priorities together)
    elb_raw.set_rule_priorities(
        RulePriorities=[{"RuleArn": r1["RuleArn"], "Priority": 2}, {"RuleArn": r2["RuleArn"], "Priority": 1}]
    )
    rules = {r["RuleArn"]: r["Priority"] for r in elb_raw.describe_rules(ListenerArn=alb["listener"])["Rules"]}
    assert rules[r1["RuleArn"]] == "2" and rules[r2["RuleArn"]] == "1"
    # a clash with a rule that does not move is PriorityInUse
    expect_error(
        elb_raw.set_rule_priorities, "PriorityInUse", 400, RulePriorities=[{"RuleArn": r1["RuleArn"], "Priority": 3}]
    )
    assert {r["RuleArn"]: r["Priority"] for r in elb_raw.describe_rules(ListenerArn=alb["listener"])["Rules"]}[
        r3["RuleArn"]
    ] == "3"
    expect_error(
        elb_raw.set_rule_priorities, "RuleNotFound", 400,
        RulePriorities=[{"RuleArn": r1["RuleArn"].rsplit("/", 1)[0] + "/0000000000000000", "Priority": 9}],
    )


def test_more_than_five_condition_values_is_refused(elb, alb):
    six = [f"h{i}.example.com" for i in range(6)]
    err = expect_error(
        elb.create_rule, "ValidationError", 400, ListenerArn=alb["listener"], Priority=1, **host_rule(six, alb["tg"])
    )
    assert err.response["Error"]["Message"] == "A rule can only have '5' condition values"
    # values are counted across conditions
    rule = host_rule(["a.example.com", "b.example.com", "c.example.com"], alb["tg"])
    rule["Conditions"].append({"Field": "path-pattern", "PathPatternConfig": {"Values": ["/a", "/b", "/c"]}})
    expect_error(elb.create_rule, "ValidationError", 400, ListenerArn=alb["listener"], Priority=1, **rule)
    created = elb.create_rule(ListenerArn=alb["listener"], Priority=1, **host_rule(six[:5], alb["tg"]))["Rules"][0]
    expect_error(
        elb.modify_rule, "ValidationError", 400, RuleArn=created["RuleArn"], Conditions=host_rule(six, alb["tg"])["Conditions"]
    )
    elb.modify_rule(RuleArn=created["RuleArn"], Conditions=host_rule(six[:2], alb["tg"])["Conditions"])


def test_rules_per_load_balancer_quota_is_too_many_rules(ec2, elb, alb, control):
    control.config(elbv2_rules_per_alb_quota=3)
    second = elb.create_listener(
        LoadBalancerArn=alb["lb"], Protocol="HTTP", Port=8080,
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
    )["Listeners"][0]["ListenerArn"]
    elb.create_rule(ListenerArn=alb["listener"], Priority=1, **host_rule("a.example.com", alb["tg"]))
    elb.create_rule(ListenerArn=alb["listener"], Priority=2, **host_rule("b.example.com", alb["tg"]))
    elb.create_rule(ListenerArn=second, Priority=1, **host_rule("c.example.com", alb["tg"]))  # counts for the same ALB
    expect_error(elb.create_rule, "TooManyRules", 400, ListenerArn=alb["listener"], Priority=3, **host_rule("d.example.com", alb["tg"]))
    # default rules do not count, and another ALB has its own quota
    other = make_alb(ec2, elb, name="other")
    elb.create_rule(ListenerArn=other["listener"], Priority=1, **host_rule("d.example.com", other["tg"]))
    # freeing one makes room
    rules = elb.describe_rules(ListenerArn=alb["listener"])["Rules"]
    elb.delete_rule(RuleArn=next(r["RuleArn"] for r in rules if r["Priority"] == "1"))
    elb.create_rule(ListenerArn=alb["listener"], Priority=3, **host_rule("d.example.com", alb["tg"]))


def test_default_quota_is_100(elb, alb):
    for i in range(1, 101):
        elb.create_rule(ListenerArn=alb["listener"], Priority=i, **host_rule(f"t{i}.example.com", alb["tg"]))
    expect_error(elb.create_rule, "TooManyRules", 400, ListenerArn=alb["listener"], Priority=101, **host_rule("x.example.com", alb["tg"]))


def test_delete_missing_rule_is_rule_not_found(elb, alb):
    rule = elb.create_rule(ListenerArn=alb["listener"], Priority=7, **host_rule("a.example.com", alb["tg"]))["Rules"][0]
    elb.delete_rule(RuleArn=rule["RuleArn"])
    expect_error(elb.delete_rule, "RuleNotFound", 400, RuleArn=rule["RuleArn"])
    default = next(r for r in elb.describe_rules(ListenerArn=alb["listener"])["Rules"] if r["IsDefault"])
    expect_error(elb.delete_rule, "OperationNotPermitted", 400, RuleArn=default["RuleArn"])


def test_priority_in_use_is_kept(elb, alb):
    elb.create_rule(ListenerArn=alb["listener"], Priority=5, **host_rule("a.example.com", alb["tg"]))
    expect_error(elb.create_rule, "PriorityInUse", 400, ListenerArn=alb["listener"], Priority=5, **host_rule("b.example.com", alb["tg"]))


def test_error_wire_shape_is_elbv2s(elb_raw, raw_elb, alb):
    expect_error(
        elb_raw.create_rule, "ValidationError", 400, ListenerArn=alb["listener"], Priority=0, **host_rule("a.example.com", alb["tg"])
    )
    raw = raw_elb.last
    error_document(raw, "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/", "ValidationError")


# ---------------------------------------------------------------------------
# The coverage log: served hosts left without a rule
# ---------------------------------------------------------------------------
@pytest.fixture
def zone(r53):
    return r53.create_hosted_zone(Name="example.com", CallerReference="cov")["HostedZone"]["Id"].split("/")[-1]


def add_record(r53, zone, name, rtype="A"):
    value = "192.0.2.10" if rtype == "A" else "2001:db8::10"
    r53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
            "Name": name, "Type": rtype, "TTL": 60, "ResourceRecords": [{"Value": value}]}}]},
    )


def test_a_served_host_whose_only_rule_is_deleted_is_logged(elb, r53, alb, zone, control):
    add_record(r53, zone, "served.example.com")
    add_record(r53, zone, "txt.example.com", rtype="TXT")  # not A/AAAA: not served
    served = elb.create_rule(ListenerArn=alb["listener"], Priority=1, **host_rule("Served.Example.com", alb["tg"]))["Rules"][0]
    unserved = elb.create_rule(ListenerArn=alb["listener"], Priority=2, **host_rule("nodns.example.com", alb["tg"]))["Rules"][0]
    txt = elb.create_rule(ListenerArn=alb["listener"], Priority=3, **host_rule("txt.example.com", alb["tg"]))["Rules"][0]
    assert control.uncovered() == []
    elb.delete_rule(RuleArn=served["RuleArn"])
    elb.delete_rule(RuleArn=unserved["RuleArn"])  # no record of that name: nothing to log
    elb.delete_rule(RuleArn=txt["RuleArn"])
    log = control.uncovered()
    assert [(e["seq"], e["operation"], e["host"], e["rules"]) for e in log] == [
        (1, "elbv2:DeleteRule", "served.example.com", [served["RuleArn"]])
    ]
    assert log[0]["at"].endswith("Z")
    # a refused change logs nothing; a reset (or DELETE) clears the log
    expect_error(elb.delete_rule, "RuleNotFound", 400, RuleArn=served["RuleArn"])
    assert len(control.uncovered()) == 1
    assert control.request("DELETE", "uncovered") == (200, {"uncovered": []})
    assert control.uncovered() == []


def test_a_host_whose_rule_is_replaced_first_is_not_logged(elb, r53, alb, zone, control):
    add_record(r53, zone, "moved.example.com", rtype="AAAA")
    old = elb.create_rule(ListenerArn=alb["listener"], Priority=10, **host_rule("moved.example.com", alb["tg"]))["Rules"][0]
    # the replacement, created before the delete, matches the host first (and by a wildcard)
    elb.create_rule(ListenerArn=alb["listener"], Priority=5, **host_rule("*.example.com", alb["tg"]))
    elb.delete_rule(RuleArn=old["RuleArn"])
    assert control.uncovered() == []


def test_modify_rule_and_other_listeners(ec2, elb, r53, alb, zone, control):
    add_record(r53, zone, "a.example.com")
    add_record(r53, zone, "b.example.com")
    rule = elb.create_rule(ListenerArn=alb["listener"], Priority=1, **host_rule(["a.example.com", "b.example.com"], alb["tg"]))[
        "Rules"
    ][0]
    # b is also served through another load balancer's listener
    other = make_alb(ec2, elb, name="other")
    elb.create_rule(ListenerArn=other["listener"], Priority=1, **host_rule("b.example.com", other["tg"]))
    elb.modify_rule(RuleArn=rule["RuleArn"], Conditions=host_rule("c.example.com", alb["tg"])["Conditions"])
    elb.set_rule_priorities(RulePriorities=[{"RuleArn": rule["RuleArn"], "Priority": 7}])  # priorities cover nothing
    assert [(e["operation"], e["host"]) for e in control.uncovered()] == [("elbv2:ModifyRule", "a.example.com")]
    control.reset()
    assert control.uncovered() == []
