"""CloudFront: the rules AWS enforces that moto 5.2.5 does not.

- ETag changes on every create/update; Update/Delete need ``If-Match``: missing ->
  400 InvalidIfMatchVersion, stale -> 412 PreconditionFailed.
- An alias may live on one distribution only (all accounts): 409 CNAMEAlreadyExists.
- Alias quota per distribution: 400 TooManyDistributionCNAMEs.
- Distributions per account: 400 TooManyDistributions on create.
- Distributions per cache / origin request policy (a distribution counts once, however
  many of its behaviours name the policy): 400 TooManyDistributionsAssociatedToCachePolicy /
  TooManyDistributionsAssociatedToOriginRequestPolicy on create and update.
- Aliases need a certificate (ACM in us-east-1 or IAM): 400 InvalidViewerCertificate;
  when the ACM certificate is known to moto's ACM, it must cover every alias.
- Delete of an enabled (or not yet deployed) distribution: 409 DistributionNotDisabled.
- Status InProgress after create/update for N GetDistribution reads, then Deployed;
  with the time model on, InProgress until a deploy time after the latest change.
- CallerReference: same config -> the existing distribution (idempotent), different
  config -> 409 DistributionAlreadyExists; changing it on update -> 400 IllegalUpdate.
- Quantity must equal len(Items): 400 InconsistentQuantities.
- Cache behaviours: CachePolicyId xor ForwardedValues/TTLs (400 InvalidArgument);
  referenced cache / origin request policies must exist (404 NoSuchCachePolicy /
  NoSuchOriginRequestPolicy).
- Cache policies and origin request policies (absent from moto): CRUD + list, their
  own ETags and If-Match rules, AlreadyExists on duplicate names, InUse on delete,
  quotas, managed policies (read-only: IllegalUpdate / IllegalDelete).
- Multi-tenant distributions (ConnectionMode tenant-only, round-tripped): Aliases,
  PriceClass and IsIPV6Enabled refused (400 InvalidArgument) and not read back;
  ConnectionMode cannot change on update (400 IllegalUpdate); delete while tenants use
  it: 409 ResourceInUse. An alias that is a distribution tenant's domain: 409
  CNAMEAlreadyExists (tenants themselves: saas.py).
- Outputs without a payload member are rooted at the output shape's name
  (``<ListDistributionTenantsResult>``), as the AWS SDK for Rust requires.
- Read-back (GetDistribution/GetDistributionConfig) no longer carries fields AWS
  would refuse if sent back (ForwardedValues+TTLs next to a CachePolicyId, empty
  certificate ids, an empty OriginSslProtocols list, empty policy ids).
"""

from __future__ import annotations

import copy
import datetime
import re
import time
from typing import Any

from moto.cloudfront import models as cfm
from moto.cloudfront import responses as cfr
from moto.cloudfront import urls as cfu
from moto.cloudfront.exceptions import DistributionAlreadyExists, NoSuchDistribution
from moto.core.responses import ActionResult, EmptyResult
from moto.core.serialize import BaseXMLSerializer, RestXMLSerializer

from .errors import cf_error
from .state import STATE, cfg

API = "2020-05-31"
DOC_CNAMES = (
    "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html"
    "#alternate-domain-names-requirements"
)


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def new_etag() -> str:
    return cfm.random_id(length=14)


# ---------------------------------------------------------------------------
# Managed policies (ids are AWS's; configs follow AWS's documentation)
# ---------------------------------------------------------------------------
def _headers(b: str, items: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"HeaderBehavior": b}
    if items:
        out["Headers"] = {"Quantity": len(items), "Items": list(items)}
    return out


def _cookies(b: str, items: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"CookieBehavior": b}
    if items:
        out["Cookies"] = {"Quantity": len(items), "Items": list(items)}
    return out


def _qs(b: str, items: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"QueryStringBehavior": b}
    if items:
        out["QueryStrings"] = {"Quantity": len(items), "Items": list(items)}
    return out


def _cache_cfg(name: str, comment: str, ttl: tuple[int, int, int], gz: bool, headers: dict, cookies: dict, qs: dict) -> dict:
    return {
        "Comment": comment,
        "Name": name,
        "DefaultTTL": ttl[1],
        "MaxTTL": ttl[2],
        "MinTTL": ttl[0],
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": gz,
            "EnableAcceptEncodingBrotli": gz,
            "HeadersConfig": headers,
            "CookiesConfig": cookies,
            "QueryStringsConfig": qs,
        },
    }


_ORIGIN_CACHE_HEADERS = ["host", "origin", "x-http-method-override", "x-http-method", "x-method-override"]

MANAGED_CACHE_POLICIES: dict[str, dict[str, Any]] = {
    "658327ea-f89d-4fab-a63d-7e88639e58f6": _cache_cfg(
        "Managed-CachingOptimized",
        "Policy with caching enabled. Supports Gzip and Brotli compression.",
        (1, 86400, 31536000), True, _headers("none"), _cookies("none"), _qs("none"),
    ),
    "4135ea2d-6df8-44a3-9df3-4b5a84be39ad": _cache_cfg(
        "Managed-CachingDisabled", "Policy with caching disabled",
        (0, 0, 0), False, _headers("none"), _cookies("none"), _qs("none"),
    ),
    "b2884449-e4de-46a7-ac36-70bc7f1ddd6d": _cache_cfg(
        "Managed-CachingOptimizedForUncompressedObjects",
        "Default policy when compression is disabled",
        (1, 86400, 31536000), False, _headers("none"), _cookies("none"), _qs("none"),
    ),
    "83da9c7e-98b4-4e11-a168-04f0df8e2c65": _cache_cfg(
        "Managed-UseOriginCacheControlHeaders",
        "Policy for origins that return Cache-Control headers. Query strings are not included in the cache key.",
        (0, 0, 31536000), True, _headers("whitelist", _ORIGIN_CACHE_HEADERS), _cookies("all"), _qs("none"),
    ),
    "4cc15a8a-d715-48a4-82b8-cc0b614638fe": _cache_cfg(
        "Managed-UseOriginCacheControlHeaders-QueryStrings",
        "Policy for origins that return Cache-Control headers and serve different content based on values present in the query string.",
        (0, 0, 31536000), True, _headers("whitelist", _ORIGIN_CACHE_HEADERS), _cookies("all"), _qs("all"),
    ),
}


