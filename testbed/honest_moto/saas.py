"""CloudFront SaaS Manager (absent from moto): connection groups and distribution tenants.

- Connection groups: Create/Get (by id, name or ARN)/Update/Delete/List, GetByRoutingEndpoint.
  Names are unique per account (409 EntityAlreadyExists); each has its own ETag and the
  If-Match rules of distributions (400 InvalidIfMatchVersion / 412 PreconditionFailed); delete
  of an enabled group (or one whose disabling is still InProgress) is 409 ResourceNotDisabled,
  of a group a tenant uses 409 CannotDeleteEntityWhileInUse.
- Distribution tenants: Create/Get (by id, name or ARN)/GetByDomain/Update/Delete/List (with
  AssociationFilter and Marker/MaxItems). The distribution must exist (404 EntityNotFound) and
  be tenant-only (409 InvalidAssociation); names are unique per account (409
  EntityAlreadyExists); domains are non-empty, host names, not repeated (400 InvalidArgument)
  and, case-insensitively, neither an alias of a distribution nor a domain of another tenant
  of any account (409 CNAMEAlreadyExists); a named connection group must exist (404
  EntityNotFound); delete of an enabled tenant (or one whose disabling is still InProgress)
  is 409 ResourceNotDisabled; a tenant beyond the account's quota
  (``cloudfront_distribution_tenants_per_account``, 10,000 as AWS's default) is 400
  EntityLimitExceeded.
- Both are InProgress after each create/update for the configured number of Get reads (or,
  with the time model on, for the deploy time), then Deployed, as distributions are; their
  tags are moto's tagger's, through Tag/Untag/ListTagsForResource on their ARNs.
- UpdateDomainAssociation moves a domain, in one step, from the distribution or tenant
  holding it to the target named (a distribution tenant or a standard distribution, which
  must exist: 404 EntityNotFound; If-Match is the target's ETag, checked when sent). Within
  one account any holder may give it up; a holder of another account must be disabled first
  (409 IllegalUpdate), as the API reference says of moves between accounts. A domain no one
  holds is 404 EntityNotFound; one the target already holds is answered as moved. Both the
  source and the target start deploying, and their ETags change.

The groups and tenants of an account live in its moto CloudFront backend, so moto's reset
drops them; this module owns them, and cloudfront.py asks it about tenants' domains.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

from moto.cloudfront import models as cfm
from moto.cloudfront import responses as cfr
from moto.cloudfront import urls as cfu
from moto.core.responses import ActionResult, EmptyResult

from .cloudfront import (
    ALIAS_RE,
    API,
    CNAME_TAKEN,
    TENANT_ONLY,
    all_distributions,
    check_if_match,
    connection_mode,
    deploy_status,
    dist_aliases,
    new_etag,
    read_status,
    start_deploy,
    utc_now,
)
from .errors import cf_error
from .state import cfg

DEFAULT_MAX_ITEMS = 100
# AWS's ids: a prefix, then 27 base62 characters (e.g. cg_2wjLpjbHkLUdhWAjHllcOeABCDE).
ID_LENGTH = 27


def _new_id(prefix: str) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    return prefix + "".join(cfm.random.choice(alphabet) for _ in range(ID_LENGTH))


def _tags_in(items: Any) -> dict[str, str]:
    return {t["Key"]: t.get("Value") or "" for t in (items or [])}


def _tags_out(backend: Any, arn: str) -> dict[str, Any]:
    tags = backend.tagger.list_tags_for_resource(arn)["Tags"]
    return {"Items": tags or None}


class ConnectionGroup:
    def __init__(self, account_id: str, name: str, ipv6: bool, enabled: bool) -> None:
        self.id = _new_id("cg_")
        self.name = name
        self.arn = f"arn:aws:cloudfront::{account_id}:connection-group/{self.id}"
        # like a distribution's domain name: d111111abcdef8.cloudfront.net
        self.routing_endpoint = f"d{cfm.random_id(uppercase=False)}.cloudfront.net"
        self.ipv6_enabled = ipv6
        self.enabled = enabled
        self.created_time = utc_now()
        self.changed()

    def changed(self) -> None:
        self.etag = new_etag()
        self.last_modified_time = utc_now()
        start_deploy(self)

    def result(self, backend: Any, status: str) -> dict[str, Any]:
        return {
            "Id": self.id,
            "Name": self.name,
            "Arn": self.arn,
            "CreatedTime": self.created_time,
            "LastModifiedTime": self.last_modified_time,
            "Tags": _tags_out(backend, self.arn),
            "Ipv6Enabled": self.ipv6_enabled,
            "RoutingEndpoint": self.routing_endpoint,
            "Status": status,
            "Enabled": self.enabled,
            "IsDefault": False,
        }

    def summary(self, status: str) -> dict[str, Any]:
        return {
            "Id": self.id,
            "Name": self.name,
            "Arn": self.arn,
            "RoutingEndpoint": self.routing_endpoint,
            "CreatedTime": self.created_time,
            "LastModifiedTime": self.last_modified_time,
            "ETag": self.etag,
            "Enabled": self.enabled,
            "Status": status,
            "IsDefault": False,
        }


class DistributionTenant:
    def __init__(self, account_id: str, name: str, distribution_id: str) -> None:
        self.id = _new_id("dt_")
        self.name = name
        self.arn = f"arn:aws:cloudfront::{account_id}:distribution-tenant/{self.id}"
        self.distribution_id = distribution_id
        self.domains: list[str] = []
        self.connection_group_id: str | None = None
        self.enabled = True
        self.created_time = utc_now()
        self.changed()

    def changed(self) -> None:
        self.etag = new_etag()
        self.last_modified_time = utc_now()
        start_deploy(self)

    def _domains(self) -> list[dict[str, str]]:
        return [{"Domain": d, "Status": "active"} for d in self.domains]

    def result(self, backend: Any, status: str) -> dict[str, Any]:
        return {
            "Id": self.id,
            "DistributionId": self.distribution_id,
            "Name": self.name,
            "Arn": self.arn,
            "Domains": self._domains(),
            "Tags": _tags_out(backend, self.arn),
            "ConnectionGroupId": self.connection_group_id,
            "CreatedTime": self.created_time,
            "LastModifiedTime": self.last_modified_time,
            "Enabled": self.enabled,
            "Status": status,
        }

    def summary(self, status: str) -> dict[str, Any]:
        return {
            "Id": self.id,
            "DistributionId": self.distribution_id,
            "Name": self.name,
            "Arn": self.arn,
            "Domains": self._domains(),
            "ConnectionGroupId": self.connection_group_id,
            "CreatedTime": self.created_time,
            "LastModifiedTime": self.last_modified_time,
            "ETag": self.etag,
            "Enabled": self.enabled,
            "Status": status,
        }


# ---------------------------------------------------------------------------
# The store (per account, inside moto's backend) and its finders
# ---------------------------------------------------------------------------
def _store(backend: Any, attr: str) -> dict[str, Any]:
    return backend.__dict__.setdefault(attr, {})


def _groups(backend: Any) -> dict[str, ConnectionGroup]:
    return _store(backend, "_honest_connection_groups")


def _tenants(backend: Any) -> dict[str, DistributionTenant]:
    return _store(backend, "_honest_distribution_tenants")


def all_tenants() -> list[DistributionTenant]:
    out: list[DistributionTenant] = []
    for account_backends in list(cfm.cloudfront_backends.values()):
        for backend in list(account_backends.values()):
            out.extend(_tenants(backend).values())
    return out


def _find(things: dict[str, Any], identifier: str) -> Any:
    """The group or tenant whose id, name or ARN is `identifier`, or None."""
    for thing in things.values():
        if identifier in (thing.id, thing.name, thing.arn):
            return thing
    return None


def _get_group(backend: Any, identifier: str) -> ConnectionGroup:
    group = _find(_groups(backend), identifier or "")
    if group is None:
        raise cf_error("EntityNotFound", f"The connection group {identifier} does not exist.")
    return group


def _group_by_id(backend: Any, group_id: Any) -> ConnectionGroup:
    group = _groups(backend).get(group_id or "")
    if group is None:
        raise cf_error("EntityNotFound", f"The connection group {group_id} does not exist.")
    return group


def _tenant_by_id(backend: Any, tenant_id: Any) -> DistributionTenant:
    tenant = _tenants(backend).get(tenant_id or "")
    if tenant is None:
        raise cf_error("EntityNotFound", f"The distribution tenant {tenant_id} does not exist.")
    return tenant


def _get_tenant(backend: Any, identifier: str) -> DistributionTenant:
    tenant = _find(_tenants(backend), identifier or "")
    if tenant is None:
        raise cf_error("EntityNotFound", f"The distribution tenant {identifier} does not exist.")
    return tenant


def tenant_of_domain(domain: str) -> DistributionTenant | None:
    """The tenant (of any account) one of whose domains is `domain`, case-insensitively."""
    low = domain.lower().rstrip(".")
    for tenant in all_tenants():
        if low in tenant.domains:
            return tenant
    return None


def tenants_of_distribution(distribution_id: str) -> list[DistributionTenant]:
    return [t for t in all_tenants() if t.distribution_id == distribution_id]


def owns_arn(backend: Any, arn: str) -> bool:
    """Whether `arn` names one of the account's connection groups or tenants (for tagging)."""
    return any(t.arn == arn for t in _groups(backend).values()) or any(
        t.arn == arn for t in _tenants(backend).values()
    )


