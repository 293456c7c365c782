"""CloudFront distributions: the emulator refuses what AWS refuses, accepts the valid counterpart."""

from __future__ import annotations


import pytest
from conftest import ACCOUNT, CERT_ARN, dist_config, error_document, expect_error

CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"


def create(cf, ref="r1", **kwargs):
    resp = cf.create_distribution(DistributionConfig=dist_config(ref, **kwargs))
    return resp["Distribution"]["Id"], resp["ETag"]


def test_etag_changes_on_every_update_and_the_fresh_one_is_accepted(cf):
    dist_id, etag1 = create(cf, aliases=["a.example.com"])
    got = cf.get_distribution(Id=dist_id)
    assert got["ETag"] == etag1
    assert cf.get_distribution_config(Id=dist_id)["ETag"] == etag1
    config = dist_config("r1", aliases=["a.example.com", "b.example.com"])
    etag2 = cf.update_distribution(Id=dist_id, IfMatch=etag1, DistributionConfig=config)["ETag"]
    assert etag2 != etag1
    assert cf.get_distribution(Id=dist_id)["ETag"] == etag2
    etag3 = cf.update_distribution(Id=dist_id, IfMatch=etag2, DistributionConfig=config)["ETag"]
    assert etag3 not in (etag1, etag2)


def test_update_with_stale_if_match_is_412_precondition_failed(cf):
    dist_id, etag1 = create(cf, aliases=["a.example.com"])
    cf.update_distribution(Id=dist_id, IfMatch=etag1, DistributionConfig=dist_config("r1", aliases=["b.example.com"]))
    expect_error(
        cf.update_distribution, "PreconditionFailed", 412,
        Id=dist_id, IfMatch=etag1, DistributionConfig=dist_config("r1", aliases=["c.example.com"]),
    )
    # nothing changed
    aliases = cf.get_distribution_config(Id=dist_id)["DistributionConfig"]["Aliases"]["Items"]
    assert aliases == ["b.example.com"]


def test_update_without_if_match_is_400_invalid_if_match_version(cf):
    dist_id, _ = create(cf)
    expect_error(cf.update_distribution, "InvalidIfMatchVersion", 400, Id=dist_id, DistributionConfig=dist_config("r1"))


def test_update_of_unknown_distribution_is_404(cf):
    expect_error(
        cf.update_distribution, "NoSuchDistribution", 404, Id="E000000000000", IfMatch="X", DistributionConfig=dist_config("r1")
    )


def test_delete_needs_current_if_match(cf):
    dist_id, etag = create(cf, enabled=False, cert=None)
    cf.get_distribution(Id=dist_id)  # deploys (1 read by default)
    expect_error(cf.delete_distribution, "InvalidIfMatchVersion", 400, Id=dist_id)
    expect_error(cf.delete_distribution, "PreconditionFailed", 412, Id=dist_id, IfMatch="ESTALE000000")
    cf.delete_distribution(Id=dist_id, IfMatch=etag)
    expect_error(cf.get_distribution, "NoSuchDistribution", 404, Id=dist_id)


def test_delete_of_enabled_distribution_is_409_distribution_not_disabled(cf):
    dist_id, etag = create(cf)
    cf.get_distribution(Id=dist_id)
    expect_error(cf.delete_distribution, "DistributionNotDisabled", 409, Id=dist_id, IfMatch=etag)
    # disable, then the delete is refused until the change is deployed
    config = cf.get_distribution_config(Id=dist_id)["DistributionConfig"]
    config["Enabled"] = False
    etag = cf.update_distribution(Id=dist_id, IfMatch=etag, DistributionConfig=config)["ETag"]
    expect_error(cf.delete_distribution, "DistributionNotDisabled", 409, Id=dist_id, IfMatch=etag)
    assert cf.get_distribution(Id=dist_id)["Distribution"]["Status"] == "InProgress"
    assert cf.get_distribution(Id=dist_id)["Distribution"]["Status"] == "Deployed"
    cf.delete_distribution(Id=dist_id, IfMatch=etag)
    assert cf.list_distributions()["DistributionList"]["Quantity"] == 0


