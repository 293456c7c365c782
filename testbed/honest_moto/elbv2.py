"""ELBv2 listener rules: the rules AWS enforces that moto 5.2.5 does not.

- Priority outside 1..50000 (CreateRule, SetRulePriorities): 400 ValidationError.
- More than 5 condition values in a rule (CreateRule, ModifyRule): 400 ValidationError
  "A rule can only have '5' condition values" (AWS has no dedicated code for it);
  likewise more than 5 wildcards; at most one host-header / path-pattern /
  http-request-method / source-ip condition per rule; at least one condition.
- More non-default rules on one load balancer (all its listeners) than the quota
  (default 100): 400 TooManyRules.
- DeleteRule of a missing rule: 400 RuleNotFound; of a default rule: 400 OperationNotPermitted.
- SetRulePriorities is checked against the final state, so swapping two rules'
  priorities in one call works (moto refuses it), and a clash with a rule that is
  not moved is 400 PriorityInUse.  Moto's PriorityInUse on CreateRule is kept.
- After every served CreateRule / ModifyRule / DeleteRule / SetRulePriorities, the hosts
  with an A/AAAA record that the change left without a rule are logged (host_coverage.py).
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from moto.elbv2 import models as elbm
from moto.elbv2.exceptions import DuplicatePriorityError, PriorityInUseError, RuleNotFoundError

from . import host_coverage
from .errors import elb_error
from .state import cfg

SINGLE_CONDITIONS = ("host-header", "path-pattern", "http-request-method", "source-ip")
CONFIG_KEYS = {
    "host-header": "HostHeaderConfig",
    "path-pattern": "PathPatternConfig",
    "http-header": "HttpHeaderConfig",
    "http-request-method": "HttpRequestMethodConfig",
    "query-string": "QueryStringConfig",
    "source-ip": "SourceIpConfig",
}


def _check_priority(priority: Any) -> int:
    try:
        value = int(priority)
    except (TypeError, ValueError):
        raise elb_error(
            "ValidationError", f"1 validation error detected: Value '{priority}' at 'priority' failed to satisfy constraint: Member must not be null"
        ) from None
    if value < 1:
        raise elb_error(
            "ValidationError",
            f"1 validation error detected: Value '{value}' at 'priority' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1",
        )
    if value > 50000:
        raise elb_error(
            "ValidationError",
            f"1 validation error detected: Value '{value}' at 'priority' failed to satisfy constraint: "
            "Member must have value less than or equal to 50000",
        )
    return value


def _condition_values(condition: dict[str, Any]) -> list[str]:
    field = condition.get("Field")
    values: list[str] = [str(v) for v in (condition.get("Values") or [])]
    config = condition.get(CONFIG_KEYS.get(field or "", ""), None) or {}
    for value in config.get("Values") or []:
        if isinstance(value, dict):  # query-string key/value pair
            values.append(f"{value.get('Key') or ''}={value.get('Value') or ''}")
        else:
            values.append(str(value))
    return values


def validate_conditions(conditions: list[dict[str, Any]] | None, required: bool = True) -> None:
    conditions = conditions or []
    if required and not conditions:
        raise elb_error("ValidationError", "A rule must have at least one condition")
    seen: dict[str, int] = {}
    total = wildcards = 0
    for condition in conditions:
        field = condition.get("Field") or ""
        seen[field] = seen.get(field, 0) + 1
        if field in SINGLE_CONDITIONS and seen[field] > 1:
            raise elb_error("ValidationError", f"A rule can only have one '{field}' condition")
        values = _condition_values(condition)
        total += len(values)
        if field in ("host-header", "path-pattern", "http-header", "query-string"):
            wildcards += sum(v.count("*") + v.count("?") for v in values)
    max_values = cfg("elbv2_condition_values_per_rule")
    if total > max_values:
        raise elb_error("ValidationError", f"A rule can only have '{max_values}' condition values")
    max_wild = cfg("elbv2_condition_wildcards_per_rule")
    if wildcards > max_wild:
        raise elb_error("ValidationError", f"A rule can only have '{max_wild}' condition wildcards")


def _find_listener(backend: Any, listener_arn: str) -> Any:
    for lb in backend.load_balancers.values():
        listener = lb.listeners.get(listener_arn)
        if listener is not None:
            return listener
    return None


def _rules_on_load_balancer(backend: Any, lb_arn: str) -> int:
    lb = backend.load_balancers.get(lb_arn)
    if lb is None:
        return 0
    return sum(len(listener._non_default_rules) for listener in lb.listeners.values())


def _find_rule(backend: Any, rule_arn: str) -> tuple[Any, Any]:
    for lb in backend.load_balancers.values():
        for listener in lb.listeners.values():
            for rule in listener.rules.values():
                if rule.arn == rule_arn:
                    return listener, rule
    return None, None


_orig_create_rule = elbm.ELBv2Backend.create_rule
_orig_modify_rule = elbm.ELBv2Backend.modify_rule


def create_rule(
    self: Any,
    listener_arn: str,
    conditions: list[dict[str, Any]],
    priority: int,
    actions: list[dict[str, Any]],
    tags: list[dict[str, str]] | None = None,
) -> Any:
    priority = _check_priority(priority)
    validate_conditions(conditions)
    listener = _find_listener(self, listener_arn)
    if listener is not None:
        for rule in listener.rules.values():
            if rule.priority == priority:
                raise PriorityInUseError()
        quota = cfg("elbv2_rules_per_alb_quota")
        if _rules_on_load_balancer(self, listener.load_balancer_arn) >= quota:
            raise elb_error(
                "TooManyRules",
                f"The load balancer '{listener.load_balancer_arn}' already has the maximum number of rules ({quota}).",
            )
    return _orig_create_rule(self, listener_arn, conditions, priority, actions, tags)


def modify_rule(self: Any, rule_arn: str, conditions: list[dict[str, Any]], actions: list[dict[str, Any]]) -> Any:
    _listener, rule = _find_rule(self, rule_arn)
    if rule is None:
        raise RuleNotFoundError("One or more rules not found")
    if conditions:
        if rule.is_default:
            raise elb_error("OperationNotPermitted", "Conditions cannot be set on a default rule")
        validate_conditions(conditions)
    return _orig_modify_rule(self, rule_arn, conditions, actions)


def delete_rule(self: Any, arn: str) -> None:
    listener, rule = _find_rule(self, arn)
    if rule is None:
        raise RuleNotFoundError("One or more rules not found")
    if rule.is_default:
        raise elb_error("OperationNotPermitted", "Default rules cannot be deleted")
    listener.remove_rule(rule.arn)
    try:
        self.tagging_service.delete_all_tags_for_resource(rule.arn)
    except Exception:
        pass


def set_rule_priorities(self: Any, rule_priorities: list[dict[str, Any]]) -> list[Any]:
    wanted: list[tuple[Any, Any, int]] = []
    priorities = []
    for item in rule_priorities or []:
        priority = _check_priority(item.get("Priority"))
        priorities.append(priority)
        listener, rule = _find_rule(self, item.get("RuleArn"))
        if rule is None:
            raise RuleNotFoundError("One or more rules not found")
        if rule.is_default:
            raise elb_error("OperationNotPermitted", "The priority of a default rule cannot be changed")
        wanted.append((listener, rule, priority))
    for priority in set(priorities):
        if priorities.count(priority) > 1:
            raise DuplicatePriorityError(str(priority))
    moving = {rule.arn for _l, rule, _p in wanted}
    for listener, rule, priority in wanted:
        for other in listener.rules.values():
            if other.arn in moving or other.is_default:
                continue
            if other.priority == priority:
                raise PriorityInUseError()
    for _listener, rule, priority in wanted:
        rule.priority = priority
    return [rule for _l, rule, _p in wanted]


def _logs_coverage(operation: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """The rule change, followed (when it is made) by the coverage log's check."""

    @functools.wraps(fn)
    def change(self: Any, *args: Any, **kwargs: Any) -> Any:
        before = host_coverage.rule_hosts()
        result = fn(self, *args, **kwargs)
        host_coverage.record_change(operation, before)
        return result

    return change


def install() -> None:
    elbm.ELBv2Backend.create_rule = _logs_coverage("elbv2:CreateRule", create_rule)  # type: ignore[method-assign]
    elbm.ELBv2Backend.modify_rule = _logs_coverage("elbv2:ModifyRule", modify_rule)  # type: ignore[method-assign]
    elbm.ELBv2Backend.delete_rule = _logs_coverage("elbv2:DeleteRule", delete_rule)  # type: ignore[method-assign]
    elbm.ELBv2Backend.set_rule_priorities = _logs_coverage(  # type: ignore[method-assign]
        "elbv2:SetRulePriorities", set_rule_priorities
    )
