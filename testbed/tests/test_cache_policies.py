"""CloudFront cache policies and origin request policies (missing from moto; added by the emulator)."""

from __future__ import annotations

from conftest import dist_config, expect_error

CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def cache_cfg(name="tenant-cache", headers=("Host",), min_ttl=0):
    headers_config = {"HeaderBehavior": "whitelist", "Headers": {"Quantity": len(headers), "Items": list(headers)}}
    if not headers:
        headers_config = {"HeaderBehavior": "none"}
    return {
        "Name": name,
        "Comment": "edge",
        "MinTTL": min_ttl,
        "DefaultTTL": 60,
        "MaxTTL": 3600,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": True,
            "EnableAcceptEncodingBrotli": True,
            "HeadersConfig": headers_config,
            "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "all"},
        },
    }


def orp_cfg(name="tenant-origin"):
    return {
        "Name": name,
        "Comment": "edge",
        "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": {"Quantity": 2, "Items": ["Host", "Accept"]}},
        "CookiesConfig": {"CookieBehavior": "all"},
        "QueryStringsConfig": {"QueryStringBehavior": "all"},
    }


def test_cache_policy_lifecycle_with_etags(cf):
    created = cf.create_cache_policy(CachePolicyConfig=cache_cfg())
    policy_id, etag1 = created["CachePolicy"]["Id"], created["ETag"]
    assert created["Location"].endswith(f"/cache-policy/{policy_id}")
    got = cf.get_cache_policy(Id=policy_id)
    assert got["ETag"] == etag1
    assert got["CachePolicy"]["CachePolicyConfig"]["Name"] == "tenant-cache"
    params = got["CachePolicy"]["CachePolicyConfig"]["ParametersInCacheKeyAndForwardedToOrigin"]
    assert params["HeadersConfig"]["Headers"]["Items"] == ["Host"]
    conf = cf.get_cache_policy_config(Id=policy_id)
    assert conf["ETag"] == etag1 and conf["CachePolicyConfig"]["MaxTTL"] == 3600

    expect_error(cf.update_cache_policy, "InvalidIfMatchVersion", 400, Id=policy_id, CachePolicyConfig=cache_cfg())
    updated = cf.update_cache_policy(Id=policy_id, IfMatch=etag1, CachePolicyConfig=cache_cfg(headers=("Host", "Origin")))
    etag2 = updated["ETag"]
    assert etag2 != etag1
    expect_error(cf.update_cache_policy, "PreconditionFailed", 412, Id=policy_id, IfMatch=etag1, CachePolicyConfig=cache_cfg())
    expect_error(cf.delete_cache_policy, "PreconditionFailed", 412, Id=policy_id, IfMatch=etag1)
    expect_error(cf.delete_cache_policy, "InvalidIfMatchVersion", 400, Id=policy_id)
    cf.delete_cache_policy(Id=policy_id, IfMatch=etag2)
    expect_error(cf.get_cache_policy, "NoSuchCachePolicy", 404, Id=policy_id)


def test_duplicate_cache_policy_name_is_409(cf):
    cf.create_cache_policy(CachePolicyConfig=cache_cfg("dup"))
    expect_error(cf.create_cache_policy, "CachePolicyAlreadyExists", 409, CachePolicyConfig=cache_cfg("dup"))
    other = cf.create_cache_policy(CachePolicyConfig=cache_cfg("other"))
    expect_error(
        cf.update_cache_policy, "CachePolicyAlreadyExists", 409,
        Id=other["CachePolicy"]["Id"], IfMatch=other["ETag"], CachePolicyConfig=cache_cfg("dup"),
    )


