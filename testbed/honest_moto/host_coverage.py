"""The coverage log: served hosts that an ELBv2 rule change left without a rule.

After every CreateRule, ModifyRule, DeleteRule and SetRulePriorities that is served
(a refused call changes nothing and logs nothing), each host name that

- was matched by a host-header condition of some listener rule before the call,
- is matched by no host-header condition of any listener rule after it, and
- is the exact name of an A or AAAA record in some Route53 hosted zone at that moment

is logged once as ``{"seq", "at", "operation", "host", "rules"}``: ``seq`` counts from 1
since the log was last cleared, ``at`` is the wall-clock time (UTC, ISO 8601),
``operation`` the call's name (``elbv2:DeleteRule``...), ``rules`` the ARNs of the rules
that matched the host before the call.

A rule matches a host when one of the values of its host-header condition does, as ALB
compares them: case-insensitively, ``*`` for any run of characters, ``?`` for one; rules
without a host-header condition match no host in particular, and priorities do not
matter (a host is covered as long as some rule names it). Names are compared lowercase
without the trailing dot; a wildcard record (``\\052.example.com.``) stands for the name
``*.example.com``, which only a rule value matching that text covers. Every account and
region of ELBv2 and every hosted zone (public or private) of Route53 is looked at.

The log is read with ``GET /honest-api/uncovered`` and cleared by ``DELETE`` on the same
path and by every reset.

The unserved log is the same check on CloudFront's side. After every CloudFront call that
is served and may change who holds a domain (any but Get/List), each host name that

- was held before the call by an enabled resource: an alias of an enabled standard
  distribution, or a domain of an enabled distribution tenant of an enabled distribution,
- is held by no enabled resource after it, and
- is the exact name of an A or AAAA record in some Route53 hosted zone at that moment

is logged once as ``{"seq", "at", "operation", "host", "holders"}``, ``holders`` naming
what held it before the call (distribution ids, tenant ids). CloudFront picks the resource
that serves a request by the request's host name (exact before wildcard), not by which of
its DNS names the viewer resolved, so a host with records is served as long as some enabled
resource holds it; a wildcard alias or domain (``*.example.com``) holds the names one label
below it. It is read with ``GET /honest-api/unserved``, cleared by ``DELETE`` there and by
every reset.
"""

from __future__ import annotations

import datetime
import functools
import re
from typing import Any

from .state import STATE

RECORD_TYPES = ("A", "AAAA")


def _norm(name: str) -> str:
    name = (name or "").strip().lower().rstrip(".")
    if name.startswith("\\052"):
        name = "*" + name[4:]
    return name


@functools.lru_cache(maxsize=4096)
def _pattern(value: str) -> re.Pattern[str]:
    """A host-header condition value as ALB matches it."""
    parts = []
    for ch in _norm(value):
        if ch == "*":
            parts.append(".*")
        elif ch == "?":
            parts.append(".")
        else:
            parts.append(re.escape(ch))
    return re.compile("".join(parts), re.DOTALL)


def _host_values(conditions: list[dict[str, Any]] | None) -> tuple[str, ...]:
    values: list[str] = []
    for condition in conditions or []:
        if condition.get("Field") != "host-header":
            continue
        values += [str(v) for v in condition.get("Values") or []]
        values += [str(v) for v in (condition.get("HostHeaderConfig") or {}).get("Values") or []]
    return tuple(values)


def rule_hosts() -> dict[str, tuple[str, ...]]:
    """The host-header values of every non-default listener rule, by rule ARN."""
    from moto.elbv2.models import elbv2_backends

    out: dict[str, tuple[str, ...]] = {}
    for account_backends in list(elbv2_backends.values()):
        for backend in list(account_backends.values()):
            for lb in list(backend.load_balancers.values()):
                for listener in list(lb.listeners.values()):
                    for rule in list(listener._non_default_rules.values()):
                        values = _host_values(rule.conditions)
                        if values:
                            out[rule.arn] = values
    return out


def _record_hosts() -> set[str]:
    """The names of every A / AAAA record of every hosted zone."""
    from moto.route53.models import route53_backends

    names: set[str] = set()
    for account_backends in list(route53_backends.values()):
        for backend in list(account_backends.values()):
            for zone in list(backend.zones.values()):
                for rrset in zone.rrsets:
                    if rrset.type in RECORD_TYPES:
                        names.add(_norm(rrset.name))
    return names


def _matches(values: tuple[str, ...], host: str) -> bool:
    return any(_pattern(v).fullmatch(host) for v in values)


def record_change(operation: str, before: dict[str, tuple[str, ...]]) -> None:
    """Log the hosts that the rule change just made (``before`` = ``rule_hosts()`` taken
    before it) left without a rule.  Only a rule that changed or went away can have been
    the one covering such a host, so only the hosts those rules matched are looked at."""
    after = rule_hosts()
    changed = {arn: values for arn, values in before.items() if after.get(arn) != values}
    if not changed:
        return
    hosts = _record_hosts()
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    for host in sorted(hosts):
        lost = sorted(arn for arn, values in changed.items() if _matches(values, host))
        if not lost:
            continue
        if any(_matches(values, host) for values in after.values()):
            continue
        STATE.uncovered.append(
            {
                "seq": len(STATE.uncovered) + 1,
                "at": now,
                "operation": operation,
                "host": host,
                "rules": lost,
            }
        )


def cloudfront_holders() -> dict[str, tuple[str, ...]]:
    """The domains each enabled CloudFront resource holds, by distribution or tenant id."""
    from moto.cloudfront import models as cfm

    from . import saas
    from .cloudfront import dist_aliases

    out: dict[str, tuple[str, ...]] = {}
    enabled: set[str] = set()
    for account_backends in list(cfm.cloudfront_backends.values()):
        for backend in list(account_backends.values()):
            for dist in list(backend.distributions.values()):
                if not getattr(dist.distribution_config, "Enabled", True):
                    continue
                enabled.add(dist.distribution_id)
                aliases = tuple(_norm(a) for a in dist_aliases(dist))
                if aliases:
                    out[dist.distribution_id] = aliases
    for tenant in saas.all_tenants():
        if tenant.enabled and tenant.distribution_id in enabled and tenant.domains:
            out[tenant.id] = tuple(_norm(d) for d in tenant.domains)
    return out


def _holds(domains: tuple[str, ...], host: str) -> bool:
    return any(d == host or (d.startswith("*.") and host.split(".", 1)[-1] == d[2:]) for d in domains)


def record_holder_change(operation: str, before: dict[str, tuple[str, ...]]) -> None:
    """Log the hosts that the CloudFront call just made (``before`` = ``cloudfront_holders()``
    taken before it) left held by no enabled resource."""
    after = cloudfront_holders()
    changed = {key: domains for key, domains in before.items() if after.get(key) != domains}
    if not changed:
        return
    hosts = _record_hosts()
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    for host in sorted(hosts):
        lost = sorted(key for key, domains in changed.items() if _holds(domains, host))
        if not lost or any(_holds(domains, host) for domains in after.values()):
            continue
        STATE.unserved.append(
            {"seq": len(STATE.unserved) + 1, "at": now, "operation": operation, "host": host, "holders": lost}
        )
