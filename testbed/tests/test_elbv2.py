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
