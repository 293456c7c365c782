"""Route53 ChangeResourceRecordSets / GetChange as AWS does them."""

from __future__ import annotations


import pytest
from conftest import error_document, expect_error

CF_ZONE = "Z2FDTNDATAQYW2"


@pytest.fixture
def zone(r53):
    resp = r53.create_hosted_zone(Name="example.com", CallerReference="z1")
    return resp["HostedZone"]["Id"].split("/")[-1]


def alias(name, target="d111111abcdef8.cloudfront.net", rtype="A", evaluate=False, zone_id=CF_ZONE):
    return {
        "Name": name,
        "Type": rtype,
        "AliasTarget": {"HostedZoneId": zone_id, "DNSName": target, "EvaluateTargetHealth": evaluate},
    }


def plain(name, value="192.0.2.1", ttl=300, rtype="A"):
    values = [value] if isinstance(value, str) else value
    return {"Name": name, "Type": rtype, "TTL": ttl, "ResourceRecords": [{"Value": v} for v in values]}


def change(r53, zone, *changes):
    return r53.change_resource_record_sets(
        HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": a, "ResourceRecordSet": r} for a, r in changes]}
    )


def records(r53, zone, rtype=None):
    sets = r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    return {(s["Name"], s["Type"]): s for s in sets if rtype is None or s["Type"] == rtype}


def test_create_of_existing_name_and_type_is_invalid_change_batch(r53, zone):
    change(r53, zone, ("CREATE", alias("shop.example.com")))
    with pytest.raises(r53.exceptions.InvalidChangeBatch) as info:
        change(r53, zone, ("CREATE", alias("shop.example.com", target="d222222abcdef8.cloudfront.net")))
    err = info.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err["Error"]["Message"] == (
        "[Tried to create resource record set [name='shop.example.com.', type='A'] but it already exists]"
    )
    # AAAA at the same name is a different record set: fine
    change(r53, zone, ("CREATE", alias("shop.example.com", rtype="AAAA")))
    # UPSERT replaces
    change(r53, zone, ("UPSERT", alias("shop.example.com", target="d222222abcdef8.cloudfront.net")))
    assert records(r53, zone)[("shop.example.com.", "A")]["AliasTarget"]["DNSName"] == "d222222abcdef8.cloudfront.net."


def test_delete_must_match_exactly(r53, zone):
    change(r53, zone, ("CREATE", alias("shop.example.com")), ("CREATE", plain("api.example.com", ["192.0.2.1", "192.0.2.2"])))
    mismatches = [
        alias("shop.example.com", evaluate=True),
        alias("shop.example.com", target="d999999abcdef8.cloudfront.net"),
        alias("shop.example.com", rtype="AAAA"),
    ]
    for rr in mismatches:
        with pytest.raises(r53.exceptions.InvalidChangeBatch):
            change(r53, zone, ("DELETE", rr))
    for rr in (plain("api.example.com", ["192.0.2.1", "192.0.2.2"], ttl=60), plain("api.example.com", "192.0.2.1")):
        with pytest.raises(r53.exceptions.InvalidChangeBatch) as info:
            change(r53, zone, ("DELETE", rr))
        assert "do not match the current values" in info.value.response["Error"]["Message"]
    with pytest.raises(r53.exceptions.InvalidChangeBatch) as info:
        change(r53, zone, ("DELETE", alias("gone.example.com")))
    assert info.value.response["Error"]["Message"] == (
        "[Tried to delete resource record set [name='gone.example.com.', type='A'] but it was not found]"
    )
    assert len(records(r53, zone)) == 4  # SOA, NS and the two records
    # the exact records delete fine (values in any order, names with or without the dot / in any case)
    change(
        r53, zone,
        ("DELETE", alias("SHOP.example.com.", target="D111111ABCDEF8.cloudfront.net.")),
        ("DELETE", plain("api.example.com", ["192.0.2.2", "192.0.2.1"])),
    )
    assert set(records(r53, zone)) == {("example.com.", "NS"), ("example.com.", "SOA")}


def test_batch_is_atomic_and_lists_every_problem(r53, zone):
    change(r53, zone, ("CREATE", alias("taken.example.com")))
    with pytest.raises(r53.exceptions.InvalidChangeBatch) as info:
        change(
            r53, zone,
            ("CREATE", alias("new1.example.com")),
            ("CREATE", alias("taken.example.com")),
            ("DELETE", alias("missing.example.com")),
            ("CREATE", alias("new2.example.com")),
        )
    message = info.value.response["Error"]["Message"]
    assert message.startswith("[") and message.endswith("]")
    assert "taken.example.com." in message and "missing.example.com." in message
    assert set(records(r53, zone, "A")) == {("taken.example.com.", "A")}