def _orp_cfg(name: str, comment: str, headers: dict, cookies: dict, qs: dict) -> dict:
    return {
        "Comment": comment,
        "Name": name,
        "HeadersConfig": headers,
        "CookiesConfig": cookies,
        "QueryStringsConfig": qs,
    }


MANAGED_ORIGIN_REQUEST_POLICIES: dict[str, dict[str, Any]] = {
    "216adef6-5c7f-47e4-b989-5492eafa07d3": _orp_cfg(
        "Managed-AllViewer", "Policy to forward all parameters in viewer requests",
        _headers("allViewer"), _cookies("all"), _qs("all"),
    ),
    "b689b0a8-53d0-40ab-baf2-68738e2966ac": _orp_cfg(
        "Managed-AllViewerExceptHostHeader",
        "Policy to forward all parameters in viewer requests except for the Host header",
        _headers("allExcept", ["host"]), _cookies("all"), _qs("all"),
    ),
    "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf": _orp_cfg(
        "Managed-CORS-S3Origin", "Policy for S3 origin with CORS",
        _headers("whitelist", ["origin", "access-control-request-headers", "access-control-request-method"]),
        _cookies("none"), _qs("none"),
    ),
    "59781a5b-3903-41f3-afcb-af62929ccde1": _orp_cfg(
        "Managed-CORS-CustomOrigin", "Policy for custom origin with CORS",
        _headers("whitelist", ["origin"]), _cookies("none"), _qs("none"),
    ),
    "acba4595-bd28-49b8-b9fe-13317c0390fa": _orp_cfg(
        "Managed-UserAgentRefererHeaders", "Policy for forwarding user-agent and referer headers",
        _headers("whitelist", ["referer", "user-agent"]), _cookies("none"), _qs("none"),
    ),
}


class Policy:
    def __init__(self, policy_id: str, config: dict[str, Any], kind: str, managed: bool) -> None:
        self.id = policy_id
        self.config = config
        self.kind = kind  # "cache" | "origin_request"
        self.type = "managed" if managed else "custom"
        self.etag = new_etag()
        self.last_modified_time = utc_now()

    @property
    def name(self) -> str:
        return self.config.get("Name", "")

    def as_result(self) -> dict[str, Any]:
        key = "CachePolicyConfig" if self.kind == "cache" else "OriginRequestPolicyConfig"
        return {"Id": self.id, "LastModifiedTime": self.last_modified_time, key: self.config}


def _policies(backend: Any, kind: str) -> dict[str, Policy]:
    attr = "_honest_cache_policies" if kind == "cache" else "_honest_origin_request_policies"
    store = backend.__dict__.get(attr)
    if store is None:
        store = {}
        managed = MANAGED_CACHE_POLICIES if kind == "cache" else MANAGED_ORIGIN_REQUEST_POLICIES
        for pid, pcfg in managed.items():
            store[pid] = Policy(pid, copy.deepcopy(pcfg), kind, managed=True)
        backend.__dict__[attr] = store
    return store


# ---------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------
CNAME_TAKEN = "One or more of the CNAMEs you provided are already associated with a different resource."
ALIAS_RE = re.compile(r"^(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z0-9-]{1,63}$")