def test_cache_policy_in_use_cannot_be_deleted(cf):
    created = cf.create_cache_policy(CachePolicyConfig=cache_cfg())
    policy_id, petag = created["CachePolicy"]["Id"], created["ETag"]
    dist = cf.create_distribution(DistributionConfig=dist_config("r1", cache_policy_id=policy_id))
    dist_id, detag = dist["Distribution"]["Id"], dist["ETag"]
    assert dist["Distribution"]["DistributionConfig"]["DefaultCacheBehavior"]["CachePolicyId"] == policy_id
    assert cf.get_distribution(Id=dist_id)["Distribution"]["DistributionConfig"]["DefaultCacheBehavior"][
        "CachePolicyId"
    ] == policy_id
    expect_error(cf.delete_cache_policy, "CachePolicyInUse", 409, Id=policy_id, IfMatch=petag)
    cf.update_distribution(Id=dist_id, IfMatch=detag, DistributionConfig=dist_config("r1", cache_policy_id=CACHING_OPTIMIZED))
    cf.delete_cache_policy(Id=policy_id, IfMatch=petag)


def test_origin_request_policy_lifecycle_and_in_use(cf):
    created = cf.create_origin_request_policy(OriginRequestPolicyConfig=orp_cfg())
    pid, etag = created["OriginRequestPolicy"]["Id"], created["ETag"]
    expect_error(cf.create_origin_request_policy, "OriginRequestPolicyAlreadyExists", 409, OriginRequestPolicyConfig=orp_cfg())
    got = cf.get_origin_request_policy(Id=pid)
    assert got["ETag"] == etag
    assert got["OriginRequestPolicy"]["OriginRequestPolicyConfig"]["HeadersConfig"]["Headers"]["Items"] == ["Host", "Accept"]
    assert cf.get_origin_request_policy_config(Id=pid)["OriginRequestPolicyConfig"]["Name"] == "tenant-origin"
    etag2 = cf.update_origin_request_policy(Id=pid, IfMatch=etag, OriginRequestPolicyConfig=orp_cfg())["ETag"]
    assert etag2 != etag
    expect_error(cf.update_origin_request_policy, "PreconditionFailed", 412, Id=pid, IfMatch=etag, OriginRequestPolicyConfig=orp_cfg())
    dist = cf.create_distribution(DistributionConfig=dist_config("r1", origin_request_policy_id=pid))
    config = cf.get_distribution_config(Id=dist["Distribution"]["Id"])
    assert config["DistributionConfig"]["DefaultCacheBehavior"]["OriginRequestPolicyId"] == pid
    expect_error(cf.delete_origin_request_policy, "OriginRequestPolicyInUse", 409, Id=pid, IfMatch=etag2)
    cf.update_distribution(Id=dist["Distribution"]["Id"], IfMatch=config["ETag"], DistributionConfig=dist_config("r1"))
    cf.delete_origin_request_policy(Id=pid, IfMatch=etag2)
    expect_error(cf.get_origin_request_policy, "NoSuchOriginRequestPolicy", 404, Id=pid)


def test_distributions_are_listed_by_the_policies_they_use(cf):
    cache = cf.create_cache_policy(CachePolicyConfig=cache_cfg("by-cache"))["CachePolicy"]["Id"]
    origin = cf.create_origin_request_policy(OriginRequestPolicyConfig=orp_cfg("by-origin"))["OriginRequestPolicy"]["Id"]
    assert cf.list_distributions_by_cache_policy_id(CachePolicyId=cache)["DistributionIdList"]["Quantity"] == 0
    both = cf.create_distribution(
        DistributionConfig=dist_config("by1", cache_policy_id=cache, origin_request_policy_id=origin)
    )["Distribution"]["Id"]
    cache_only = cf.create_distribution(DistributionConfig=dist_config("by2", cache_policy_id=cache))["Distribution"]["Id"]
    by_cache = cf.list_distributions_by_cache_policy_id(CachePolicyId=cache)["DistributionIdList"]
    assert sorted(by_cache["Items"]) == sorted([both, cache_only]) and by_cache["Quantity"] == 2
    by_origin = cf.list_distributions_by_origin_request_policy_id(OriginRequestPolicyId=origin)["DistributionIdList"]
    assert by_origin["Items"] == [both] and not by_origin["IsTruncated"]
    expect_error(cf.list_distributions_by_cache_policy_id, "NoSuchCachePolicy", 404, CachePolicyId="nope")