def test_changes_apply_in_order_within_a_batch(r53, zone):
    change(r53, zone, ("CREATE", alias("shop.example.com")))
    change(
        r53, zone,
        ("DELETE", alias("shop.example.com")),
        ("CREATE", alias("shop.example.com", target="d222222abcdef8.cloudfront.net")),
    )
    assert records(r53, zone)[("shop.example.com.", "A")]["AliasTarget"]["DNSName"] == "d222222abcdef8.cloudfront.net."
    with pytest.raises(r53.exceptions.InvalidChangeBatch):
        change(r53, zone, ("CREATE", alias("x.example.com")), ("CREATE", alias("x.example.com")))


def test_more_than_1000_changes_is_invalid_change_batch(r53, zone, control):
    batch = [("CREATE", plain(f"h{i}.example.com")) for i in range(1001)]
    with pytest.raises(r53.exceptions.InvalidChangeBatch):
        change(r53, zone, *batch)
    assert records(r53, zone, "A") == {}
    change(r53, zone, *batch[:1000])
    assert r53.get_hosted_zone(Id=zone)["HostedZone"]["ResourceRecordSetCount"] == 1002  # + SOA, NS
    control.config(route53_max_changes_per_batch=2)
    with pytest.raises(r53.exceptions.InvalidChangeBatch):
        change(r53, zone, *[("CREATE", plain(f"k{i}.example.com")) for i in range(3)])


def test_other_batch_rules(r53, zone):
    with pytest.raises(r53.exceptions.InvalidChangeBatch) as info:
        change(r53, zone, ("CREATE", alias("shop.other.org")))
    assert "is not permitted in zone example.com." in info.value.response["Error"]["Message"]
    with pytest.raises(r53.exceptions.InvalidChangeBatch):
        change(r53, zone, ("CREATE", alias("shop.example.com", zone_id="Z1234567890ABC")))
    change(r53, zone, ("CREATE", plain("cname.example.com", "target.example.net", rtype="CNAME")))
    with pytest.raises(r53.exceptions.InvalidChangeBatch) as info:
        change(r53, zone, ("CREATE", alias("cname.example.com")))
    assert "conflicting RRSet of type CNAME" in info.value.response["Error"]["Message"]
    broken = {"Name": "x.example.com", "Type": "A", "TTL": 300}
    expect_error(
        r53.change_resource_record_sets, "InvalidInput", 400,
        HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": broken}]},
    )


def test_wildcards_and_case_are_stored_as_aws_answers(r53, zone):
    change(r53, zone, ("CREATE", alias("*.Tenants.Example.com")))
    assert ("\\052.tenants.example.com.", "A") in records(r53, zone)
    change(r53, zone, ("DELETE", alias("*.tenants.example.com")))


def test_get_change_pending_for_configured_reads(r53, zone, control):
    info = change(r53, zone, ("CREATE", alias("shop.example.com")))["ChangeInfo"]
    assert info["Status"] == "PENDING"
    assert r53.get_change(Id=info["Id"])["ChangeInfo"]["Status"] == "PENDING"
    assert r53.get_change(Id=info["Id"])["ChangeInfo"]["Status"] == "INSYNC"
    control.config(route53_pending_reads=3)
    info2 = change(r53, zone, ("CREATE", alias("blog.example.com")))["ChangeInfo"]
    assert info2["Id"] != info["Id"]
    statuses = [r53.get_change(Id=info2["Id"].split("/")[-1])["ChangeInfo"]["Status"] for _ in range(4)]
    assert statuses == ["PENDING", "PENDING", "PENDING", "INSYNC"]
    control.config(route53_pending_reads=0)
    assert change(r53, zone, ("CREATE", alias("now.example.com")))["ChangeInfo"]["Status"] == "INSYNC"
    expect_error(r53.get_change, "NoSuchChange", 404, Id="CNOSUCHCHANGE1")


def test_error_wire_shape_is_route53s(r53, raw_r53, zone):
    change(r53, zone, ("CREATE", alias("shop.example.com")))
    with pytest.raises(r53.exceptions.InvalidChangeBatch):
        change(r53, zone, ("CREATE", alias("shop.example.com")))
    raw = raw_r53.last
    assert raw["status"] == 400
    error_document(raw, "https://route53.amazonaws.com/doc/2013-04-01/", "InvalidChangeBatch")