def test_alias_on_another_distribution_is_409_cname_already_exists(cf):
    create(cf, "r1", aliases=["shop.example.com"])
    expect_error(
        cf.create_distribution, "CNAMEAlreadyExists", 409,
        DistributionConfig=dist_config("r2", aliases=["other.example.com", "SHOP.example.com"]),
    )
    assert cf.list_distributions()["DistributionList"]["Quantity"] == 1
    dist2, etag2 = create(cf, "r2", aliases=["other.example.com"])
    expect_error(
        cf.update_distribution, "CNAMEAlreadyExists", 409,
        Id=dist2, IfMatch=etag2, DistributionConfig=dist_config("r2", aliases=["other.example.com", "shop.example.com"]),
    )


def test_alias_moves_once_released_and_own_aliases_do_not_conflict(cf):
    d1, e1 = create(cf, "r1", aliases=["shop.example.com", "blog.example.com"])
    d2, e2 = create(cf, "r2", aliases=["other.example.com"])
    # re-sending a distribution's own aliases is fine
    e1 = cf.update_distribution(
        Id=d1, IfMatch=e1, DistributionConfig=dist_config("r1", aliases=["shop.example.com", "blog.example.com"])
    )["ETag"]
    # release on d1, then d2 may take it
    cf.update_distribution(Id=d1, IfMatch=e1, DistributionConfig=dist_config("r1", aliases=["blog.example.com"]))
    cf.update_distribution(
        Id=d2, IfMatch=e2, DistributionConfig=dist_config("r2", aliases=["other.example.com", "shop.example.com"])
    )


def test_too_many_aliases_is_400_too_many_distribution_cnames(cf, control):
    many = [f"t{i}.example.com" for i in range(101)]
    expect_error(cf.create_distribution, "TooManyDistributionCNAMEs", 400, DistributionConfig=dist_config("r1", aliases=many))
    create(cf, "r1", aliases=many[:100])  # the default quota is 100
    control.config(cloudfront_alias_quota=3)
    expect_error(
        cf.create_distribution, "TooManyDistributionCNAMEs", 400,
        DistributionConfig=dist_config("r2", aliases=["a.x.com", "b.x.com", "c.x.com", "d.x.com"]),
    )
    d2, e2 = create(cf, "r2", aliases=["a.x.com", "b.x.com", "c.x.com"])
    expect_error(
        cf.update_distribution, "TooManyDistributionCNAMEs", 400,
        Id=d2, IfMatch=e2, DistributionConfig=dist_config("r2", aliases=["a.x.com", "b.x.com", "c.x.com", "d.x.com"]),
    )


def test_status_in_progress_for_configured_reads_then_deployed(cf, control):
    control.config(cloudfront_deploy_reads=3)
    resp = cf.create_distribution(DistributionConfig=dist_config("r1"))
    dist_id, etag = resp["Distribution"]["Id"], resp["ETag"]
    assert resp["Distribution"]["Status"] == "InProgress"
    assert [cf.get_distribution(Id=dist_id)["Distribution"]["Status"] for _ in range(4)] == [
        "InProgress", "InProgress", "InProgress", "Deployed",
    ]
    # list shows the current status without consuming reads
    resp = cf.update_distribution(Id=dist_id, IfMatch=etag, DistributionConfig=dist_config("r1", comment="x"))
    assert resp["Distribution"]["Status"] == "InProgress"
    assert cf.list_distributions()["DistributionList"]["Items"][0]["Status"] == "InProgress"
    statuses = [cf.get_distribution(Id=dist_id)["Distribution"]["Status"] for _ in range(4)]
    assert statuses == ["InProgress", "InProgress", "InProgress", "Deployed"]
    assert cf.list_distributions()["DistributionList"]["Items"][0]["Status"] == "Deployed"


def test_zero_deploy_reads_means_deployed_at_once(cf, control):
    control.config(cloudfront_deploy_reads=0)
    resp = cf.create_distribution(DistributionConfig=dist_config("r1"))
    assert resp["Distribution"]["Status"] == "Deployed"


def test_caller_reference_reuse(cf):
    d1, e1 = create(cf, "same-ref", aliases=["a.example.com"])
    # identical request: AWS answers with the existing distribution
    d_again, e_again = create(cf, "same-ref", aliases=["a.example.com"])
    assert (d_again, e_again) == (d1, e1)
    err = expect_error(
        cf.create_distribution, "DistributionAlreadyExists", 409,
        DistributionConfig=dist_config("same-ref", aliases=["b.example.com"]),
    )
    assert d1 in err.response["Error"]["Message"]
    expect_error(
        cf.update_distribution, "IllegalUpdate", 400, Id=d1, IfMatch=e1, DistributionConfig=dist_config("other-ref")
    )