def _check_quantities(node: Any, path: str = "DistributionConfig") -> None:
    if isinstance(node, dict):
        if "Quantity" in node:
            qty = node.get("Quantity")
            items = node.get("Items")
            n = len(items) if isinstance(items, list) else 0
            if qty is not None and int(qty) != n:
                raise cf_error(
                    "InconsistentQuantities",
                    f"The value of Quantity and the size of Items don't match ({path}: Quantity={qty}, Items={n}).",
                )
        for key, value in node.items():
            _check_quantities(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _check_quantities(value, f"{path}[{i}]")


def _aliases_of(config: dict[str, Any]) -> list[str]:
    aliases = (config.get("Aliases") or {}).get("Items") or []
    return [str(a) for a in aliases]


def all_distributions() -> list[Any]:
    out = []
    for account_backends in list(cfm.cloudfront_backends.values()):
        for backend in list(account_backends.values()):
            out.extend(backend.distributions.values())
    return out


def dist_aliases(dist: Any) -> list[str]:
    aliases = getattr(dist.distribution_config, "Aliases", None) or {}
    return [str(a) for a in (aliases.get("Items") or [])]


def _cert_covers(patterns: list[str], alias: str) -> bool:
    alias = alias.lower().rstrip(".")
    for pat in patterns:
        pat = pat.lower().rstrip(".")
        if pat == alias:
            return True
        if pat.startswith("*.") and not alias.startswith("*."):
            rest = pat[2:]
            if alias.endswith("." + rest) and alias.count(".") == rest.count(".") + 1:
                return True
    return False


def _acm_certificate(account_id: str, arn: str) -> Any:
    try:
        from moto.acm.models import acm_backends

        backend = acm_backends[account_id]["us-east-1"]
        return backend._certificates.get(arn)
    except Exception:
        return None


def _validate_viewer_certificate(backend: Any, config: dict[str, Any], aliases: list[str]) -> None:
    vc = config.get("ViewerCertificate") or {}
    acm = vc.get("ACMCertificateArn") or ""
    iam = vc.get("IAMCertificateId") or ""
    default = vc.get("CloudFrontDefaultCertificate")
    if default and (acm or iam):
        raise cf_error(
            "InvalidViewerCertificate",
            "You cannot specify CloudFrontDefaultCertificate together with ACMCertificateArn or IAMCertificateId.",
        )
    if acm and iam:
        raise cf_error("InvalidViewerCertificate", "You cannot specify both ACMCertificateArn and IAMCertificateId.")
    if acm and not re.match(r"^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate/[A-Za-z0-9-]+$", acm):
        raise cf_error(
            "InvalidViewerCertificate",
            "The specified SSL certificate doesn't exist, isn't in us-east-1 region, isn't valid, "
            "or doesn't include a valid certificate chain.",
        )
    if (acm or iam) and not vc.get("SSLSupportMethod"):
        raise cf_error(
            "InvalidViewerCertificate",
            "The parameter SSLSupportMethod is required when you specify ACMCertificateArn or IAMCertificateId.",
        )
    if not aliases or not cfg("cloudfront_require_certificate_for_aliases"):
        return
    if not (acm or iam):
        raise cf_error(
            "InvalidViewerCertificate",
            "To add an alternate domain name (CNAME) to a CloudFront distribution, you must attach a trusted "
            f"certificate that validates your authorization to use the domain name. For more details, see: {DOC_CNAMES}",
        )
    if acm:
        account = acm.split(":")[4]
        cert = _acm_certificate(account, acm)
        if cert is not None:
            names = list(getattr(cert, "sans", []) or [])
            if getattr(cert, "common_name", None):
                names.append(cert.common_name)
            for alias in aliases:
                if not _cert_covers(names, alias):
                    raise cf_error(
                        "InvalidViewerCertificate",
                        "The certificate that is attached to your distribution doesn't cover the alternate domain "
                        f"name (CNAME) that you're trying to add. For more details, see: {DOC_CNAMES}",
                    )


_LEGACY_FIELDS = ("ForwardedValues", "MinTTL", "DefaultTTL", "MaxTTL")


def _validate_behavior(backend: Any, behavior: dict[str, Any]) -> None:
    cache_policy_id = behavior.get("CachePolicyId")
    if cache_policy_id:
        if cache_policy_id not in _policies(backend, "cache"):
            raise cf_error("NoSuchCachePolicy", "The cache policy does not exist.")
        for field in _LEGACY_FIELDS:
            if behavior.get(field) is not None:
                raise cf_error(
                    "InvalidArgument",
                    f"The parameter {field} cannot be used when a cache policy is associated to the cache behavior.",
                )
    elif behavior.get("ForwardedValues") is None:
        raise cf_error("InvalidArgument", "The parameter ForwardedValues is required.")
    orp_id = behavior.get("OriginRequestPolicyId")
    if orp_id and orp_id not in _policies(backend, "origin_request"):
        raise cf_error("NoSuchOriginRequestPolicy", "The origin request policy does not exist.")


TENANT_ONLY = "tenant-only"
_CONNECTION_MODES = ("direct", TENANT_ONLY)
# What a multi-tenant distribution cannot carry: domains are its tenants', the price class
# is fixed, IPv6 is the connection group's.
_NOT_ON_TENANT_ONLY = ("PriceClass", "IsIPV6Enabled")


def connection_mode(config: Any) -> str:
    """A distribution config's ConnectionMode (a request's dict or one moto stores); AWS's
    default is direct."""
    if isinstance(config, dict):
        return config.get("ConnectionMode") or "direct"
    return config.__dict__.get("ConnectionMode") or "direct"


def _validate_connection_mode(config: dict[str, Any], aliases: list[str]) -> None:
    mode = connection_mode(config)
    if mode not in _CONNECTION_MODES:
        raise cf_error("InvalidArgument", f"The parameter ConnectionMode has an invalid value: {mode}.")
    if mode != TENANT_ONLY:
        return
    if aliases:
        raise cf_error(
            "InvalidArgument",
            "The parameter Aliases is not supported for a multi-tenant distribution; "
            "its domains are those of its distribution tenants.",
        )
    for field in _NOT_ON_TENANT_ONLY:
        if config.get(field) is not None:
            raise cf_error("InvalidArgument", f"The parameter {field} is not supported for a multi-tenant distribution.")


def validate_distribution_config(backend: Any, config: dict[str, Any], self_id: str | None) -> None:
    _check_quantities(config)
    aliases = _aliases_of(config)
    _validate_connection_mode(config, aliases)
    quota = cfg("cloudfront_alias_quota")
    if len(aliases) > quota:
        raise cf_error(
            "TooManyDistributionCNAMEs",
            f"Your request contains more CNAMEs than are allowed per distribution ({len(aliases)} > {quota}).",
        )
    seen = set()
    for alias in aliases:
        low = alias.lower()
        if len(low) > 253 or not ALIAS_RE.match(low):
            raise cf_error("InvalidArgument", "The parameter CNAME contains one or more illegal characters.")
        if low in seen:
            raise cf_error("InvalidArgument", f"The parameter CNAME contains a duplicate: {alias}.")
        seen.add(low)
    if "DefaultCacheBehavior" not in config:
        raise cf_error("InvalidArgument", "The parameter DefaultCacheBehavior is required.")
    _validate_behavior(backend, config.get("DefaultCacheBehavior") or {})
    for behavior in (config.get("CacheBehaviors") or {}).get("Items") or []:
        _validate_behavior(backend, behavior)
    _validate_viewer_certificate(backend, config, aliases)
    if seen:
        for dist in all_distributions():
            if dist.distribution_id == self_id:
                continue
            taken = {a.lower() for a in dist_aliases(dist)}
            if taken & seen:
                raise cf_error("CNAMEAlreadyExists", CNAME_TAKEN)
        from . import saas

        if any(saas.tenant_of_domain(alias) is not None for alias in seen):
            raise cf_error("CNAMEAlreadyExists", CNAME_TAKEN)
    _check_policy_associations(backend, config, self_id)


def _check_policy_associations(backend: Any, config: dict[str, Any], self_id: str | None) -> None:
    """Each cache / origin request policy the config names may be used by at most the quota's
    number of the account's distributions, this one included. A distribution counts once per
    policy, whatever number of its behaviours name it; an update that keeps a policy it
    already uses does not add to the count. AWS's managed policies are not counted: the quota
    is documented for the account's own policies, and the emulator does not claim more."""
    for kind in ("cache", "origin_request"):
        k = _KIND[kind]
        quota = cfg(k["distributions_quota"])
        managed = MANAGED_CACHE_POLICIES if kind == "cache" else MANAGED_ORIGIN_REQUEST_POLICIES
        for policy_id in sorted(_policy_ids(config, kind) - set(managed)):
            others = sum(
                1
                for dist in backend.distributions.values()
                if dist.distribution_id != self_id and policy_id in _policy_ids(dist.distribution_config, kind)
            )
            if others + 1 > quota:
                raise cf_error(
                    k["too_many_distributions"],
                    f"The {k['label']} {policy_id} is already associated with the maximum number of "
                    f"distributions allowed ({quota}).",
                )


# ---------------------------------------------------------------------------
# Read-back fidelity
# ---------------------------------------------------------------------------
def _fix_behavior(behavior: Any, raw: dict[str, Any]) -> None:
    # moto defaults Compress to true and the legacy TTLs to 0; AWS: false, 0/86400/31536000
    behavior.compress = bool(raw.get("Compress", False))
    if getattr(behavior, "cache_policy_id", None):
        behavior.forwarded_values = None
        behavior.min_ttl = None
        behavior.default_ttl = None
        behavior.max_ttl = None
    else:
        behavior.cache_policy_id = None
        behavior.min_ttl = int(raw.get("MinTTL") or 0)
        behavior.default_ttl = int(raw["DefaultTTL"]) if raw.get("DefaultTTL") is not None else max(86400, behavior.min_ttl)
        behavior.max_ttl = int(raw["MaxTTL"]) if raw.get("MaxTTL") is not None else max(31536000, behavior.default_ttl)
    for attr in ("origin_request_policy_id", "response_headers_policy_id", "realtime_log_config_arn"):
        if not getattr(behavior, attr, None):
            setattr(behavior, attr, None)


def _fix_readback(config: Any, raw: dict[str, Any]) -> None:
    if connection_mode(config) == TENANT_ONLY:
        # moto fills in defaults that AWS refuses on a multi-tenant distribution
        for field in _NOT_ON_TENANT_ONLY:
            config.__dict__[field] = None
    _fix_behavior(config.DefaultCacheBehavior, raw.get("DefaultCacheBehavior") or {})
    raw_items = (raw.get("CacheBehaviors") or {}).get("Items") or []
    for i, behavior in enumerate((getattr(config, "CacheBehaviors", None) or {}).get("Items") or []):
        if not isinstance(behavior, dict):
            _fix_behavior(behavior, raw_items[i] if i < len(raw_items) else {})
    vc = config.ViewerCertificate
    vc.iam_certificate_id = vc.iam_certificate_id or None
    vc.acm_certificate_arn = vc.acm_certificate_arn or None
    if vc.acm_certificate_arn or vc.iam_certificate_id:
        vc.cloud_front_default_certificate = False
        vc.certificate_source = "acm" if vc.acm_certificate_arn else "iam"
        vc.certificate = vc.acm_certificate_arn or vc.iam_certificate_id
    else:
        vc.cloud_front_default_certificate = True
        vc.certificate_source = "cloudfront"
        vc.certificate = None
        vc.ssl_support_method = None if vc.ssl_support_method == "sni-only" else vc.ssl_support_method
    for origin in (config.Origins or {}).get("Items") or []:
        coc = getattr(origin, "custom_origin_config", None)
        if coc is not None and not coc.origin_ssl_protocols.get("Quantity"):
            coc.origin_ssl_protocols = {"Quantity": 1, "Items": ["TLSv1.2"]}


def start_deploy(thing: Any) -> None:
    """A change of `thing` (a distribution, connection group or tenant) starts deploying:
    InProgress for the configured reads, or (time model on) for the deploy time."""
    thing._honest_reads_left = cfg("cloudfront_deploy_reads")
    thing._honest_changed_at = STATE.clock.now() if STATE.clock is not None else time.monotonic()


def read_status(thing: Any) -> str:
    """The status one Get read of `thing` sees; the read counts towards its deployment."""
    status = deploy_status(thing)
    left = thing.__dict__.get("_honest_reads_left", 0)
    if left > 0 and STATE.clock is None:
        thing._honest_reads_left = left - 1
    return status


def _after_change(dist: Any, raw: dict[str, Any]) -> None:
    dist.etag = new_etag()
    start_deploy(dist)
    dist.last_modified_time = utc_now().isoformat().replace("+00:00", "Z")
    _fix_readback(dist.distribution_config, raw)


def deploy_status(self: Any) -> str:
    """The current status of a distribution, connection group or tenant, without a read."""
    clock = STATE.clock
    if clock is not None:
        # A distribution's status is that of its latest change: each one restarts the deploy.
        changed_at = self.__dict__.get("_honest_changed_at")
        if changed_at is not None and clock.now() - changed_at < clock.deploy_seconds():
            return "InProgress"
        return "Deployed"
    return "InProgress" if self.__dict__.get("_honest_reads_left", 0) > 0 else "Deployed"


class _StatusView:
    """The distribution as one GetDistribution read sees it."""

    def __init__(self, dist: Any, status: str) -> None:
        self.__dict__["_dist"] = dist
        self.__dict__["status"] = status

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["_dist"], name)