def test_list_policies_with_managed_ones(cf):
    cf.create_cache_policy(CachePolicyConfig=cache_cfg("mine"))
    custom = cf.list_cache_policies(Type="custom")["CachePolicyList"]
    assert [i["CachePolicy"]["CachePolicyConfig"]["Name"] for i in custom["Items"]] == ["mine"]
    assert custom["Quantity"] == 1
    managed = cf.list_cache_policies(Type="managed")["CachePolicyList"]["Items"]
    assert CACHING_OPTIMIZED in {i["CachePolicy"]["Id"] for i in managed}
    assert {i["Type"] for i in managed} == {"managed"}
    # paging
    page = cf.list_cache_policies(MaxItems="2")["CachePolicyList"]
    assert page["Quantity"] == 2 and page["NextMarker"]
    rest = cf.list_cache_policies(Marker=page["NextMarker"])["CachePolicyList"]
    ids = [i["CachePolicy"]["Id"] for i in page["Items"] + rest["Items"]]
    assert len(ids) == len(set(ids)) == len(managed) + 1
    orps = cf.list_origin_request_policies(Type="managed")["OriginRequestPolicyList"]["Items"]
    assert ALL_VIEWER_EXCEPT_HOST in {i["OriginRequestPolicy"]["Id"] for i in orps}


def test_managed_policies_are_read_only(cf):
    got = cf.get_cache_policy(Id=CACHING_OPTIMIZED)
    assert got["CachePolicy"]["CachePolicyConfig"]["Name"] == "Managed-CachingOptimized"
    expect_error(cf.delete_cache_policy, "IllegalDelete", 400, Id=CACHING_OPTIMIZED, IfMatch=got["ETag"])
    expect_error(
        cf.update_cache_policy, "IllegalUpdate", 400, Id=CACHING_OPTIMIZED, IfMatch=got["ETag"], CachePolicyConfig=cache_cfg()
    )


def test_cache_policy_quota_and_validation(cf, control):
    control.config(cloudfront_cache_policy_quota=2)
    cf.create_cache_policy(CachePolicyConfig=cache_cfg("p1"))
    cf.create_cache_policy(CachePolicyConfig=cache_cfg("p2"))
    expect_error(cf.create_cache_policy, "TooManyCachePolicies", 400, CachePolicyConfig=cache_cfg("p3"))
    bad = cache_cfg("p4")
    bad["ParametersInCacheKeyAndForwardedToOrigin"]["HeadersConfig"]["Headers"]["Quantity"] = 3
    control.config(cloudfront_cache_policy_quota=20)
    expect_error(cf.create_cache_policy, "InconsistentQuantities", 400, CachePolicyConfig=bad)
    expect_error(cf.create_cache_policy, "InvalidArgument", 400, CachePolicyConfig=cache_cfg("p5", min_ttl=100))
    expect_error(
        cf.create_cache_policy, "TooManyHeadersInCachePolicy", 400,
        CachePolicyConfig=cache_cfg("p6", headers=tuple(f"x-h{i}" for i in range(11))),
    )


def with_cache_behavior(config, cache_policy_id, origin_request_policy_id=None):
    """`config` with one more cache behaviour, for /static/*, using the given policies."""
    behavior = {
        "PathPattern": "/static/*",
        "TargetOriginId": "alb",
        "ViewerProtocolPolicy": "redirect-to-https",
        "CachePolicyId": cache_policy_id,
    }
    if origin_request_policy_id:
        behavior["OriginRequestPolicyId"] = origin_request_policy_id
    config["CacheBehaviors"] = {"Quantity": 1, "Items": [behavior]}
    return config