# ---------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------
def _check_name(name: Any, label: str) -> str:
    if not name or not isinstance(name, str):
        raise cf_error("InvalidArgument", f"The parameter Name is required for a {label}.")
    return name


def _tenant_only_distribution(backend: Any, distribution_id: Any) -> str:
    dist = backend.distributions.get(distribution_id or "")
    if dist is None:
        raise cf_error("EntityNotFound", f"The distribution {distribution_id} does not exist.")
    if connection_mode(dist.distribution_config) != TENANT_ONLY:
        raise cf_error(
            "InvalidAssociation",
            f"The distribution {distribution_id} is not a multi-tenant distribution (ConnectionMode tenant-only).",
        )
    return dist.distribution_id


def _check_domains(items: Any, self_id: str | None) -> list[str]:
    """The request's domains, lowercased, when each is a free host name."""
    domains = [str((item or {}).get("Domain") or "") for item in (items or [])]
    if not domains:
        raise cf_error("InvalidArgument", "The parameter Domains must contain at least one domain.")
    seen: list[str] = []
    for domain in domains:
        low = domain.lower().rstrip(".")
        if len(low) > 253 or not ALIAS_RE.match(low):
            raise cf_error("InvalidArgument", f"The domain {domain} is not a valid domain name.")
        if low in seen:
            raise cf_error("InvalidArgument", f"The parameter Domains contains a duplicate: {domain}.")
        seen.append(low)
    for dist in all_distributions():
        if {a.lower() for a in dist_aliases(dist)} & set(seen):
            raise cf_error("CNAMEAlreadyExists", CNAME_TAKEN)
    for low in seen:
        owner = tenant_of_domain(low)
        if owner is not None and owner.id != self_id:
            raise cf_error("CNAMEAlreadyExists", CNAME_TAKEN)
    return seen


