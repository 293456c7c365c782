"""Route53: ChangeResourceRecordSets as AWS does it, and changes that take time.

- The whole batch is checked against the zone as it would be after each change in
  order; if any change is refused, none is applied, and the answer is one 400
  ``InvalidChangeBatch`` whose message lists every problem, ``[msg1, msg2]``, in
  AWS's words:
    * CREATE of an existing name+type(+SetIdentifier): "Tried to create resource
      record set [name='x.', type='A'] but it already exists"
    * DELETE of a missing record: "... but it was not found"
    * DELETE whose TTL / values / alias target (incl. EvaluateTargetHealth) /
      routing fields differ: "... but the values provided do not match the current values"
    * CNAME next to another type at the same name (both ways)
    * a name outside the zone
    * an alias to CloudFront not in zone Z2FDTNDATAQYW2, or to a missing record of
      the same zone
    * more than 1,000 changes / records (UPSERT counts twice) or 32,000 characters
- A record needs exactly one of AliasTarget or TTL+ResourceRecords: 400 InvalidInput.
- Names are stored lowercase with a trailing dot, ``*`` as ``\\052`` (as AWS answers).
- Every change gets its own id; GetChange answers PENDING for N reads (with the time
  model on: for a time), then INSYNC;
  an unknown id: 404 NoSuchChange.
"""

from __future__ import annotations

import copy
import datetime
import string
import time
from typing import Any

from moto.core.responses import ActionResult
from moto.moto_api._internal import mock_random as random
from moto.route53 import models as r53m
from moto.route53 import responses as r53r
from moto.route53.exceptions import InvalidActionValue

from .errors import r53_error
from .state import STATE, cfg

CLOUDFRONT_ZONE = "Z2FDTNDATAQYW2"
ROUTING_FIELDS = ("SetIdentifier", "Weight", "Region", "Failover", "GeoLocation", "HealthCheckId", "MultiValueAnswer")


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def normalize_name(name: str) -> str:
    name = (name or "").strip()
    if not name.endswith("."):
        name += "."
    name = name.lower()
    if name.startswith("*"):
        name = "\\052" + name[1:]
    return name


def _alias_norm(alias: dict[str, Any] | None) -> tuple[str, str, bool] | None:
    if not alias:
        return None
    return (
        str(alias.get("HostedZoneId", "")).replace("/hostedzone/", ""),
        normalize_name(str(alias.get("DNSName", ""))),
        bool(alias.get("EvaluateTargetHealth", False)),
    )


def _key(rec: dict[str, Any]) -> tuple[str, str, str | None]:
    return (rec["Name"], rec["Type"], rec.get("SetIdentifier"))


def _record_from_change(rrset: dict[str, Any]) -> dict[str, Any]:
    rec = {k: copy.deepcopy(v) for k, v in rrset.items() if v is not None}
    rec["Name"] = normalize_name(rrset.get("Name", ""))
    if "ResourceRecords" in rec:
        rec["ResourceRecords"] = [str(r.get("Value") if isinstance(r, dict) else r) for r in rec["ResourceRecords"]]
    if rec.get("AliasTarget"):
        target = dict(rec["AliasTarget"])
        target["DNSName"] = normalize_name(str(target.get("DNSName", "")))
        target["EvaluateTargetHealth"] = bool(target.get("EvaluateTargetHealth", False))
        rec["AliasTarget"] = target
    return rec