# ---------------------------------------------------------------------------
# Backend patches
# ---------------------------------------------------------------------------
_orig_create = cfm.CloudFrontBackend.create_distribution_with_tags
_orig_update = cfm.CloudFrontBackend.update_distribution


def create_distribution_with_tags(self: Any, distribution_config: dict[str, Any], tags: list[dict[str, str]]) -> Any:
    raw = copy.deepcopy(distribution_config)
    ref = distribution_config.get("CallerReference")
    existing = self._distribution_with_caller_reference(ref) if ref else None
    if existing is not None:
        if existing.__dict__.get("_honest_create_config") == raw:
            return existing, existing.location, existing.etag
        raise DistributionAlreadyExists(existing.distribution_id)
    validate_distribution_config(self, distribution_config, None)
    quota = cfg("cloudfront_distributions_per_account")
    if len(self.distributions) >= quota:
        raise cf_error(
            "TooManyDistributions",
            f"This account already has the maximum number of distributions allowed ({quota}).",
        )
    dist, _location, _etag = _orig_create(self, distribution_config, tags)
    dist._honest_create_config = raw
    _after_change(dist, raw)
    return dist, dist.location, dist.etag


def check_if_match(current: str, if_match: Any) -> None:
    if not if_match:
        raise cf_error("InvalidIfMatchVersion", "The If-Match version is missing or not valid for the resource.")
    if if_match != current:
        raise cf_error(
            "PreconditionFailed",
            "The precondition given in one or more of the request-header fields evaluated to false.",
        )


