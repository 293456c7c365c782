"""Process-wide state of the honest layer: configuration, fault rules, call counters,
the time model's clock (see timing.py), the log of hosts left without a rule (see
host_coverage.py).

Everything that lives inside moto's backends (ETags, cache policies, Route53 change
records, deploy counters) is reset by moto's own reset; this module holds the rest.
All AWS requests are served one at a time under ``LOCK`` (see app.py), so the
checks done by the patches (ETag compare-and-swap, CNAME uniqueness, quotas) are
atomic, as they are on AWS; the time model's latency is slept outside it.
"""

from __future__ import annotations

import copy
import random
import threading
import time
from collections import Counter
from typing import Any

from . import timing

LOCK = threading.RLock()

DEFAULTS: dict[str, Any] = {
    # CloudFront
    "cloudfront_alias_quota": 100,  # aliases (CNAMEs) per distribution
    "cloudfront_deploy_reads": 1,  # GetDistribution reads that still say InProgress after a change
    "cloudfront_delete_requires_deployed": True,  # DeleteDistribution refused while InProgress
    "cloudfront_cache_policy_quota": 20,  # custom cache policies per account
    "cloudfront_origin_request_policy_quota": 20,  # custom origin request policies per account
    "cloudfront_distributions_per_cache_policy": 100,  # distributions using one cache policy
    "cloudfront_distributions_per_origin_request_policy": 100,  # distributions using one origin request policy
    "cloudfront_distributions_per_account": 500,  # distributions per account
    "cloudfront_distribution_tenants_per_account": 10000,  # SaaS Manager distribution tenants per account
    "cloudfront_require_certificate_for_aliases": True,  # aliases need an ACM/IAM certificate
    # Route53
    "route53_pending_reads": 1,  # GetChange reads that still say PENDING after a change
    "route53_max_changes_per_batch": 1000,
    # ELBv2
    "elbv2_rules_per_alb_quota": 100,  # non-default rules per load balancer
    "elbv2_condition_values_per_rule": 5,
    "elbv2_condition_wildcards_per_rule": 5,
    # Faults (see faults.py)
    "faults": [],
    "fault_seed": None,
    # The time model (see timing.py): None = off; an object = AWS's latency, deployment
    # and INSYNC times and rate limits, scaled.
    "timing": None,
}

INT_KEYS = {k for k, v in DEFAULTS.items() if isinstance(v, int) and not isinstance(v, bool)}
BOOL_KEYS = {k for k, v in DEFAULTS.items() if isinstance(v, bool)}


class State:
    def __init__(self) -> None:
        self.startup_config: dict[str, Any] = copy.deepcopy(DEFAULTS)
        self.config: dict[str, Any] = copy.deepcopy(DEFAULTS)
        self.calls: Counter[str] = Counter()
        self.faults_injected: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()
        self.call_log: list[dict[str, Any]] = []
        self.calls_since = time.monotonic()
        self.rng = random.Random()
        self.clock: timing.Clock | None = None
        # Served hosts left without a rule by an ELBv2 rule change (see host_coverage.py).
        self.uncovered: list[dict[str, Any]] = []
        # Served hosts left held by no CloudFront resource (see host_coverage.py).
        self.unserved: list[dict[str, Any]] = []

    # -- configuration -------------------------------------------------
    def validate_update(self, update: dict[str, Any]) -> dict[str, Any]:
        from .faults import normalize_fault

        clean: dict[str, Any] = {}
        for key, value in update.items():
            if key not in DEFAULTS:
                raise ValueError(f"unknown config key {key!r}; known: {sorted(DEFAULTS)}")
            if key in BOOL_KEYS:
                if not isinstance(value, bool):
                    raise ValueError(f"{key} must be a boolean")
            elif key in INT_KEYS:
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ValueError(f"{key} must be a non-negative integer")
            elif key == "faults":
                if not isinstance(value, list):
                    raise ValueError("faults must be a list")
                value = [normalize_fault(f) for f in value]
            elif key == "fault_seed":
                if value is not None and not isinstance(value, int):
                    raise ValueError("fault_seed must be an integer or null")
            elif key == "timing":
                value = timing.normalize(value)
            clean[key] = value
        return clean

    def apply(self, update: dict[str, Any]) -> None:
        clean = self.validate_update(update)
        self.config.update(clean)
        if "fault_seed" in clean:
            self.rng = random.Random(clean["fault_seed"])
        if "timing" in clean:
            self._set_clock()

    def set_startup(self, update: dict[str, Any]) -> None:
        clean = self.validate_update(update)
        self.startup_config.update(clean)
        self.config = copy.deepcopy(self.startup_config)
        self.rng = random.Random(self.config.get("fault_seed"))
        self._set_clock()

    def reset(self) -> None:
        self.config = copy.deepcopy(self.startup_config)
        self.rng = random.Random(self.config.get("fault_seed"))
        self._set_clock()
        self.reset_calls()
        self.uncovered = []
        self.unserved = []

    def _set_clock(self) -> None:
        settings = self.config.get("timing")
        self.clock = timing.Clock(settings) if settings is not None else None

    def reset_calls(self) -> None:
        self.calls = Counter()
        self.faults_injected = Counter()
        self.throttled = Counter()
        self.call_log = []
        self.calls_since = time.monotonic()

    def log_call(self, entry: dict[str, Any]) -> None:
        """Adds a call to the ordered log, with ``at``: wall seconds since the last reset."""
        entry["at"] = round(time.monotonic() - self.calls_since, 4)
        self.call_log.append(entry)

    def get(self, key: str) -> Any:
        return self.config[key]


STATE = State()


def cfg(key: str) -> Any:
    return STATE.config[key]
