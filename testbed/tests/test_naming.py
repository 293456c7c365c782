"""Operations are named by the request alone, whichever SDK sent it (e.g. Rust's paths without trailing slash)."""

from __future__ import annotations

import io
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from honest_moto.app import name_operation  # noqa: E402


def environ(service: str, method: str, path: str, query: str = "", body: bytes = b"", form: bool = False) -> dict:
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8" if form else "application/xml",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=AKIAHONESTTEST000000/20260101/us-east-1/"
        f"{service}/aws4_request, SignedHeaders=host, Signature=00",
    }


@pytest.mark.parametrize(
    "service,method,path,query,expected",
    [
        ("route53", "POST", "/2013-04-01/hostedzone/Z123/rrset", "", "route53:ChangeResourceRecordSets"),
        ("route53", "POST", "/2013-04-01/hostedzone/Z123/rrset/", "", "route53:ChangeResourceRecordSets"),
        ("route53", "GET", "/2013-04-01/hostedzone/Z123/rrset", "maxitems=300", "route53:ListResourceRecordSets"),
        ("route53", "GET", "/2013-04-01/change/C123", "", "route53:GetChange"),
        ("route53", "GET", "/2013-04-01/hostedzone/Z123", "", "route53:GetHostedZone"),
        ("cloudfront", "POST", "/2020-05-31/distribution", "", "cloudfront:CreateDistribution"),
        ("cloudfront", "POST", "/2020-05-31/distribution", "WithTags", "cloudfront:CreateDistributionWithTags"),
        ("cloudfront", "GET", "/2020-05-31/distribution/E1", "", "cloudfront:GetDistribution"),
        ("cloudfront", "GET", "/2020-05-31/distribution/E1/config", "", "cloudfront:GetDistributionConfig"),
        ("cloudfront", "PUT", "/2020-05-31/distribution/E1/config", "", "cloudfront:UpdateDistribution"),
        ("cloudfront", "DELETE", "/2020-05-31/distribution/E1", "", "cloudfront:DeleteDistribution"),
        ("cloudfront", "GET", "/2020-05-31/distribution", "MaxItems=10", "cloudfront:ListDistributions"),
        ("cloudfront", "POST", "/2020-05-31/tagging", "Operation=Tag&Resource=arn%3Ax", "cloudfront:TagResource"),
        ("cloudfront", "POST", "/2020-05-31/tagging", "Operation=Untag&Resource=arn%3Ax", "cloudfront:UntagResource"),
        ("cloudfront", "GET", "/2020-05-31/tagging", "Resource=arn%3Ax", "cloudfront:ListTagsForResource"),
        ("cloudfront", "POST", "/2020-05-31/cache-policy", "", "cloudfront:CreateCachePolicy"),
        ("cloudfront", "GET", "/2020-05-31/cache-policy/P1/config", "", "cloudfront:GetCachePolicyConfig"),
        ("cloudfront", "DELETE", "/2020-05-31/origin-request-policy/P1", "", "cloudfront:DeleteOriginRequestPolicy"),
    ],
)
def test_rest_operations(service, method, path, query, expected):
    assert name_operation(environ(service, method, path, query))[1] == expected


def test_query_operations_by_action_and_body_is_kept():
    body = b"Action=CreateRule&Version=2015-12-01&ListenerArn=arn%3Ax&Priority=1"
    env = environ("elasticloadbalancing", "POST", "/", body=body, form=True)
    assert name_operation(env) == ("elbv2", "elbv2:CreateRule")
    assert env["wsgi.input"].read() == body  # still there for moto
    assert name_operation(environ("sts", "POST", "/", body=b"Action=GetCallerIdentity", form=True))[1] == "sts:GetCallerIdentity"


def test_warming_builds_each_service_and_counts_no_call():
    # What moto does on a service's first call is done ahead, and is no call of the provider's.
    import honest_moto
    from honest_moto.app import HonestApp
    from honest_moto.state import STATE

    honest_moto.install()
    app = HonestApp()
    before = dict(STATE.calls)
    app.warm()
    # moto answers ELBv2 from its "elb" app, by the request's Version.
    assert {"cloudfront", "route53", "elb", "sts"} <= set(app.moto.app_instances)
    assert dict(STATE.calls) == before
    assert all(e.get("op") != "cloudfront:ListDistributions" for e in STATE.call_log)