def _check_delete(thing: Any, label: str) -> None:
    if thing.enabled:
        raise cf_error("ResourceNotDisabled", f"The {label} you are trying to delete has not been disabled.")
    if cfg("cloudfront_delete_requires_deployed") and deploy_status(thing) != "Deployed":
        raise cf_error(
            "ResourceNotDisabled",
            f"The {label} you are trying to delete has not been disabled "
            "(the change that disabled it is still in progress).",
        )


def _max_items(self: Any) -> int:
    raw = self._get_param("MaxItems")
    try:
        value = int(raw) if raw not in (None, "") else DEFAULT_MAX_ITEMS
    except (TypeError, ValueError):
        raise cf_error("InvalidArgument", "The parameter MaxItems is not valid.") from None
    if value < 1:
        raise cf_error("InvalidArgument", "The parameter MaxItems is not valid.")
    return value


def _page(self: Any, things: list[Any]) -> tuple[list[Any], str | None]:
    """One Marker/MaxItems page of `things`; the marker is the id of the next page's first."""
    marker = self._get_param("Marker")
    start = 0
    if marker:
        ids = [t.id for t in things]
        if marker not in ids:
            raise cf_error("InvalidArgument", "The parameter Marker is not valid.")
        start = ids.index(marker)
    max_items = _max_items(self)
    page = things[start : start + max_items]
    rest = things[start + max_items :]
    return page, (rest[0].id if rest else None)