def test_quantity_must_match_items(cf):
    config = dist_config("r1", aliases=["a.example.com", "b.example.com"])
    config["Aliases"]["Quantity"] = 1
    expect_error(cf.create_distribution, "InconsistentQuantities", 400, DistributionConfig=config)


def test_aliases_need_a_covering_certificate(cf, acm):
    expect_error(
        cf.create_distribution, "InvalidViewerCertificate", 400,
        DistributionConfig=dist_config("r1", aliases=["a.example.com"], cert=None),
    )
    wrong_region = CERT_ARN.replace("us-east-1", "eu-west-1")
    expect_error(
        cf.create_distribution, "InvalidViewerCertificate", 400,
        DistributionConfig=dist_config("r1", aliases=["a.example.com"], cert=wrong_region),
    )
    cert = acm.request_certificate(DomainName="*.tenants.example.com")["CertificateArn"]
    expect_error(
        cf.create_distribution, "InvalidViewerCertificate", 400,
        DistributionConfig=dist_config("r1", aliases=["a.b.tenants.example.com"], cert=cert),
    )
    create(cf, "r1", aliases=["shop.tenants.example.com"], cert=cert)
    create(cf, "r2", cert=None)  # no alias, default certificate: fine


def test_illegal_alias_is_invalid_argument(cf):
    expect_error(
        cf.create_distribution, "InvalidArgument", 400, DistributionConfig=dist_config("r1", aliases=["bad_host name.com"])
    )


def test_cache_behavior_policy_rules(cf):
    config = dist_config("r1")
    config["DefaultCacheBehavior"]["ForwardedValues"] = {"QueryString": False, "Cookies": {"Forward": "none"}}
    expect_error(cf.create_distribution, "InvalidArgument", 400, DistributionConfig=config)
    config = dist_config("r1", cache_policy_id=None)
    del config["DefaultCacheBehavior"]["ForwardedValues"]
    expect_error(cf.create_distribution, "InvalidArgument", 400, DistributionConfig=config)
    expect_error(
        cf.create_distribution, "NoSuchCachePolicy", 404,
        DistributionConfig=dist_config("r1", cache_policy_id="00000000-0000-0000-0000-000000000000"),
    )
    expect_error(
        cf.create_distribution, "NoSuchOriginRequestPolicy", 404,
        DistributionConfig=dist_config("r1", origin_request_policy_id="00000000-0000-0000-0000-000000000000"),
    )
    create(cf, "legacy", cache_policy_id=None)  # ForwardedValues without a policy: fine


def test_read_back_round_trips_through_update(cf):
    dist_id, etag = create(cf, "r1", aliases=["a.example.com"], origin_request_policy_id=ALL_VIEWER)
    got = cf.get_distribution_config(Id=dist_id)
    config = got["DistributionConfig"]
    dcb = config["DefaultCacheBehavior"]
    assert dcb["CachePolicyId"] == CACHING_OPTIMIZED
    assert dcb["OriginRequestPolicyId"] == ALL_VIEWER
    for legacy in ("ForwardedValues", "MinTTL", "DefaultTTL", "MaxTTL"):
        assert legacy not in dcb
    assert dcb["Compress"] is False  # AWS's default (moto's was true)
    vc = config["ViewerCertificate"]
    assert vc["ACMCertificateArn"] == CERT_ARN and vc["CloudFrontDefaultCertificate"] is False
    assert "IAMCertificateId" not in vc
    # what was read can be sent back as is
    resp = cf.update_distribution(Id=dist_id, IfMatch=got["ETag"], DistributionConfig=config)
    assert resp["Distribution"]["DistributionConfig"]["DefaultCacheBehavior"]["CachePolicyId"] == CACHING_OPTIMIZED
    again = cf.get_distribution_config(Id=dist_id)["DistributionConfig"]
    assert again == config
    # a legacy (ForwardedValues) behaviour reads back with AWS's TTL defaults and round-trips too
    legacy_id, _ = create(cf, "legacy", cache_policy_id=None)
    got = cf.get_distribution_config(Id=legacy_id)
    dcb = got["DistributionConfig"]["DefaultCacheBehavior"]
    assert "CachePolicyId" not in dcb
    assert (dcb["MinTTL"], dcb["DefaultTTL"], dcb["MaxTTL"]) == (0, 86400, 31536000)
    cf.update_distribution(Id=legacy_id, IfMatch=got["ETag"], DistributionConfig=got["DistributionConfig"])


