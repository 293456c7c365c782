"""Injected faults: throttling and 5xx answers on demand.

A fault rule is a JSON object:

    {"match": "cloudfront:UpdateDistribution",   # or "cloudfront:*", "*"
     "error": "throttle",                        # see KINDS below, or "custom"
     "count": 2,                                 # answer the next 2 matching calls (then the rule is spent)
     "rate": 0.3,                                # or: each matching call fails with this probability
     "skip": 0,                                  # let this many matching calls through first
     "lost_response": false,                     # true: serve the call (its change is made), then
                                                 # answer with the fault, as when a response is lost
                                                 # on its way back and the client retries
     "code": "...", "status": 400, "message": "..."}   # only for error="custom"

Rules are tried in order; the first that fires answers the call.  A rule with
neither count nor rate fires on every matching call.
"""

from __future__ import annotations

from typing import Any

from .state import STATE

# kind -> service -> (code, status, message)
KINDS: dict[str, dict[str, tuple[str, int, str]]] = {
    "throttle": {
        "cloudfront": ("Throttling", 400, "Rate exceeded"),
        "route53": ("Throttling", 400, "Rate exceeded"),
        "elbv2": ("Throttling", 400, "Rate exceeded"),
        "*": ("Throttling", 400, "Rate exceeded"),
    },
    "prior_request_not_complete": {
        "route53": (
            "PriorRequestNotComplete",
            400,
            "The request was rejected because Route 53 was still processing a prior request.",
        ),
        "elbv2": ("PriorRequestNotComplete", 429, "A previous request is still in progress."),
        "*": ("Throttling", 400, "Rate exceeded"),
    },
    "unavailable": {
        "*": ("ServiceUnavailable", 503, "Service Unavailable"),
    },
    "internal": {
        "elbv2": ("InternalFailure", 500, "An internal error has occurred."),
        "*": ("InternalError", 500, "We encountered an internal error. Please try again."),
    },
}

SERVICE_ALIASES = {"elasticloadbalancing": "elbv2", "elasticloadbalancingv2": "elbv2", "elb": "elbv2"}


def _norm_match(match: str) -> str:
    if match == "*" or ":" not in match:
        return match
    svc, op = match.split(":", 1)
    return f"{SERVICE_ALIASES.get(svc.lower(), svc.lower())}:{op}"


def normalize_fault(rule: Any) -> dict[str, Any]:
    if not isinstance(rule, dict):
        raise ValueError("a fault must be an object")
    rule = dict(rule)
    match = rule.pop("match", None) or rule.pop("operation", None) or "*"
    kind = rule.pop("error", None) or rule.pop("kind", None) or "throttle"
    if kind not in KINDS and kind != "custom":
        raise ValueError(f"unknown fault error {kind!r}; known: {sorted(KINDS) + ['custom']}")
    out: dict[str, Any] = {"match": _norm_match(str(match)), "error": kind}
    if "count" in rule:
        count = rule.pop("count")
        if not isinstance(count, int) or count < 0:
            raise ValueError("count must be a non-negative integer")
        out["count"] = count
    if "rate" in rule:
        rate = rule.pop("rate")
        if not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError("rate must be between 0 and 1")
        out["rate"] = float(rate)
    skip = rule.pop("skip", 0)
    if not isinstance(skip, int) or skip < 0:
        raise ValueError("skip must be a non-negative integer")
    out["skip"] = skip
    lost = rule.pop("lost_response", False)
    if not isinstance(lost, bool):
        raise ValueError("lost_response must be true or false")
    if lost:
        out["lost_response"] = True
    if kind == "custom":
        try:
            out["code"] = str(rule.pop("code"))
        except KeyError:
            raise ValueError("a custom fault needs a code") from None
        out["status"] = int(rule.pop("status", 400))
        out["message"] = str(rule.pop("message", out["code"]))
    if rule:
        raise ValueError(f"unknown fault fields: {sorted(rule)}")
    return out


def _matches(pattern: str, service: str, op_key: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith(":*"):
        return pattern[:-2] == service
    return pattern == op_key


def throttle_answer(service: str) -> tuple[str, int, str, bool]:
    """The service's answer to a call over its rate: (code, status, message, lost_response)."""
    code, status, message = KINDS["throttle"].get(service) or KINDS["throttle"]["*"]
    return code, status, message, False


def pick_fault(service: str, op_key: str) -> tuple[str, int, str, bool] | None:
    """Decide whether this call fails; consumes counts. Caller holds the lock.

    Answers (code, status, message, lost_response)."""
    faults = STATE.config["faults"]
    for rule in list(faults):
        if not _matches(rule["match"], service, op_key):
            continue
        if rule.get("skip", 0) > 0:
            rule["skip"] -= 1
            continue
        if "count" in rule:
            if rule["count"] <= 0:
                continue
            if "rate" in rule and STATE.rng.random() >= rule["rate"]:
                continue
            rule["count"] -= 1
            if rule["count"] <= 0:
                faults.remove(rule)
        elif "rate" in rule:
            if STATE.rng.random() >= rule["rate"]:
                continue
        lost = rule.get("lost_response", False)
        if rule["error"] == "custom":
            return rule["code"], rule["status"], rule["message"], lost
        table = KINDS[rule["error"]]
        code, status, message = table.get(service) or table["*"]
        return code, status, message, lost
    return None
