"""CloudFront SaaS Manager: multi-tenant distributions, connection groups and distribution tenants
refuse what AWS refuses and accept the valid counterpart."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from conftest import ACCOUNT, dist_config, expect_error

NS = "{http://cloudfront.amazonaws.com/doc/2020-05-31/}"


def tenant_only_config(ref: str, **kwargs) -> dict:
    config = dist_config(ref, **kwargs)
    config["ConnectionMode"] = "tenant-only"
    del config["Aliases"]
    return config


def multi_tenant(cf, ref="mt") -> tuple[str, str]:
    resp = cf.create_distribution(DistributionConfig=tenant_only_config(ref))
    return resp["Distribution"]["Id"], resp["ETag"]


def group(cf, name="cg", **kwargs) -> dict:
    resp = cf.create_connection_group(Name=name, **kwargs)
    return {**resp["ConnectionGroup"], "ETag": resp["ETag"]}


def tenant(cf, dist_id, name="acme", domains=("acme.example.com",), group_id=None, **kwargs) -> dict:
    params = dict(DistributionId=dist_id, Name=name, Domains=[{"Domain": d} for d in domains], **kwargs)
    if group_id:
        params["ConnectionGroupId"] = group_id
    resp = cf.create_distribution_tenant(**params)
    return {**resp["DistributionTenant"], "ETag": resp["ETag"]}


def deployed(cf, get, **kwargs) -> dict:
    """Reads until the thing says Deployed; answers the last read."""
    for _ in range(10):
        resp = get(**kwargs)
        body = resp.get("ConnectionGroup") or resp.get("DistributionTenant")
        if body["Status"] == "Deployed":
            return {**body, "ETag": resp["ETag"]}
    raise AssertionError("never deployed")


# ---------------------------------------------------------------------------
# Multi-tenant distributions
# ---------------------------------------------------------------------------
def test_tenant_only_connection_mode_round_trips(cf):
    dist_id, etag = multi_tenant(cf)
    got = cf.get_distribution_config(Id=dist_id)
    config = got["DistributionConfig"]
    assert config["ConnectionMode"] == "tenant-only"
    assert "PriceClass" not in config and "IsIPV6Enabled" not in config
    assert cf.get_distribution(Id=dist_id)["Distribution"]["DistributionConfig"]["ConnectionMode"] == "tenant-only"
    # what was read can be sent back as is
    resp = cf.update_distribution(Id=dist_id, IfMatch=got["ETag"], DistributionConfig=config)
    assert resp["Distribution"]["DistributionConfig"]["ConnectionMode"] == "tenant-only"
    resp = cf.create_distribution_with_tags(
        DistributionConfigWithTags={"DistributionConfig": tenant_only_config("mt2"), "Tags": {"Items": []}}
    )
    assert resp["Distribution"]["DistributionConfig"]["ConnectionMode"] == "tenant-only"


@pytest.mark.parametrize(
    "field,value",
    [("Aliases", {"Quantity": 1, "Items": ["a.example.com"]}), ("PriceClass", "PriceClass_100"), ("IsIPV6Enabled", True)],
)
def test_tenant_only_refuses_aliases_price_class_and_ipv6(cf, field, value):
    config = tenant_only_config("mt")
    config[field] = value
    expect_error(cf.create_distribution, "InvalidArgument", 400, DistributionConfig=config)
    dist_id, etag = multi_tenant(cf)
    expect_error(cf.update_distribution, "InvalidArgument", 400, Id=dist_id, IfMatch=etag, DistributionConfig=config)


def test_connection_mode_cannot_change(cf):
    dist_id, etag = multi_tenant(cf)
    expect_error(cf.update_distribution, "IllegalUpdate", 400, Id=dist_id, IfMatch=etag, DistributionConfig=dist_config("mt"))
    config = dist_config("std")
    std = cf.create_distribution(DistributionConfig=config)
    config["ConnectionMode"] = "tenant-only"
    del config["Aliases"]
    expect_error(
        cf.update_distribution, "IllegalUpdate", 400,
        Id=std["Distribution"]["Id"], IfMatch=std["ETag"], DistributionConfig=config,
    )


def test_delete_of_multi_tenant_distribution_with_tenants_is_409_resource_in_use(cf):
    dist_id, _ = multi_tenant(cf)
    t = tenant(cf, dist_id)
    config = cf.get_distribution_config(Id=dist_id)
    config["DistributionConfig"]["Enabled"] = False
    etag = cf.update_distribution(Id=dist_id, IfMatch=config["ETag"], DistributionConfig=config["DistributionConfig"])["ETag"]
    cf.get_distribution(Id=dist_id)
    expect_error(cf.delete_distribution, "ResourceInUse", 409, Id=dist_id, IfMatch=etag)
    t = cf.update_distribution_tenant(Id=t["Id"], IfMatch=t["ETag"], Enabled=False)
    t = deployed(cf, cf.get_distribution_tenant, Identifier=t["DistributionTenant"]["Id"])
    cf.delete_distribution_tenant(Id=t["Id"], IfMatch=t["ETag"])
    cf.delete_distribution(Id=dist_id, IfMatch=etag)


# ---------------------------------------------------------------------------
# Connection groups
# ---------------------------------------------------------------------------
def test_connection_group_create_answers_its_identity_and_deploys_after_reads(cf, control, raw_cf):
    control.config(cloudfront_deploy_reads=2)
    g = group(cf, "edge-cg", Ipv6Enabled=False, Tags={"Items": [{"Key": "owner", "Value": "edge"}]})
    assert raw_cf.last["status"] == 201
    assert raw_cf.last["headers"]["etag"] == g["ETag"]
    assert re.fullmatch(r"cg_[0-9A-Za-z]{27}", g["Id"])
    assert g["Arn"] == f"arn:aws:cloudfront::{ACCOUNT}:connection-group/{g['Id']}"
    assert re.fullmatch(r"d[0-9a-z]+\.cloudfront\.net", g["RoutingEndpoint"])
    assert (g["Name"], g["Ipv6Enabled"], g["Enabled"], g["Status"]) == ("edge-cg", False, True, "InProgress")
    assert g["Tags"]["Items"] == [{"Key": "owner", "Value": "edge"}]
    statuses = [cf.get_connection_group(Identifier=g["Id"])["ConnectionGroup"]["Status"] for _ in range(3)]
    assert statuses == ["InProgress", "InProgress", "Deployed"]
    for identifier in (g["Name"], g["Arn"]):
        got = cf.get_connection_group(Identifier=identifier)
        assert (got["ConnectionGroup"]["Id"], got["ETag"]) == (g["Id"], g["ETag"])
    assert control.calls()["cloudfront:GetConnectionGroup"] == 5  # by ARN too (its "/" sent as %2F)
    by_endpoint = cf.get_connection_group_by_routing_endpoint(RoutingEndpoint=g["RoutingEndpoint"])
    assert by_endpoint["ConnectionGroup"]["Id"] == g["Id"]
    assert group(cf, "other")["Ipv6Enabled"] is True  # AWS's default


def test_connection_group_name_is_unique_and_unknown_is_404(cf):
    group(cf, "cg")
    expect_error(cf.create_connection_group, "EntityAlreadyExists", 409, Name="cg")
    expect_error(cf.get_connection_group, "EntityNotFound", 404, Identifier="cg_missing")
    expect_error(cf.get_connection_group_by_routing_endpoint, "EntityNotFound", 404, RoutingEndpoint="d1.cloudfront.net")


def test_connection_group_update_needs_current_if_match(cf, control):
    control.config(cloudfront_deploy_reads=0)
    g = group(cf)
    expect_error(cf.update_connection_group, "InvalidIfMatchVersion", 400, Id=g["Id"], IfMatch="", Enabled=False)
    updated = cf.update_connection_group(Id=g["Id"], IfMatch=g["ETag"], Enabled=False, Ipv6Enabled=False)
    assert updated["ETag"] != g["ETag"]
    assert (updated["ConnectionGroup"]["Enabled"], updated["ConnectionGroup"]["Ipv6Enabled"]) == (False, False)
    expect_error(cf.update_connection_group, "PreconditionFailed", 412, Id=g["Id"], IfMatch=g["ETag"], Enabled=True)
    assert cf.get_connection_group(Identifier=g["Id"])["ConnectionGroup"]["Enabled"] is False
    expect_error(cf.update_connection_group, "EntityNotFound", 404, Id="cg_missing", IfMatch="X", Enabled=True)


def test_connection_group_delete_rules(cf, control):
    g = group(cf)
    dist_id, _ = multi_tenant(cf)
    t = tenant(cf, dist_id, group_id=g["Id"])
    expect_error(cf.delete_connection_group, "InvalidIfMatchVersion", 400, Id=g["Id"], IfMatch="")
    expect_error(cf.delete_connection_group, "PreconditionFailed", 412, Id=g["Id"], IfMatch="ESTALE")
    expect_error(cf.delete_connection_group, "CannotDeleteEntityWhileInUse", 409, Id=g["Id"], IfMatch=g["ETag"])
    t = cf.update_distribution_tenant(Id=t["Id"], IfMatch=t["ETag"], Enabled=False)
    t = deployed(cf, cf.get_distribution_tenant, Identifier=t["DistributionTenant"]["Id"])
    cf.delete_distribution_tenant(Id=t["Id"], IfMatch=t["ETag"])
    expect_error(cf.delete_connection_group, "ResourceNotDisabled", 409, Id=g["Id"], IfMatch=g["ETag"])
    etag = cf.update_connection_group(Id=g["Id"], IfMatch=g["ETag"], Enabled=False)["ETag"]
    # the disabling is still InProgress
    expect_error(cf.delete_connection_group, "ResourceNotDisabled", 409, Id=g["Id"], IfMatch=etag)
    g = deployed(cf, cf.get_connection_group, Identifier=g["Id"])
    cf.delete_connection_group(Id=g["Id"], IfMatch=g["ETag"])
    expect_error(cf.get_connection_group, "EntityNotFound", 404, Identifier=g["Id"])
    expect_error(cf.delete_connection_group, "EntityNotFound", 404, Id=g["Id"], IfMatch=g["ETag"])


def test_list_connection_groups_pages(cf, raw_cf):
    ids = [group(cf, f"cg{i}")["Id"] for i in range(3)]
    page = cf.list_connection_groups(MaxItems=2)
    root = ET.fromstring(raw_cf.last["body"])
    assert root.tag == f"{NS}ListConnectionGroupsResult"  # the AWS SDK for Rust insists on it
    assert [g["Id"] for g in page["ConnectionGroups"]] == ids[:2]
    assert all(g["ETag"] and g["RoutingEndpoint"] for g in page["ConnectionGroups"])
    rest = cf.list_connection_groups(Marker=page["NextMarker"], MaxItems=2)
    assert [g["Id"] for g in rest["ConnectionGroups"]] == ids[2:]
    assert "NextMarker" not in rest


def test_connection_group_tags(cf):
    g = group(cf, Tags={"Items": [{"Key": "a", "Value": "1"}]})
    cf.tag_resource(Resource=g["Arn"], Tags={"Items": [{"Key": "b", "Value": "2"}]})
    cf.untag_resource(Resource=g["Arn"], TagKeys={"Items": ["a"]})
    assert cf.list_tags_for_resource(Resource=g["Arn"])["Tags"]["Items"] == [{"Key": "b", "Value": "2"}]


# ---------------------------------------------------------------------------
# Distribution tenants
# ---------------------------------------------------------------------------
def test_tenant_create_answers_its_identity_and_deploys_after_reads(cf, control, raw_cf):
    control.config(cloudfront_deploy_reads=2)
    g = group(cf)
    dist_id, _ = multi_tenant(cf)
    t = tenant(cf, dist_id, domains=["Shop.Example.com", "www.example.com"], group_id=g["Id"],
               Tags={"Items": [{"Key": "tenant", "Value": "acme"}]})
    assert raw_cf.last["status"] == 201
    assert raw_cf.last["headers"]["etag"] == t["ETag"]
    assert re.fullmatch(r"dt_[0-9A-Za-z]{27}", t["Id"])
    assert t["Arn"] == f"arn:aws:cloudfront::{ACCOUNT}:distribution-tenant/{t['Id']}"
    assert (t["DistributionId"], t["ConnectionGroupId"], t["Enabled"], t["Status"]) == (dist_id, g["Id"], True, "InProgress")
    assert [d["Domain"] for d in t["Domains"]] == ["shop.example.com", "www.example.com"]
    assert cf.list_tags_for_resource(Resource=t["Arn"])["Tags"]["Items"] == [{"Key": "tenant", "Value": "acme"}]
    statuses = [cf.get_distribution_tenant(Identifier=t["Id"])["DistributionTenant"]["Status"] for _ in range(3)]
    assert statuses == ["InProgress", "InProgress", "Deployed"]
    for identifier in (t["Name"], t["Arn"]):
        got = cf.get_distribution_tenant(Identifier=identifier)
        assert (got["DistributionTenant"]["Id"], got["ETag"]) == (t["Id"], t["ETag"])
    by_domain = cf.get_distribution_tenant_by_domain(Domain="WWW.example.com")
    assert (by_domain["DistributionTenant"]["Id"], by_domain["ETag"]) == (t["Id"], t["ETag"])
    expect_error(cf.get_distribution_tenant_by_domain, "EntityNotFound", 404, Domain="nobody.example.com")
    expect_error(cf.get_distribution_tenant, "EntityNotFound", 404, Identifier="dt_missing")


def test_tenant_needs_an_existing_tenant_only_distribution(cf):
    expect_error(cf.create_distribution_tenant, "EntityNotFound", 404,
                 DistributionId="E000000000000", Name="t", Domains=[{"Domain": "t.example.com"}])
    std = cf.create_distribution(DistributionConfig=dist_config("std"))["Distribution"]["Id"]
    expect_error(cf.create_distribution_tenant, "InvalidAssociation", 409,
                 DistributionId=std, Name="t", Domains=[{"Domain": "t.example.com"}])


def test_tenants_beyond_the_account_quota_are_400_entity_limit_exceeded(cf, control):
    control.config(cloudfront_distribution_tenants_per_account=2)
    dist_id, _ = multi_tenant(cf)
    first = tenant(cf, dist_id, name="one", domains=("one.example.com",))
    tenant(cf, dist_id, name="two", domains=("two.example.com",))
    expect_error(cf.create_distribution_tenant, "EntityLimitExceeded", 400, DistributionId=dist_id,
                 Name="three", Domains=[{"Domain": "three.example.com"}])
    names = [t["Name"] for t in cf.list_distribution_tenants()["DistributionTenantList"]]
    assert sorted(names) == ["one", "two"]  # nothing was made
    # A freed place can be taken again.
    cf.update_distribution_tenant(Id=first["Id"], IfMatch=first["ETag"], DistributionId=dist_id,
                                  Domains=[{"Domain": "one.example.com"}], Enabled=False)
    etag = cf.get_distribution_tenant(Identifier=first["Id"])["ETag"]
    control.config(cloudfront_deploy_reads=0)
    cf.delete_distribution_tenant(Id=first["Id"], IfMatch=etag)
    tenant(cf, dist_id, name="three", domains=("three.example.com",))


def test_tenant_name_unique_domains_required_group_must_exist(cf):
    dist_id, _ = multi_tenant(cf)
    tenant(cf, dist_id, name="acme")
    expect_error(cf.create_distribution_tenant, "EntityAlreadyExists", 409,
                 DistributionId=dist_id, Name="acme", Domains=[{"Domain": "other.example.com"}])
    expect_error(cf.create_distribution_tenant, "InvalidArgument", 400, DistributionId=dist_id, Name="t2", Domains=[])
    expect_error(cf.create_distribution_tenant, "InvalidArgument", 400,
                 DistributionId=dist_id, Name="t2", Domains=[{"Domain": "bad host.example.com"}])
    expect_error(cf.create_distribution_tenant, "InvalidArgument", 400,
                 DistributionId=dist_id, Name="t2", Domains=[{"Domain": "a.example.com"}, {"Domain": "A.example.com"}])
    expect_error(cf.create_distribution_tenant, "EntityNotFound", 404,
                 DistributionId=dist_id, Name="t2", Domains=[{"Domain": "t2.example.com"}], ConnectionGroupId="cg_missing")


def test_tenant_domain_conflicts_are_409_cname_already_exists(cf):
    cf.create_distribution(DistributionConfig=dist_config("std", aliases=["shop.example.com"]))
    dist_id, _ = multi_tenant(cf)
    expect_error(cf.create_distribution_tenant, "CNAMEAlreadyExists", 409,
                 DistributionId=dist_id, Name="t1", Domains=[{"Domain": "SHOP.example.com"}])
    t1 = tenant(cf, dist_id, name="t1", domains=["blog.example.com"])
    # another tenant's domain, case-insensitively
    expect_error(cf.create_distribution_tenant, "CNAMEAlreadyExists", 409,
                 DistributionId=dist_id, Name="t2", Domains=[{"Domain": "new.example.com"}, {"Domain": "Blog.example.com"}])
    t2 = tenant(cf, dist_id, name="t2", domains=["new.example.com"])
    for domains in (["new.example.com", "blog.example.com"], ["shop.example.com"]):
        expect_error(cf.update_distribution_tenant, "CNAMEAlreadyExists", 409,
                     Id=t2["Id"], IfMatch=t2["ETag"], Domains=[{"Domain": d} for d in domains])
    # a tenant's own domains do not conflict; a released domain may move
    t1 = cf.update_distribution_tenant(Id=t1["Id"], IfMatch=t1["ETag"], Domains=[{"Domain": "blog.example.com"}])
    cf.update_distribution_tenant(Id=t1["DistributionTenant"]["Id"], IfMatch=t1["ETag"], Domains=[{"Domain": "b.example.com"}])
    cf.update_distribution_tenant(Id=t2["Id"], IfMatch=t2["ETag"], Domains=[{"Domain": "blog.example.com"}])


def test_standard_alias_that_is_a_tenant_domain_is_409_cname_already_exists(cf):
    dist_id, _ = multi_tenant(cf)
    tenant(cf, dist_id, domains=["acme.example.com"])
    expect_error(cf.create_distribution, "CNAMEAlreadyExists", 409,
                 DistributionConfig=dist_config("std", aliases=["ACME.example.com"]))
    std = cf.create_distribution(DistributionConfig=dist_config("std", aliases=["x.example.com"]))
    expect_error(cf.update_distribution, "CNAMEAlreadyExists", 409,
                 Id=std["Distribution"]["Id"], IfMatch=std["ETag"],
                 DistributionConfig=dist_config("std", aliases=["x.example.com", "acme.example.com"]))


def test_tenant_update_needs_current_if_match_and_replaces_domains(cf, control):
    control.config(cloudfront_deploy_reads=1)
    g = group(cf)
    dist_id, _ = multi_tenant(cf)
    t = tenant(cf, dist_id, domains=["a.example.com", "b.example.com"])
    expect_error(cf.update_distribution_tenant, "InvalidIfMatchVersion", 400, Id=t["Id"], IfMatch="", Enabled=False)
    resp = cf.update_distribution_tenant(
        Id=t["Id"], IfMatch=t["ETag"], Domains=[{"Domain": "c.example.com"}], Enabled=False, ConnectionGroupId=g["Id"]
    )
    updated = resp["DistributionTenant"]
    assert resp["ETag"] != t["ETag"]
    assert ([d["Domain"] for d in updated["Domains"]], updated["Enabled"]) == (["c.example.com"], False)
    assert (updated["ConnectionGroupId"], updated["Status"]) == (g["Id"], "InProgress")
    expect_error(cf.update_distribution_tenant, "PreconditionFailed", 412,
                 Id=t["Id"], IfMatch=t["ETag"], Domains=[{"Domain": "d.example.com"}])
    expect_error(cf.update_distribution_tenant, "InvalidArgument", 400, Id=t["Id"], IfMatch=resp["ETag"], Domains=[])
    expect_error(cf.update_distribution_tenant, "EntityNotFound", 404, Id="dt_missing", IfMatch="X", Enabled=True)
    # the released domains are free again
    tenant(cf, dist_id, name="t2", domains=["a.example.com"])


def test_tenant_delete_rules(cf):
    dist_id, _ = multi_tenant(cf)
    t = tenant(cf, dist_id)
    expect_error(cf.delete_distribution_tenant, "InvalidIfMatchVersion", 400, Id=t["Id"], IfMatch="")
    expect_error(cf.delete_distribution_tenant, "PreconditionFailed", 412, Id=t["Id"], IfMatch="ESTALE")
    expect_error(cf.delete_distribution_tenant, "ResourceNotDisabled", 409, Id=t["Id"], IfMatch=t["ETag"])
    etag = cf.update_distribution_tenant(Id=t["Id"], IfMatch=t["ETag"], Enabled=False)["ETag"]
    expect_error(cf.delete_distribution_tenant, "ResourceNotDisabled", 409, Id=t["Id"], IfMatch=etag)
    t = deployed(cf, cf.get_distribution_tenant, Identifier=t["Id"])
    cf.delete_distribution_tenant(Id=t["Id"], IfMatch=t["ETag"])
    expect_error(cf.get_distribution_tenant, "EntityNotFound", 404, Identifier=t["Id"])
    expect_error(cf.list_tags_for_resource, "NoSuchResource", 404, Resource=t["Arn"])
    # its domains are free again
    tenant(cf, dist_id, name="again")


def test_list_distribution_tenants_filters_and_pages(cf, control, raw_cf):
    g = group(cf)
    d1, _ = multi_tenant(cf, "mt1")
    d2, _ = multi_tenant(cf, "mt2")
    on_d1 = [tenant(cf, d1, name=f"t{i}", domains=[f"t{i}.example.com"])["Id"] for i in range(3)]
    on_d2 = tenant(cf, d2, name="other", domains=["other.example.com"], group_id=g["Id"])["Id"]
    page = cf.list_distribution_tenants(AssociationFilter={"DistributionId": d1}, MaxItems=2)
    assert ET.fromstring(raw_cf.last["body"]).tag == f"{NS}ListDistributionTenantsResult"
    assert [t["Id"] for t in page["DistributionTenantList"]] == on_d1[:2]
    first = page["DistributionTenantList"][0]
    assert first["ETag"] and first["Domains"] == [{"Domain": "t0.example.com", "Status": "active"}]
    assert first["Status"] == "InProgress"  # listing does not consume deploy reads
    rest = cf.list_distribution_tenants(AssociationFilter={"DistributionId": d1}, Marker=page["NextMarker"], MaxItems=2)
    assert [t["Id"] for t in rest["DistributionTenantList"]] == on_d1[2:]
    assert "NextMarker" not in rest
    by_group = cf.list_distribution_tenants(AssociationFilter={"ConnectionGroupId": g["Id"]})
    assert [t["Id"] for t in by_group["DistributionTenantList"]] == [on_d2]
    assert len(cf.list_distribution_tenants()["DistributionTenantList"]) == 4
    expect_error(cf.list_distribution_tenants, "InvalidArgument", 400, Marker="dt_unknown")


# ---------------------------------------------------------------------------
# Counting and faults
# ---------------------------------------------------------------------------
def test_saas_calls_are_counted_and_faultable(cf, control):
    dist_id, _ = multi_tenant(cf)
    g = group(cf)
    tenant(cf, dist_id, group_id=g["Id"])
    cf.get_distribution_tenant_by_domain(Domain="acme.example.com")
    cf.list_distribution_tenants()
    cf.list_connection_groups()
    calls = control.calls()
    for op in ("CreateConnectionGroup", "CreateDistributionTenant", "GetDistributionTenantByDomain",
               "ListDistributionTenants", "ListConnectionGroups"):
        assert calls[f"cloudfront:{op}"] == 1, calls
    status, _ = control.request("POST", "faults", {"match": "cloudfront:CreateDistributionTenant", "error": "throttle", "count": 1})
    assert status == 200
    expect_error(cf.create_distribution_tenant, "Throttling", 400,
                 DistributionId=dist_id, Name="t2", Domains=[{"Domain": "t2.example.com"}])
    tenant(cf, dist_id, name="t2", domains=["t2.example.com"])
    assert control.request("GET", "calls")[1]["faults_injected"] == {"cloudfront:CreateDistributionTenant": 1}


# ---------------------------------------------------------------------------
# Moving a domain, and the unserved log
# ---------------------------------------------------------------------------
def _aliases(cf, dist_id) -> list[str]:
    return cf.get_distribution_config(Id=dist_id)["DistributionConfig"]["Aliases"].get("Items") or []


def _record(r53, host: str, target: str) -> str:
    zone = r53.create_hosted_zone(Name="example.com", CallerReference=f"z-{host}")["HostedZone"]["Id"]
    change = {"Action": "CREATE", "ResourceRecordSet": {
        "Name": host, "Type": "A",
        "AliasTarget": {"HostedZoneId": "Z2FDTNDATAQYW2", "DNSName": target, "EvaluateTargetHealth": False}}}
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [change]})
    return zone


def test_domain_moves_from_a_distribution_to_a_tenant_in_one_step(cf, r53, control):
    std = cf.create_distribution(DistributionConfig=dist_config("std", aliases=["shop.example.com", "keep.example.com"]))
    std_id, std_etag = std["Distribution"]["Id"], std["ETag"]
    _record(r53, "shop.example.com", std["Distribution"]["DomainName"])
    dist_id, _ = multi_tenant(cf)
    t = tenant(cf, dist_id, name="shop", domains=["stand-in.example.com"])
    # If-Match, when sent, is the target's
    expect_error(cf.update_domain_association, "PreconditionFailed", 412,
                 Domain="shop.example.com", TargetResource={"DistributionTenantId": t["Id"]}, IfMatch=std_etag)
    resp = cf.update_domain_association(
        Domain="shop.example.com", TargetResource={"DistributionTenantId": t["Id"]}, IfMatch=t["ETag"])
    assert (resp["Domain"], resp["ResourceId"]) == ("shop.example.com", t["Id"])
    got = cf.get_distribution_tenant(Identifier=t["Id"])
    assert [d["Domain"] for d in got["DistributionTenant"]["Domains"]] == ["stand-in.example.com", "shop.example.com"]
    assert got["ETag"] == resp["ETag"] != t["ETag"]
    assert _aliases(cf, std_id) == ["keep.example.com"]
    assert cf.get_distribution(Id=std_id)["ETag"] != std_etag
    # a moved domain is not taken by a move, and the host was held all along
    assert control.unserved() == []
    # moved again: the answer names the holder; a domain nobody holds is 404
    again = cf.update_domain_association(Domain="shop.example.com", TargetResource={"DistributionTenantId": t["Id"]})
    assert again["ResourceId"] == t["Id"]
    expect_error(cf.update_domain_association, "EntityNotFound", 404,
                 Domain="nobody.example.com", TargetResource={"DistributionTenantId": t["Id"]})
    expect_error(cf.update_domain_association, "EntityNotFound", 404,
                 Domain="shop.example.com", TargetResource={"DistributionTenantId": "dt_unknown"})


def test_domain_moves_back_to_a_standard_distribution(cf):
    std = cf.create_distribution(DistributionConfig=dist_config("std", aliases=["keep.example.com"]))
    dist_id, _ = multi_tenant(cf)
    t = tenant(cf, dist_id, domains=["shop.example.com", "other.example.com"])
    cf.update_domain_association(Domain="shop.example.com", TargetResource={"DistributionId": std["Distribution"]["Id"]})
    assert _aliases(cf, std["Distribution"]["Id"]) == ["keep.example.com", "shop.example.com"]
    domains = cf.get_distribution_tenant(Identifier=t["Id"])["DistributionTenant"]["Domains"]
    assert [d["Domain"] for d in domains] == ["other.example.com"]
    expect_error(cf.update_domain_association, "InvalidAssociation", 409,
                 Domain="other.example.com", TargetResource={"DistributionId": dist_id})


def test_unserved_logs_a_host_with_records_that_no_resource_holds_any_more(cf, r53, control):
    std = cf.create_distribution(DistributionConfig=dist_config("std", aliases=["shop.example.com", "quiet.example.com"]))
    std_id = std["Distribution"]["Id"]
    _record(r53, "shop.example.com", std["Distribution"]["DomainName"])
    dist_id, _ = multi_tenant(cf)
    # a domain added elsewhere, or one without records, is no loss
    t = tenant(cf, dist_id, domains=["new.example.com"])
    cf.update_distribution(Id=std_id, IfMatch=std["ETag"],
                           DistributionConfig=dist_config("std", aliases=["shop.example.com"]))
    assert control.unserved() == []
    # removing the alias first and adding the domain after leaves a moment unserved
    etag = cf.get_distribution_config(Id=std_id)["ETag"]
    cf.update_distribution(Id=std_id, IfMatch=etag, DistributionConfig=dist_config("std", aliases=[]))
    cf.update_distribution_tenant(Id=t["Id"], IfMatch=t["ETag"],
                                  Domains=[{"Domain": "new.example.com"}, {"Domain": "shop.example.com"}])
    log = control.unserved()
    assert [(e["seq"], e["operation"], e["host"], e["holders"]) for e in log] == [
        (1, "cloudfront:UpdateDistribution", "shop.example.com", [std_id])]
    # a disabled tenant holds nothing either
    t = cf.get_distribution_tenant(Identifier=t["Id"])
    cf.update_distribution_tenant(Id=t["DistributionTenant"]["Id"], IfMatch=t["ETag"], Enabled=False)
    assert [e["operation"] for e in control.unserved()] == ["cloudfront:UpdateDistribution", "cloudfront:UpdateDistributionTenant"]
    status, body = control.request("DELETE", "unserved")
    assert (status, body) == (200, {"unserved": []})
    assert control.unserved() == []