# ---------------------------------------------------------------------------
# Connection groups
# ---------------------------------------------------------------------------
def _group_answer(self: Any, group: ConnectionGroup, status: str, created: bool = False) -> ActionResult:
    out = {"ConnectionGroup": group.result(self.backend, status), "ETag": group.etag}
    if created:
        out["Location"] = f"https://cloudfront.amazonaws.com/{API}/connection-group/{group.id}"
    return ActionResult(out)


def create_connection_group(self: Any) -> ActionResult:
    backend = self.backend
    name = _check_name(self._get_param("Name"), "connection group")
    if _find(_groups(backend), name) is not None:
        raise cf_error("EntityAlreadyExists", f"A connection group named {name} already exists.")
    ipv6 = self._get_param("Ipv6Enabled")
    enabled = self._get_param("Enabled")
    group = ConnectionGroup(
        self.current_account,
        name,
        ipv6=True if ipv6 is None else bool(ipv6),
        enabled=True if enabled is None else bool(enabled),
    )
    _groups(backend)[group.id] = group
    tags = _tags_in(self._get_param("Tags.Items", []))
    if tags:
        backend.tag_resource(group.arn, tags)
    return _group_answer(self, group, deploy_status(group), created=True)


def get_connection_group(self: Any) -> ActionResult:
    group = _get_group(self.backend, self._get_param("Identifier"))
    return _group_answer(self, group, read_status(group))


def get_connection_group_by_routing_endpoint(self: Any) -> ActionResult:
    endpoint = (self._get_param("RoutingEndpoint") or "").lower().rstrip(".")
    for group in _groups(self.backend).values():
        if group.routing_endpoint == endpoint:
            return _group_answer(self, group, read_status(group))
    raise cf_error("EntityNotFound", f"No connection group has the routing endpoint {endpoint}.")


def update_connection_group(self: Any) -> ActionResult:
    group = _group_by_id(self.backend, self._get_param("Id"))
    check_if_match(group.etag, self._get_param("IfMatch"))
    ipv6 = self._get_param("Ipv6Enabled")
    enabled = self._get_param("Enabled")
    if ipv6 is not None:
        group.ipv6_enabled = bool(ipv6)
    if enabled is not None:
        group.enabled = bool(enabled)
    group.changed()
    return _group_answer(self, group, deploy_status(group))


def delete_connection_group(self: Any) -> EmptyResult:
    backend = self.backend
    group = _group_by_id(backend, self._get_param("Id"))
    check_if_match(group.etag, self._get_param("IfMatch"))
    if any(t.connection_group_id == group.id for t in all_tenants()):
        raise cf_error(
            "CannotDeleteEntityWhileInUse",
            "The connection group cannot be deleted while distribution tenants use it.",
        )
    _check_delete(group, "connection group")
    del _groups(backend)[group.id]
    backend.tagger.delete_all_tags_for_resource(group.arn)
    return EmptyResult()


def list_connection_groups(self: Any) -> ActionResult:
    groups = list(_groups(self.backend).values())
    page, next_marker = _page(self, groups)
    return ActionResult(
        {
            "NextMarker": next_marker,
            "ConnectionGroups": [g.summary(deploy_status(g)) for g in page] or None,
        }
    )


# ---------------------------------------------------------------------------
# Distribution tenants
# ---------------------------------------------------------------------------
def _tenant_answer(self: Any, tenant: DistributionTenant, status: str, created: bool = False) -> ActionResult:
    out = {"DistributionTenant": tenant.result(self.backend, status), "ETag": tenant.etag}
    if created:
        out["Location"] = f"https://cloudfront.amazonaws.com/{API}/distribution-tenant/{tenant.id}"
    return ActionResult(out)