def update_distribution(self: Any, dist_config: dict[str, Any], _id: str, if_match: Any) -> Any:
    if _id is None or _id not in self.distributions:
        raise NoSuchDistribution
    dist = self.distributions[_id]
    check_if_match(dist.etag, if_match)
    if not dist_config:
        raise cf_error("MissingBody", "This operation requires a body. Ensure that the body is present and the Content-Type header is set.")
    if dist_config.get("CallerReference") != dist.distribution_config.caller_reference:
        raise cf_error("IllegalUpdate", "The update contains modifications that are not allowed: CallerReference cannot be changed.")
    if connection_mode(dist_config) != connection_mode(dist.distribution_config):
        raise cf_error(
            "IllegalUpdate",
            "The update contains modifications that are not allowed: ConnectionMode cannot be changed.",
        )
    validate_distribution_config(self, dist_config, _id)
    raw = copy.deepcopy(dist_config)
    dist, _location, _etag = _orig_update(self, dist_config, _id, if_match)
    _after_change(dist, raw)
    return dist, dist.location, dist.etag


def delete_distribution(self: Any, distribution_id: str, if_match: Any) -> None:
    if distribution_id not in self.distributions:
        raise NoSuchDistribution
    dist = self.distributions[distribution_id]
    check_if_match(dist.etag, if_match)
    from . import saas

    if saas.tenants_of_distribution(distribution_id):
        raise cf_error(
            "ResourceInUse",
            "The multi-tenant distribution cannot be deleted while it has distribution tenants.",
        )
    if dist.distribution_config.Enabled:
        raise cf_error("DistributionNotDisabled", "The distribution you are trying to delete has not been disabled.")
    if cfg("cloudfront_delete_requires_deployed") and deploy_status(dist) != "Deployed":
        raise cf_error(
            "DistributionNotDisabled",
            "The distribution you are trying to delete has not been disabled (the change that disabled it is still in progress).",
        )
    del self.distributions[distribution_id]
    self.invalidations.pop(distribution_id, None)
    try:
        self.tagger.delete_all_tags_for_resource(dist.arn)
    except Exception:
        pass


def _resource_exists(self: Any, arn: str) -> bool:
    for dist in self.distributions.values():
        if dist.arn == arn:
            return True
    for fn in self.functions.values():
        if fn.arn == arn:
            return True
    for kvs in self.key_value_stores.values():
        if kvs.arn == arn:
            return True
    from . import saas

    return saas.owns_arn(self, arn)


def _check_resource(self: Any, arn: str) -> None:
    if not arn or not _resource_exists(self, arn):
        raise cf_error("NoSuchResource", "The specified resource does not exist.")


_orig_list_tags = cfm.CloudFrontBackend.list_tags_for_resource
_orig_tag = cfm.CloudFrontBackend.tag_resource
_orig_untag = cfm.CloudFrontBackend.untag_resource


def list_tags_for_resource(self: Any, resource: str) -> Any:
    _check_resource(self, resource)
    return _orig_list_tags(self, resource)


