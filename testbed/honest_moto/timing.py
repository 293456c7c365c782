"""The time model: how long AWS takes and how fast it lets you call (off by default).

With the ``timing`` setting set to an object, the emulator behaves as AWS does in time:

- every call takes the latency of its operation (``latency_ms``);
- a CloudFront distribution reports ``InProgress`` until ``cloudfront_deploy_s`` after
  its latest change (every update restarts the clock), then ``Deployed``;
- a Route53 change reports ``PENDING`` until ``route53_insync_s`` after it was
  submitted, then ``INSYNC``;
- calls beyond a token-bucket rate (``rate_limits``) are answered with the service's
  ``Throttling`` error instead of being served.

``scale`` compresses time: every duration is divided by it and every refill rate is
multiplied by it (bucket sizes are counts and stay), so a run at scale 15 is the same
run as on AWS, 15 times faster.  While timing is on, deployment and INSYNC are decided
by the clock and the read-count settings (``cloudfront_deploy_reads``,
``route53_pending_reads``) are not used.  ``timing: null`` (the default) switches it all
off: no latency, no rate limits, read-counted deployment.

Operation patterns (keys of ``latency_ms`` and ``rate_limits``) are ``service``,
``service:Operation`` or ``service:Prefix*``; for a call the most specific one applies:
the exact operation, then the longest matching prefix, then the service, then ``*``.
"""

from __future__ import annotations

import copy
import time
from typing import Any

# AWS as modelled (see testbed/README.md, "Time model", for where the numbers come from).
DEFAULTS: dict[str, Any] = {
    "scale": 1,
    "latency_ms": {
        "*": 50,
        "cloudfront": 150,
        "cloudfront:CreateDistribution": 1000,
        "cloudfront:CreateDistributionWithTags": 1000,
        "cloudfront:UpdateDistribution": 1000,
        "cloudfront:DeleteDistribution": 500,
        "route53": 100,
        "route53:ChangeResourceRecordSets": 250,
        "elbv2": 80,
    },
    "cloudfront_deploy_s": 180,
    "route53_insync_s": 60,
    "rate_limits": {
        "route53": {"rate": 5, "burst": 5},
        "cloudfront": {"rate": 10, "burst": 20},
        "cloudfront:CreateDistribution*": {"rate": 1, "burst": 5},
        "cloudfront:UpdateDistribution": {"rate": 1, "burst": 5},
        "cloudfront:DeleteDistribution": {"rate": 1, "burst": 5},
        "elbv2:Describe*": {"rate": 10, "burst": 40},
        "elbv2": {"rate": 5, "burst": 20},
    },
}

_KEYS = set(DEFAULTS)


def _number(name: str, value: Any, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or (positive and value == 0):
        raise ValueError(f"timing.{name} must be a {'positive' if positive else 'non-negative'} number")
    return value


def _pattern(name: str, key: Any) -> str:
    if not isinstance(key, str) or not key or (key != "*" and key.startswith(":")):
        raise ValueError(f"timing.{name}: {key!r} is not a pattern (service, service:Operation or service:Prefix*)")
    if "*" in key[:-1]:
        raise ValueError(f"timing.{name}: {key!r}: '*' may only end a pattern")
    return key


def normalize(value: Any) -> dict[str, Any] | None:
    """The timing setting, checked and completed with the defaults; None = off.

    Top-level keys that are given replace the default (``latency_ms`` and
    ``rate_limits`` are tables: the one given is the whole table)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("timing must be an object or null")
    unknown = set(value) - _KEYS
    if unknown:
        raise ValueError(f"unknown timing keys {sorted(unknown)}; known: {sorted(_KEYS)}")
    out = copy.deepcopy(DEFAULTS)
    out.update(copy.deepcopy(value))
    _number("scale", out["scale"], positive=True)
    _number("cloudfront_deploy_s", out["cloudfront_deploy_s"])
    _number("route53_insync_s", out["route53_insync_s"])
    if not isinstance(out["latency_ms"], dict):
        raise ValueError("timing.latency_ms must be an object of pattern -> milliseconds")
    for key, ms in out["latency_ms"].items():
        _number(f"latency_ms[{_pattern('latency_ms', key)!r}]", ms)
    if not isinstance(out["rate_limits"], dict):
        raise ValueError("timing.rate_limits must be an object of pattern -> {rate, burst}")
    for key, limit in out["rate_limits"].items():
        _pattern("rate_limits", key)
        if not isinstance(limit, dict) or set(limit) - {"rate", "burst"} or "rate" not in limit:
            raise ValueError(f"timing.rate_limits[{key!r}] must be {{\"rate\": per second, \"burst\": tokens}}")
        _number(f"rate_limits[{key!r}].rate", limit["rate"], positive=True)
        limit.setdefault("burst", max(1, limit["rate"]))
        if _number(f"rate_limits[{key!r}].burst", limit["burst"]) < 1:
            raise ValueError(f"timing.rate_limits[{key!r}].burst must be at least 1")
    return out


def pick(table: dict[str, Any], service: str, op_key: str) -> str | None:
    """The most specific pattern of `table` that names the call, or None."""
    if op_key in table:
        return op_key
    best: str | None = None
    for key in table:
        if key.endswith("*") and ":" in key and op_key.startswith(key[:-1]):
            if best is None or len(key) > len(best):
                best = key
    if best is not None:
        return best
    if service in table:
        return service
    return "*" if "*" in table else None


class Clock:
    """The time model in force: scaled durations and the rate limiters' buckets.

    Callers hold ``state.LOCK``; one Clock lives as long as one timing setting."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        self.scale = float(settings["scale"])
        # pattern -> [tokens, last refill (monotonic)]
        self.buckets: dict[str, list[float]] = {}

    @staticmethod
    def now() -> float:
        return time.monotonic()

    def seconds(self, real_seconds: float) -> float:
        """Wall seconds that stand for `real_seconds` of AWS time."""
        return real_seconds / self.scale

    def latency(self, service: str, op_key: str) -> float:
        """Wall seconds the call takes."""
        key = pick(self.settings["latency_ms"], service, op_key)
        return 0.0 if key is None else self.seconds(self.settings["latency_ms"][key] / 1000.0)

    def deploy_seconds(self) -> float:
        return self.seconds(self.settings["cloudfront_deploy_s"])

    def insync_seconds(self) -> float:
        return self.seconds(self.settings["route53_insync_s"])

    def admit(self, service: str, op_key: str) -> bool:
        """Takes a token for the call from its bucket; False = throttled."""
        key = pick(self.settings["rate_limits"], service, op_key)
        if key is None:
            return True
        limit = self.settings["rate_limits"][key]
        now = self.now()
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = [float(limit["burst"]), now]
        tokens = min(float(limit["burst"]), bucket[0] + (now - bucket[1]) * limit["rate"] * self.scale)
        bucket[1] = now
        if tokens >= 1.0:
            bucket[0] = tokens - 1.0
            return True
        bucket[0] = tokens
        return False