def create_distribution_tenant(self: Any) -> ActionResult:
    backend = self.backend
    distribution_id = _tenant_only_distribution(backend, self._get_param("DistributionId"))
    name = _check_name(self._get_param("Name"), "distribution tenant")
    if _find(_tenants(backend), name) is not None:
        raise cf_error("EntityAlreadyExists", f"A distribution tenant named {name} already exists.")
    quota = cfg("cloudfront_distribution_tenants_per_account")
    if len(_tenants(backend)) >= quota:
        raise cf_error(
            "EntityLimitExceeded",
            f"Your request contains more distribution tenants than are allowed per account ({quota}).",
            400,
        )
    domains = _check_domains(self._get_param("Domains"), None)
    group_id = self._get_param("ConnectionGroupId")
    group_id = _group_by_id(backend, group_id).id if group_id else None
    tenant = DistributionTenant(self.current_account, name, distribution_id)
    tenant.domains = domains
    tenant.connection_group_id = group_id
    enabled = self._get_param("Enabled")
    tenant.enabled = True if enabled is None else bool(enabled)
    _tenants(backend)[tenant.id] = tenant
    tags = _tags_in(self._get_param("Tags.Items", []))
    if tags:
        backend.tag_resource(tenant.arn, tags)
    return _tenant_answer(self, tenant, deploy_status(tenant), created=True)


def get_distribution_tenant(self: Any) -> ActionResult:
    tenant = _get_tenant(self.backend, self._get_param("Identifier"))
    return _tenant_answer(self, tenant, read_status(tenant))


def get_distribution_tenant_by_domain(self: Any) -> ActionResult:
    domain = self._get_param("Domain") or ""
    tenant = tenant_of_domain(domain)
    if tenant is None or tenant.id not in _tenants(self.backend):
        raise cf_error("EntityNotFound", f"No distribution tenant has the domain {domain}.")
    return _tenant_answer(self, tenant, read_status(tenant))


def update_distribution_tenant(self: Any) -> ActionResult:
    backend = self.backend
    tenant = _tenant_by_id(backend, self._get_param("Id"))
    check_if_match(tenant.etag, self._get_param("IfMatch"))
    updated = copy.copy(tenant)
    if self._get_param("DistributionId"):
        updated.distribution_id = _tenant_only_distribution(backend, self._get_param("DistributionId"))
    if self._get_param("Domains") is not None:
        updated.domains = _check_domains(self._get_param("Domains"), tenant.id)
    if self._get_param("ConnectionGroupId"):
        updated.connection_group_id = _group_by_id(backend, self._get_param("ConnectionGroupId")).id
    enabled = self._get_param("Enabled")
    if enabled is not None:
        updated.enabled = bool(enabled)
    # All checks passed: the change is made as a whole.
    tenant.distribution_id = updated.distribution_id
    tenant.domains = updated.domains
    tenant.connection_group_id = updated.connection_group_id
    tenant.enabled = updated.enabled
    tenant.changed()
    return _tenant_answer(self, tenant, deploy_status(tenant))


def delete_distribution_tenant(self: Any) -> EmptyResult:
    backend = self.backend
    tenant = _tenant_by_id(backend, self._get_param("Id"))
    check_if_match(tenant.etag, self._get_param("IfMatch"))
    _check_delete(tenant, "distribution tenant")
    del _tenants(backend)[tenant.id]
    backend.tagger.delete_all_tags_for_resource(tenant.arn)
    return EmptyResult()


def _holder_of(domain: str) -> tuple[Any, Any] | None:
    """The (backend, distribution or tenant) of any account holding ``domain``."""
    for account_backends in list(cfm.cloudfront_backends.values()):
        for backend in list(account_backends.values()):
            for dist in list(backend.distributions.values()):
                if domain in {a.lower() for a in dist_aliases(dist)}:
                    return backend, dist
            for tenant in list(_tenants(backend).values()):
                if domain in tenant.domains:
                    return backend, tenant
    return None