def tag_resource(self: Any, arn: str, tags: dict[str, str]) -> None:
    _check_resource(self, arn)
    return _orig_tag(self, arn, tags)


def untag_resource(self: Any, arn: str, tag_keys: list[str]) -> None:
    _check_resource(self, arn)
    return _orig_untag(self, arn, tag_keys)


# ---------------------------------------------------------------------------
# Response patches: GetDistribution consumes one deploy read (time model off)
# ---------------------------------------------------------------------------
def resp_get_distribution(self: Any) -> ActionResult:
    distribution_id = self._get_param("Id")
    dist, etag = self.backend.get_distribution(distribution_id)
    return ActionResult({"Distribution": _StatusView(dist, read_status(dist)), "ETag": etag})


# ---------------------------------------------------------------------------
# Cache policies and origin request policies
# ---------------------------------------------------------------------------
_KIND = {
    "cache": {
        "label": "cache policy",
        "config_key": "CachePolicyConfig",
        "result_key": "CachePolicy",
        "path": "cache-policy",
        "exists": "CachePolicyAlreadyExists",
        "missing": "NoSuchCachePolicy",
        "in_use": "CachePolicyInUse",
        "too_many": "TooManyCachePolicies",
        "quota": "cloudfront_cache_policy_quota",
        "too_many_distributions": "TooManyDistributionsAssociatedToCachePolicy",
        "distributions_quota": "cloudfront_distributions_per_cache_policy",
        "id_attr": "cache_policy_id",
        "headers": ("none", "whitelist"),
        "cookies": ("none", "whitelist", "allExcept", "all"),
        "qs": ("none", "whitelist", "allExcept", "all"),
        "limits": {"Headers": ("TooManyHeadersInCachePolicy", 10), "Cookies": ("TooManyCookiesInCachePolicy", 10),
                   "QueryStrings": ("TooManyQueryStringsInCachePolicy", 10)},
    },
    "origin_request": {
        "label": "origin request policy",
        "config_key": "OriginRequestPolicyConfig",
        "result_key": "OriginRequestPolicy",
        "path": "origin-request-policy",
        "exists": "OriginRequestPolicyAlreadyExists",
        "missing": "NoSuchOriginRequestPolicy",
        "in_use": "OriginRequestPolicyInUse",
        "too_many": "TooManyOriginRequestPolicies",
        "quota": "cloudfront_origin_request_policy_quota",
        "too_many_distributions": "TooManyDistributionsAssociatedToOriginRequestPolicy",
        "distributions_quota": "cloudfront_distributions_per_origin_request_policy",
        "id_attr": "origin_request_policy_id",
        "headers": ("none", "whitelist", "allViewer", "allViewerAndWhitelistCloudFront", "allExcept"),
        "cookies": ("none", "whitelist", "all", "allExcept"),
        "qs": ("none", "whitelist", "all", "allExcept"),
        "limits": {"Headers": ("TooManyHeadersInOriginRequestPolicy", 30),
                   "Cookies": ("TooManyCookiesInOriginRequestPolicy", 10),
                   "QueryStrings": ("TooManyQueryStringsInOriginRequestPolicy", 10)},
    },
}


def _validate_policy_config(kind: str, config: dict[str, Any]) -> dict[str, Any]:
    k = _KIND[kind]
    if not config or not config.get("Name"):
        raise cf_error("InvalidArgument", f"The parameter Name is required for a {k['label']}.")
    if not re.match(r"^[A-Za-z0-9_-]{1,128}$", str(config["Name"])):
        raise cf_error("InvalidArgument", "The parameter Name contains characters that are not allowed.")
    if len(str(config.get("Comment") or "")) > 128:
        raise cf_error("InvalidArgument", "The parameter Comment is too long (128 characters at most).")
    _check_quantities(config, k["config_key"])
    config = copy.deepcopy(config)
    if kind == "cache":
        if config.get("MinTTL") is None:
            raise cf_error("InvalidArgument", "The parameter MinTTL is required.")
        min_ttl = int(config["MinTTL"])
        if config.get("DefaultTTL") is None:
            config["DefaultTTL"] = max(86400, min_ttl)
        if config.get("MaxTTL") is None:
            config["MaxTTL"] = max(31536000, int(config["DefaultTTL"]))
        if not (min_ttl <= int(config["DefaultTTL"]) <= int(config["MaxTTL"])):
            raise cf_error("InvalidArgument", "The TTL values must satisfy MinTTL <= DefaultTTL <= MaxTTL.")
        params = config.get("ParametersInCacheKeyAndForwardedToOrigin")
        if not params:
            raise cf_error("InvalidArgument", "The parameter ParametersInCacheKeyAndForwardedToOrigin is required.")
        holder = params
    else:
        holder = config
    for cfg_key, beh_key, list_key, allowed in (
        ("HeadersConfig", "HeaderBehavior", "Headers", k["headers"]),
        ("CookiesConfig", "CookieBehavior", "Cookies", k["cookies"]),
        ("QueryStringsConfig", "QueryStringBehavior", "QueryStrings", k["qs"]),
    ):
        sub = holder.get(cfg_key)
        if not sub or not sub.get(beh_key):
            raise cf_error("InvalidArgument", f"The parameter {cfg_key}.{beh_key} is required.")
        if sub[beh_key] not in allowed:
            raise cf_error("InvalidArgument", f"The value {sub[beh_key]!r} is not valid for {beh_key}.")
        items = (sub.get(list_key) or {}).get("Items") or []
        if sub[beh_key] in ("whitelist", "allExcept", "allViewerAndWhitelistCloudFront") and not items:
            raise cf_error("InvalidArgument", f"The parameter {list_key} is required when {beh_key} is {sub[beh_key]}.")
        if sub[beh_key] in ("none", "all", "allViewer") and items:
            raise cf_error("InvalidArgument", f"The parameter {list_key} is not allowed when {beh_key} is {sub[beh_key]}.")
        code, limit = k["limits"][list_key]
        if len(items) > limit:
            raise cf_error(code, f"Your policy contains more {list_key.lower()} than are allowed ({limit}).")
    return config