def _record_from_moto(rs: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {"Name": normalize_name(rs.name), "Type": rs.type}
    if rs.ttl is not None:
        rec["TTL"] = int(rs.ttl)
    if rs.records:
        rec["ResourceRecords"] = list(rs.records)
    if rs.alias_target:
        rec["AliasTarget"] = rs.alias_target
    for field, attr in (
        ("SetIdentifier", "set_identifier"), ("Weight", "weight"), ("Region", "region"),
        ("Failover", "failover"), ("GeoLocation", "geo_location"), ("HealthCheckId", "health_check_id"),
        ("MultiValueAnswer", "multi_value_answer"),
    ):
        value = getattr(rs, attr, None)
        if value is not None:
            rec[field] = value
    return rec


def _same(existing: dict[str, Any], given: dict[str, Any]) -> bool:
    if existing.get("TTL") != (int(given["TTL"]) if given.get("TTL") is not None else None):
        return False
    if sorted(existing.get("ResourceRecords") or []) != sorted(given.get("ResourceRecords") or []):
        return False
    if _alias_norm(existing.get("AliasTarget")) != _alias_norm(given.get("AliasTarget")):
        return False
    for field in ROUTING_FIELDS:
        a, b = existing.get(field), given.get(field)
        if field == "Weight":
            a = int(a) if a is not None else None
            b = int(b) if b is not None else None
        if a != b:
            return False
    return True


def _label(rec: dict[str, Any]) -> str:
    label = f"[name='{rec['Name']}', type='{rec['Type']}'"
    if rec.get("SetIdentifier") is not None:
        label += f", set-identifier='{rec['SetIdentifier']}'"
    return label + "]"


def _count_records(changes: list[dict[str, Any]]) -> tuple[int, int]:
    records = chars = 0
    for change in changes:
        rrset = change.get("ResourceRecordSet") or {}
        values = [str(r.get("Value") if isinstance(r, dict) else r) for r in (rrset.get("ResourceRecords") or [])]
        n = max(len(values), 1)
        factor = 2 if change.get("Action") == "UPSERT" else 1
        records += n * factor
        chars += sum(len(v) for v in values) * factor
    return records, chars


def change_resource_record_sets(self: Any, zoneid: str, change_list: list[dict[str, Any]]) -> None:
    zone = self.get_hosted_zone(zoneid)
    zone_name = normalize_name(zone.name)
    limit = cfg("route53_max_changes_per_batch")
    change_list = change_list or []
    if len(change_list) > limit:
        raise r53_error("InvalidChangeBatch", f"[Number of changes limit of {limit} exceeded.]")
    n_records, n_chars = _count_records(change_list)
    if n_records > limit:
        raise r53_error("InvalidChangeBatch", f"[Number of records limit of {limit} exceeded.]")
    if n_chars > 32000:
        raise r53_error("InvalidChangeBatch", "[Number of characters limit of 32000 exceeded.]")

    # Shape checks: InvalidInput, like AWS's request validation.
    for change in change_list:
        action = change.get("Action")
        if action not in ("CREATE", "DELETE", "UPSERT"):
            raise InvalidActionValue(action)
        rrset = change.get("ResourceRecordSet") or {}
        has_alias = bool(rrset.get("AliasTarget"))
        has_records = rrset.get("TTL") is not None and bool(rrset.get("ResourceRecords"))
        has_partial = rrset.get("TTL") is not None or bool(rrset.get("ResourceRecords"))
        if has_alias == has_records or (has_alias and has_partial):
            raise r53_error(
                "InvalidInput",
                "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or "
                f"TrafficPolicyInstanceId], but found {'more than one' if has_alias and has_partial else 'none'} in Change with "
                f"[Action={action}, Name={rrset.get('Name')}, Type={rrset.get('Type')}, "
                f"SetIdentifier={rrset.get('SetIdentifier', 'null')}]",
            )

    current: dict[tuple[str, str, str | None], dict[str, Any]] = {}
    order: list[tuple[str, str, str | None]] = []
    for rs in zone.rrsets:
        rec = _record_from_moto(rs)
        current[_key(rec)] = rec
        order.append(_key(rec))

    errors: list[str] = []
    for change in change_list:
        action = change["Action"]
        rec = _record_from_change(change["ResourceRecordSet"])
        key = _key(rec)
        name, rtype = rec["Name"], rec["Type"]
        if name != zone_name and not name.endswith("." + zone_name):
            errors.append(f"RRSet with DNS name {name} is not permitted in zone {zone_name}")
            continue
        if action == "DELETE":
            existing = current.get(key)
            if existing is None:
                errors.append(f"Tried to delete resource record set {_label(rec)} but it was not found")
            elif not _same(existing, rec):
                errors.append(
                    f"Tried to delete resource record set {_label(rec)} but the values provided do not match the current values"
                )
            else:
                del current[key]
            continue
        # CREATE / UPSERT
        if action == "CREATE" and key in current:
            errors.append(f"Tried to create resource record set {_label(rec)} but it already exists")
            continue
        conflict = None
        for other in current.values():
            if other["Name"] != name or other["Type"] == rtype:
                continue
            if rtype == "CNAME" or other["Type"] == "CNAME":
                conflict = other
                break
        if conflict is not None:
            errors.append(
                f"RRSet of type {rtype} with DNS name {name} is not permitted because a conflicting RRSet of type "
                f"{conflict['Type']} with the same DNS name already exists in zone {zone_name}"
            )
            continue
        alias = _alias_norm(rec.get("AliasTarget"))
        if alias is not None:
            hz, dns, _eth = alias
            if dns.endswith(".cloudfront.net.") and hz != CLOUDFRONT_ZONE:
                errors.append(
                    f"Tried to create an alias that targets {dns}, type {rtype} in zone {hz}, but the alias target "
                    "name does not lie within the target zone"
                )
                continue
            if hz == zone.resource_id and not any(
                o["Name"] == dns and o["Type"] == rtype for o in current.values()
            ):
                errors.append(
                    f"Tried to create an alias that targets {dns}, type {rtype} in zone {hz}, but that target was not found"
                )
                continue
        if key not in current:
            order.append(key)
        current[key] = rec

    if errors:
        raise r53_error("InvalidChangeBatch", "[" + ", ".join(errors) + "]")

    new_rrsets = []
    for key in order:
        rec = current.get(key)
        if rec is None:
            continue
        new_rrsets.append(r53m.RecordSet(rec))
        current.pop(key)
    zone.rrsets = new_rrsets
    for change in change_list:
        zone.rr_changes.append(copy.deepcopy(change))


# ---------------------------------------------------------------------------
# Changes: ids, PENDING for N reads (or, with the time model on, for a time)
# ---------------------------------------------------------------------------
def _changes(backend: Any) -> dict[str, dict[str, Any]]:
    store = backend.__dict__.get("_honest_changes")
    if store is None:
        store = {}
        backend.__dict__["_honest_changes"] = store
    return store


def _change_status(record: dict[str, Any]) -> str:
    clock = STATE.clock
    if clock is not None:
        return "PENDING" if clock.now() - record["submitted_at"] < clock.insync_seconds() else "INSYNC"
    return "PENDING" if record["reads_left"] > 0 else "INSYNC"


def new_change(backend: Any, comment: str | None = None) -> dict[str, Any]:
    change_id = "C" + "".join(random.choice(string.ascii_uppercase + string.digits) for _ in range(13))
    reads = cfg("route53_pending_reads")
    record = {
        "reads_left": reads,
        "submitted": _now(),
        "submitted_at": STATE.clock.now() if STATE.clock is not None else time.monotonic(),
        "comment": comment,
    }
    _changes(backend)[change_id] = record
    info: dict[str, Any] = {
        "Id": f"/change/{change_id}",
        "Status": _change_status(record),
        "SubmittedAt": record["submitted"],
    }
    if comment:
        info["Comment"] = comment
    return info


def resp_change_resource_record_sets(self: Any) -> ActionResult:
    zoneid = self._get_param("HostedZoneId")
    change_list = self._get_param("ChangeBatch.Changes") or []
    comment = self._get_param("ChangeBatch.Comment")
    self.backend.change_resource_record_sets(zoneid, change_list)
    return ActionResult({"ChangeInfo": new_change(self.backend, comment)})


def resp_get_change(self: Any) -> ActionResult:
    raw = str(self._get_param("Id") or "")
    change_id = raw.split("/")[-1]
    record = _changes(self.backend).get(change_id)
    if record is None:
        raise r53_error("NoSuchChange", f"A change with the specified change ID does not exist: {raw}")
    status = _change_status(record)
    if record["reads_left"] > 0 and STATE.clock is None:
        record["reads_left"] -= 1
    info: dict[str, Any] = {"Id": f"/change/{change_id}", "Status": status, "SubmittedAt": record["submitted"]}
    if record.get("comment"):
        info["Comment"] = record["comment"]
    return ActionResult({"ChangeInfo": info})


def _with_change_id(original: Any) -> Any:
    def action(self: Any) -> Any:
        result = original(self)
        if isinstance(result, ActionResult) and isinstance(result.result, dict) and "ChangeInfo" in result.result:
            comment = (result.result.get("ChangeInfo") or {}).get("Comment")
            result.result["ChangeInfo"] = new_change(self.backend, comment)
        return result

    return action


_orig_create_zone = r53m.Route53Backend.create_hosted_zone


def install() -> None:
    r53m.Route53Backend.change_resource_record_sets = change_resource_record_sets  # type: ignore[method-assign]
    r53r.Route53.change_resource_record_sets = resp_change_resource_record_sets  # type: ignore[method-assign]
    r53r.Route53.get_change = resp_get_change  # type: ignore[method-assign]
    for name in (
        "create_hosted_zone",
        "delete_hosted_zone",
        "associate_vpc_with_hosted_zone",
        "disassociate_vpc_from_hosted_zone",
    ):
        setattr(r53r.Route53, name, _with_change_id(getattr(r53r.Route53, name)))