def test_distributions_per_cache_policy_quota(cf, control):
    assert control.request("GET", "config")[1]["cloudfront_distributions_per_cache_policy"] == 100
    control.config(cloudfront_distributions_per_cache_policy=2)
    policy = cf.create_cache_policy(CachePolicyConfig=cache_cfg("shared"))["CachePolicy"]["Id"]
    d1 = cf.create_distribution(DistributionConfig=dist_config("q1", cache_policy_id=policy))
    # a distribution naming the policy in several behaviours counts once
    cf.create_distribution(DistributionConfig=with_cache_behavior(dist_config("q2", cache_policy_id=policy), policy))
    err = expect_error(
        cf.create_distribution, "TooManyDistributionsAssociatedToCachePolicy", 400,
        DistributionConfig=dist_config("q3", cache_policy_id=policy),
    )
    assert policy in err.response["Error"]["Message"]
    expect_error(
        cf.create_distribution_with_tags, "TooManyDistributionsAssociatedToCachePolicy", 400,
        DistributionConfigWithTags={"DistributionConfig": dist_config("q3", cache_policy_id=policy), "Tags": {"Items": []}},
    )
    # the policy counts in any cache behaviour, not only the default one
    expect_error(
        cf.create_distribution, "TooManyDistributionsAssociatedToCachePolicy", 400,
        DistributionConfig=with_cache_behavior(dist_config("q3", cache_policy_id=CACHING_OPTIMIZED), policy),
    )
    d3 = cf.create_distribution(DistributionConfig=dist_config("q3", cache_policy_id=CACHING_OPTIMIZED))
    d3_id, d3_etag = d3["Distribution"]["Id"], d3["ETag"]
    expect_error(
        cf.update_distribution, "TooManyDistributionsAssociatedToCachePolicy", 400,
        Id=d3_id, IfMatch=d3_etag, DistributionConfig=dist_config("q3", cache_policy_id=policy),
    )
    # an update of a distribution that already uses the policy does not add to the count
    d1_id = d1["Distribution"]["Id"]
    d1_etag = cf.update_distribution(
        Id=d1_id, IfMatch=d1["ETag"], DistributionConfig=dist_config("q1", cache_policy_id=policy, comment="still here")
    )["ETag"]
    # moving one distribution off the policy makes room for another
    cf.update_distribution(Id=d1_id, IfMatch=d1_etag, DistributionConfig=dist_config("q1", cache_policy_id=CACHING_OPTIMIZED))
    cf.update_distribution(Id=d3_id, IfMatch=d3_etag, DistributionConfig=dist_config("q3", cache_policy_id=policy))


def test_distributions_per_origin_request_policy_quota(cf, control):
    assert control.request("GET", "config")[1]["cloudfront_distributions_per_origin_request_policy"] == 100
    control.config(cloudfront_distributions_per_origin_request_policy=1)
    # the account's own policy counts; a managed one does not
    own = cf.create_origin_request_policy(OriginRequestPolicyConfig=orp_cfg("quota"))["OriginRequestPolicy"]["Id"]
    for name in ("m1", "m2"):
        cf.create_distribution(DistributionConfig=dist_config(name, origin_request_policy_id=ALL_VIEWER_EXCEPT_HOST))
    d1 = cf.create_distribution(DistributionConfig=dist_config("o1", origin_request_policy_id=own))
    err = expect_error(
        cf.create_distribution, "TooManyDistributionsAssociatedToOriginRequestPolicy", 400,
        DistributionConfig=dist_config("o2", origin_request_policy_id=own),
    )
    assert own in err.response["Error"]["Message"]
    expect_error(
        cf.create_distribution, "TooManyDistributionsAssociatedToOriginRequestPolicy", 400,
        DistributionConfig=with_cache_behavior(dist_config("o2"), CACHING_OPTIMIZED, own),
    )
    d2 = cf.create_distribution(DistributionConfig=dist_config("o2"))
    expect_error(
        cf.update_distribution, "TooManyDistributionsAssociatedToOriginRequestPolicy", 400,
        Id=d2["Distribution"]["Id"], IfMatch=d2["ETag"],
        DistributionConfig=dist_config("o2", origin_request_policy_id=own),
    )
    # at the quota, the distribution that holds the policy can still be updated
    cf.update_distribution(
        Id=d1["Distribution"]["Id"], IfMatch=d1["ETag"],
        DistributionConfig=with_cache_behavior(
            dist_config("o1", origin_request_policy_id=own), CACHING_OPTIMIZED, own
        ),
    )