def _get_policy(backend: Any, kind: str, policy_id: str) -> Policy:
    policy = _policies(backend, kind).get(policy_id or "")
    if policy is None:
        raise cf_error(_KIND[kind]["missing"], f"The {_KIND[kind]['label']} does not exist.")
    return policy


def _name_taken(backend: Any, kind: str, name: str, except_id: str | None) -> bool:
    return any(p.name == name and p.id != except_id for p in _policies(backend, kind).values())


def _policy_ids(config: Any, kind: str) -> set[str]:
    """The ids of the policies of one kind named by a distribution config's default and other
    cache behaviours; the config is a request's (dicts) or one moto stores (objects)."""
    attr = _KIND[kind]["id_attr"]
    key = attr_to_key(attr)
    if isinstance(config, dict):
        behaviors = [config.get("DefaultCacheBehavior")]
        behaviors += list((config.get("CacheBehaviors") or {}).get("Items") or [])
    else:
        behaviors = [config.DefaultCacheBehavior]
        behaviors += list((getattr(config, "CacheBehaviors", None) or {}).get("Items") or [])
    ids = set()
    for b in behaviors:
        if not b:
            continue
        value = b.get(key) if isinstance(b, dict) else getattr(b, attr, None)
        if value:
            ids.add(value)
    return ids


def _distributions_using(kind: str, policy_id: str) -> list[str]:
    """Ids of the distributions whose default or other cache behaviours name the policy."""
    return [
        dist.distribution_id
        for dist in all_distributions()
        if policy_id in _policy_ids(dist.distribution_config, kind)
    ]


def _policy_in_use(kind: str, policy_id: str) -> bool:
    return bool(_distributions_using(kind, policy_id))


def _list_distributions_by_policy(self: Any, kind: str) -> ActionResult:
    """ListDistributionsByCachePolicyId / ByOriginRequestPolicyId: one page holding every id."""
    param = "CachePolicyId" if kind == "cache" else "OriginRequestPolicyId"
    policy_id = self._get_param(param)
    _get_policy(self.backend, kind, policy_id)
    ids = _distributions_using(kind, policy_id)
    return ActionResult(
        {
            "DistributionIdList": {
                "Marker": self._get_param("Marker") or "",
                "MaxItems": 100,
                "IsTruncated": False,
                "Quantity": len(ids),
                "Items": ids or None,
            }
        }
    )


def attr_to_key(attr: str) -> str:
    return "CachePolicyId" if attr == "cache_policy_id" else "OriginRequestPolicyId"


def _create_policy(self: Any, kind: str) -> ActionResult:
    k = _KIND[kind]
    config = _validate_policy_config(kind, self._get_param(k["config_key"], {}))
    backend = self.backend
    if _name_taken(backend, kind, config["Name"], None):
        raise cf_error(
            k["exists"],
            f"A {k['label']} with this name already exists. You must provide a unique name. "
            f"To modify an existing {k['label']}, use Update{k['result_key']}.",
        )
    custom = [p for p in _policies(backend, kind).values() if p.type == "custom"]
    if len(custom) >= cfg(k["quota"]):
        raise cf_error(k["too_many"], f"You have reached the maximum number of {k['label']}s for this AWS account.")
    policy = Policy(str(cfm.random.uuid4()), config, kind, managed=False)
    _policies(backend, kind)[policy.id] = policy
    return ActionResult(
        {
            k["result_key"]: policy.as_result(),
            "Location": f"https://cloudfront.amazonaws.com/{API}/{k['path']}/{policy.id}",
            "ETag": policy.etag,
        }
    )


def _get_policy_action(self: Any, kind: str, config_only: bool) -> ActionResult:
    k = _KIND[kind]
    policy = _get_policy(self.backend, kind, self._get_param("Id"))
    if config_only:
        return ActionResult({k["config_key"]: policy.config, "ETag": policy.etag})
    return ActionResult({k["result_key"]: policy.as_result(), "ETag": policy.etag})


def _own_policy(self: Any, kind: str, action: str, verb: str) -> Any:
    """The policy a change names, when its If-Match is current and it is not a managed one."""
    policy = _get_policy(self.backend, kind, self._get_param("Id"))
    check_if_match(policy.etag, self._get_param("IfMatch"))
    if policy.type == "managed":
        raise cf_error(action, f"A managed {_KIND[kind]['label']} cannot be {verb}.")
    return policy


def _update_policy(self: Any, kind: str) -> ActionResult:
    k = _KIND[kind]
    policy = _own_policy(self, kind, "IllegalUpdate", "updated")
    config = _validate_policy_config(kind, self._get_param(k["config_key"], {}))
    if _name_taken(self.backend, kind, config["Name"], policy.id):
        raise cf_error(k["exists"], f"A {k['label']} with this name already exists. You must provide a unique name.")
    policy.config = config
    policy.etag = new_etag()
    policy.last_modified_time = utc_now()
    return ActionResult({k["result_key"]: policy.as_result(), "ETag": policy.etag})