def test_list_summaries_carry_comment_and_aliases(cf):
    create(cf, "r1", aliases=["a.example.com", "b.example.com"], comment="pool-1")
    create(cf, "r2", comment="pool-2")
    items = cf.list_distributions()["DistributionList"]["Items"]
    by_comment = {i["Comment"]: i for i in items}
    assert set(by_comment) == {"pool-1", "pool-2"}
    assert by_comment["pool-1"]["Aliases"] == {"Quantity": 2, "Items": ["a.example.com", "b.example.com"]}
    assert by_comment["pool-2"]["Aliases"]["Quantity"] == 0


def test_tagging(cf):
    resp = cf.create_distribution_with_tags(
        DistributionConfigWithTags={
            "DistributionConfig": dist_config("r1"),
            "Tags": {"Items": [{"Key": "pool", "Value": "p1"}, {"Key": "owner", "Value": "edge"}]},
        }
    )
    arn = resp["Distribution"]["ARN"]
    assert arn.startswith(f"arn:aws:cloudfront::{ACCOUNT}:distribution/")
    tags = {t["Key"]: t["Value"] for t in cf.list_tags_for_resource(Resource=arn)["Tags"]["Items"]}
    assert tags == {"pool": "p1", "owner": "edge"}
    cf.tag_resource(Resource=arn, Tags={"Items": [{"Key": "tenants", "Value": "3"}]})
    cf.untag_resource(Resource=arn, TagKeys={"Items": ["owner"]})
    tags = {t["Key"]: t["Value"] for t in cf.list_tags_for_resource(Resource=arn)["Tags"]["Items"]}
    assert tags == {"pool": "p1", "tenants": "3"}
    missing = f"arn:aws:cloudfront::{ACCOUNT}:distribution/E000000000000"
    expect_error(cf.list_tags_for_resource, "NoSuchResource", 404, Resource=missing)
    expect_error(cf.tag_resource, "NoSuchResource", 404, Resource=missing, Tags={"Items": [{"Key": "k", "Value": "v"}]})


def test_error_wire_shape_is_cloudfronts(cf, raw_cf):
    dist_id, _ = create(cf)
    expect_error(cf.update_distribution, "PreconditionFailed", 412, Id=dist_id, IfMatch="EOLD", DistributionConfig=dist_config("r1"))
    raw = raw_cf.last
    assert raw["status"] == 412
    assert raw["headers"]["content-type"].startswith("text/xml")
    ns = "http://cloudfront.amazonaws.com/doc/2020-05-31/"
    root = error_document(raw, ns, "PreconditionFailed")
    assert root.find(f"{{{ns}}}Error/{{{ns}}}Message").text


@pytest.mark.parametrize("code,status", [("CNAMEAlreadyExists", 409), ("DistributionNotDisabled", 409)])
def test_conflict_codes_are_409(cf, code, status):
    d1, e1 = create(cf, "r1", aliases=["x.example.com"])
    if code == "CNAMEAlreadyExists":
        expect_error(cf.create_distribution, code, status, DistributionConfig=dist_config("r2", aliases=["x.example.com"]))
    else:
        expect_error(cf.delete_distribution, code, status, Id=d1, IfMatch=e1)


def test_distributions_per_account_quota_is_too_many_distributions(cf, control):
    assert control.request("GET", "config")[1]["cloudfront_distributions_per_account"] == 500
    control.config(cloudfront_distributions_per_account=2)
    create(cf, "r1")
    create(cf, "r2")
    expect_error(cf.create_distribution, "TooManyDistributions", 400, DistributionConfig=dist_config("r3"))
    expect_error(
        cf.create_distribution_with_tags, "TooManyDistributions", 400,
        DistributionConfigWithTags={"DistributionConfig": dist_config("r3"), "Tags": {"Items": []}},
    )
    # a retried create (same CallerReference and config) gives back the existing one
    assert cf.create_distribution(DistributionConfig=dist_config("r2"))["Distribution"]["Id"]
    assert cf.list_distributions()["DistributionList"]["Quantity"] == 2
    control.config(cloudfront_distributions_per_account=3)
    create(cf, "r3")