def update_domain_association(self: Any) -> ActionResult:
    backend = self.backend
    domain = str(self._get_param("Domain") or "").lower().rstrip(".")
    target = self._get_param("TargetResource") or {}
    if not domain or len(domain) > 253 or not ALIAS_RE.match(domain):
        raise cf_error("InvalidArgument", f"The domain {domain} is not a valid domain name.")
    tenant_id, dist_id = target.get("DistributionTenantId"), target.get("DistributionId")
    if bool(tenant_id) == bool(dist_id):
        raise cf_error("InvalidArgument", "TargetResource names either a DistributionId or a DistributionTenantId.")
    if tenant_id:
        goal: Any = _tenant_by_id(backend, tenant_id)
        goal_etag = goal.etag
    else:
        goal = backend.distributions.get(dist_id)
        if goal is None:
            raise cf_error("EntityNotFound", f"The distribution {dist_id} does not exist.")
        if connection_mode(goal.distribution_config) == TENANT_ONLY:
            raise cf_error("InvalidAssociation", "A multi-tenant distribution takes domains through its tenants.")
        goal_etag = goal.etag
    if_match = self._get_param("IfMatch")
    if if_match:
        check_if_match(goal_etag, if_match)
    found = _holder_of(domain)
    if found is None:
        raise cf_error("EntityNotFound", f"No distribution or distribution tenant has the domain {domain}.")
    source_backend, source = found
    if source is not goal:
        if source_backend is not backend and _enabled(source):
            raise cf_error(
                "IllegalUpdate",
                f"The domain {domain} belongs to a resource of another account, which must be disabled before the domain moves.",
            )
        if isinstance(source, DistributionTenant):
            source.domains = [d for d in source.domains if d != domain]
            source.changed()
        else:
            _set_aliases(source, [a for a in dist_aliases(source) if a.lower() != domain])
        if isinstance(goal, DistributionTenant):
            goal.domains = [*goal.domains, domain]
            goal.changed()
        else:
            _set_aliases(goal, [*dist_aliases(goal), domain])
    resource_id = goal.id if isinstance(goal, DistributionTenant) else goal.distribution_id
    return ActionResult({"Domain": domain, "ResourceId": resource_id, "ETag": goal.etag})


def _enabled(thing: Any) -> bool:
    if isinstance(thing, DistributionTenant):
        return thing.enabled
    return bool(getattr(thing.distribution_config, "Enabled", True))


def _set_aliases(dist: Any, aliases: list[str]) -> None:
    """A distribution's alias list replaced, as a change of its configuration."""
    config = dist.distribution_config
    config.__dict__["Aliases"] = {"Quantity": len(aliases), "Items": aliases} if aliases else {"Quantity": 0}
    dist.etag = new_etag()
    start_deploy(dist)
    dist.last_modified_time = utc_now().isoformat().replace("+00:00", "Z")


def list_distribution_tenants(self: Any) -> ActionResult:
    association = self._get_param("AssociationFilter") or {}
    tenants = [
        t
        for t in _tenants(self.backend).values()
        if (not association.get("DistributionId") or t.distribution_id == association["DistributionId"])
        and (not association.get("ConnectionGroupId") or t.connection_group_id == association["ConnectionGroupId"])
    ]
    page, next_marker = _page(self, tenants)
    return ActionResult(
        {
            "NextMarker": next_marker,
            "DistributionTenantList": [t.summary(deploy_status(t)) for t in page] or None,
        }
    )


# ---------------------------------------------------------------------------
# Wiring
# ---------------------------------------------------------------------------
ACTIONS: dict[str, Callable[[Any], Any]] = {
    "create_connection_group": create_connection_group,
    "get_connection_group": get_connection_group,
    "get_connection_group_by_routing_endpoint": get_connection_group_by_routing_endpoint,
    "update_connection_group": update_connection_group,
    "delete_connection_group": delete_connection_group,
    "list_connection_groups": list_connection_groups,
    "create_distribution_tenant": create_distribution_tenant,
    "get_distribution_tenant": get_distribution_tenant,
    "get_distribution_tenant_by_domain": get_distribution_tenant_by_domain,
    "update_distribution_tenant": update_distribution_tenant,
    "delete_distribution_tenant": delete_distribution_tenant,
    "list_distribution_tenants": list_distribution_tenants,
    "update_domain_association": update_domain_association,
}

# An identifier may be an ARN, whose "/" arrives decoded in the path.
PATHS = (
    "connection-group$",
    "connection-group/(?P<group_id>.+)$",
    "connection-groups$",
    "distribution-tenant$",
    "distribution-tenant/(?P<tenant_id>.+)$",
    "distribution-tenants$",
    "domain-association$",
)


def install() -> None:
    for name, action in ACTIONS.items():
        setattr(cfr.CloudFrontResponse, name, action)
    for path in PATHS:
        cfu.url_paths[f"{{0}}/{API}/{path}"] = cfr.CloudFrontResponse.dispatch