def _delete_policy(self: Any, kind: str) -> EmptyResult:
    k = _KIND[kind]
    policy = _own_policy(self, kind, "IllegalDelete", "deleted")
    if _policy_in_use(kind, policy.id):
        raise cf_error(
            k["in_use"],
            f"Cannot delete this {k['label']} because it is attached to one or more cache behaviors.",
        )
    del _policies(self.backend, kind)[policy.id]
    return EmptyResult()


def _list_policies(self: Any, kind: str) -> ActionResult:
    k = _KIND[kind]
    wanted = self._get_param("Type")
    marker = self._get_param("Marker")
    try:
        max_items = int(self._get_param("MaxItems") or 100)
    except ValueError:
        raise cf_error("InvalidArgument", "The parameter MaxItems is not valid.") from None
    policies = [p for p in _policies(self.backend, kind).values() if not wanted or p.type == wanted]
    start = 0
    if marker:
        ids = [p.id for p in policies]
        if marker not in ids:
            raise cf_error("InvalidArgument", "The parameter Marker is not valid.")
        start = ids.index(marker)
    page = policies[start : start + max_items]
    rest = policies[start + max_items :]
    items = [{"Type": p.type, k["result_key"]: p.as_result()} for p in page]
    return ActionResult(
        {
            f"{k['result_key']}List": {
                "NextMarker": rest[0].id if rest else None,
                "MaxItems": max_items,
                "Quantity": len(items),
                "Items": items or None,
            }
        }
    )


def _install_policy_actions() -> None:
    for kind, k in _KIND.items():
        stem = "cache_policy" if kind == "cache" else "origin_request_policy"

        def bind(fn: Any, *args: Any) -> Any:
            def action(self: Any) -> Any:
                return fn(self, *args)

            return action

        setattr(cfr.CloudFrontResponse, f"create_{stem}", bind(_create_policy, kind))
        setattr(cfr.CloudFrontResponse, f"get_{stem}", bind(_get_policy_action, kind, False))
        setattr(cfr.CloudFrontResponse, f"get_{stem}_config", bind(_get_policy_action, kind, True))
        setattr(cfr.CloudFrontResponse, f"update_{stem}", bind(_update_policy, kind))
        setattr(cfr.CloudFrontResponse, f"delete_{stem}", bind(_delete_policy, kind))
        setattr(cfr.CloudFrontResponse, f"list_{stem.replace('policy', 'policies')}", bind(_list_policies, kind))
        by = "cache_policy_id" if kind == "cache" else "origin_request_policy_id"
        setattr(cfr.CloudFrontResponse, f"list_distributions_by_{by}", bind(_list_distributions_by_policy, kind))
        path = k["path"]
        dispatch = cfr.CloudFrontResponse.dispatch
        by_path = "distributionsByCachePolicyId" if kind == "cache" else "distributionsByOriginRequestPolicyId"
        cfu.url_paths[f"{{0}}/{API}/{by_path}/(?P<policy_id>[^/]+)$"] = dispatch
        cfu.url_paths[f"{{0}}/{API}/{path}$"] = dispatch
        cfu.url_paths[f"{{0}}/{API}/{path}/(?P<policy_id>[^/]+)$"] = dispatch
        cfu.url_paths[f"{{0}}/{API}/{path}/(?P<policy_id>[^/]+)/config$"] = dispatch


_orig_result_to_response = BaseXMLSerializer._serialized_result_to_response


def _serialized_result_to_response(self: Any, resp: Any, result: Any, shape: Any, serialized_result: Any) -> Any:
    """CloudFront answers an output without a payload member (ListDistributionTenants,
    ListConnectionGroups...) with the output shape's name as the root element
    (``<ListDistributionTenantsResult>``), which the AWS SDK for Rust insists on; moto
    writes ``<OperationResponse>``."""
    if (
        isinstance(self, RestXMLSerializer)
        and shape is not None
        and self.operation_model.service_model.endpoint_prefix == "cloudfront"
        and "payload" not in shape.serialization
    ):
        wrapper = {shape.name: serialized_result}
        self._serialize_namespace_attribute(wrapper[shape.name])
        resp["body"] = self._serialize_body(wrapper)
        resp["headers"]["Content-Type"] = self.CONTENT_TYPE
        return resp
    return _orig_result_to_response(self, resp, result, shape, serialized_result)


def install() -> None:
    BaseXMLSerializer._serialized_result_to_response = _serialized_result_to_response  # type: ignore[method-assign]
    cfm.Distribution.status = property(deploy_status)  # type: ignore[assignment]
    cfm.Distribution.advance = lambda self: None  # type: ignore[method-assign]
    cfm.Distribution.staging = False  # required in DistributionSummary; moto leaves it out
    cfm.CloudFrontBackend.create_distribution_with_tags = create_distribution_with_tags  # type: ignore[method-assign]
    cfm.CloudFrontBackend.update_distribution = update_distribution  # type: ignore[method-assign]
    cfm.CloudFrontBackend.delete_distribution = delete_distribution  # type: ignore[method-assign]
    cfm.CloudFrontBackend.list_tags_for_resource = list_tags_for_resource  # type: ignore[method-assign]
    cfm.CloudFrontBackend.tag_resource = tag_resource  # type: ignore[method-assign]
    cfm.CloudFrontBackend.untag_resource = untag_resource  # type: ignore[method-assign]
    cfr.CloudFrontResponse.get_distribution = resp_get_distribution  # type: ignore[method-assign]
    _install_policy_actions()
