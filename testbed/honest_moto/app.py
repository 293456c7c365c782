"""The WSGI layer in front of moto's DomainDispatcherApplication.

- ``/honest-api/*``: the control API (JSON, unsigned), see ``CONTROL_DOC``.
- ``/moto-api/reset``: moto's reset, plus the honest layer's state.
- every other request is an AWS call: it is named "service:Operation" (ELBv2 by its
  ``Action``, CloudFront/Route53 by method + path shape from the botocore model),
  counted, possibly answered by an injected fault or (with the time model on) by a
  rate limit, else served by moto, one at a time under ``state.LOCK``; the time
  model's latency is slept outside the lock, so calls overlap as they do on AWS.
"""

from __future__ import annotations

import io
import json
import re
import time
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

from .errors import error_response
from .faults import normalize_fault, pick_fault, throttle_answer
from .state import LOCK, STATE

SIGNING_TO_SERVICE = {"elasticloadbalancing": "elbv2"}

CONTROL_DOC = {
    "GET /honest-api/health": "readiness: {ok: true}",
    "GET /honest-api/config": "current configuration (quotas, delays, faults)",
    "POST /honest-api/config": "merge a JSON object of settings into the configuration",
    "POST /honest-api/reset": "reset moto's state, the honest layer's state, counters and config (to startup values)",
    "GET /honest-api/calls": "counts of AWS calls per 'service:Operation' since the last reset, of those faulted and of those throttled (?log=1 adds the ordered log, each call with 'at', wall seconds since the reset, and 'served_ms', the emulator's own time on it)",
    "POST /honest-api/calls/reset": "zero the call counters only",
    "GET /honest-api/faults": "the fault rules still armed",
    "POST /honest-api/faults": "append one fault rule (object) or several (list)",
    "DELETE /honest-api/faults": "disarm all fault rules",
    "GET /honest-api/uncovered": "hosts with an A/AAAA record that an ELBv2 rule change left matched by no rule: {uncovered: [{seq, at, operation, host, rules}]} since the last reset",
    "DELETE /honest-api/uncovered": "clear that log only",
    "GET /honest-api/unserved": "hosts with an A/AAAA record that a CloudFront call left held by no enabled distribution or distribution tenant: {unserved: [{seq, at, operation, host, holders}]} since the last reset",
    "DELETE /honest-api/unserved": "clear that log only",
}


# ---------------------------------------------------------------------------
# Operation naming
# ---------------------------------------------------------------------------
class RestOperationMatcher:
    """Names a rest-xml request by method + path (+ required query keys) from the botocore model."""

    def __init__(self, service: str) -> None:
        import botocore.session

        model = botocore.session.get_session().get_service_model(service)
        rules = []
        for name in model.operation_names:
            http = model.operation_model(name).http
            uri = http.get("requestUri", "/")
            path, _, query = uri.partition("?")
            path = path.rstrip("/") or "/"  # SDKs differ on trailing slashes (route53 .../rrset/)
            regex = "^" + re.sub(
                r"\{([A-Za-z0-9_]+)(\+?)\}",
                lambda m: ".+" if m.group(2) else "[^/]+",
                re.escape(path).replace(r"\{", "{").replace(r"\}", "}"),
            ) + "/?$"
            required = {}
            for part in filter(None, query.split("&")):
                key, _, value = part.partition("=")
                required[key] = value or None
            literal = len(re.sub(r"\{[^}]+\}", "", path))
            rules.append((http.get("method", "GET"), re.compile(regex), required, literal, name))
        # most specific first: required query keys, then longer literal paths
        rules.sort(key=lambda r: (-len(r[2]), -r[3]))
        self.rules = rules

    def match(self, method: str, path: str, query: dict[str, list[str]]) -> str | None:
        for rule_method, regex, required, _literal, name in self.rules:
            if rule_method != method or not regex.match(path):
                continue
            ok = True
            for key, value in required.items():
                if key not in query or (value is not None and value not in query[key]):
                    ok = False
                    break
            if ok:
                return name
        return None


_MATCHERS: dict[str, RestOperationMatcher] = {}


def _matcher(service: str) -> RestOperationMatcher | None:
    if service not in _MATCHERS:
        try:
            _MATCHERS[service] = RestOperationMatcher(service)
        except Exception:
            return None
    return _MATCHERS[service]


def signing_service(environ: dict[str, Any]) -> str | None:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    m = re.search(r"Credential=[^/,\s]+/\d{8}/[^/]+/([^/]+)/aws4_request", auth)
    if not m:
        return None
    svc = m.group(1).lower()
    return SIGNING_TO_SERVICE.get(svc, svc)


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def name_operation(environ: dict[str, Any]) -> tuple[str, str]:
    """(service, "service:Operation") for an AWS request."""
    service = signing_service(environ) or "unknown"
    method = environ.get("REQUEST_METHOD", "GET")
    # The path as sent: a "/" inside a label (an ARN as CloudFront's Identifier) is still %2F.
    raw_path = (environ.get("RAW_URI") or environ.get("REQUEST_URI") or "").partition("?")[0]
    path = raw_path or environ.get("PATH_INFO", "/")
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    operation = None
    if "Action" in query:
        operation = query["Action"][0]
    elif environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        form = parse_qs(_read_body(environ).decode("utf-8", "replace"), keep_blank_values=True)
        if "Action" in form:
            operation = form["Action"][0]
    if operation is None and environ.get("HTTP_X_AMZ_TARGET"):
        operation = environ["HTTP_X_AMZ_TARGET"].split(".")[-1]
    if operation is None and service != "unknown":
        matcher = _matcher(service)
        if matcher is not None:
            operation = matcher.match(method, path, query)
    return service, f"{service}:{operation or 'Unknown'}"


# ---------------------------------------------------------------------------
# The application
# ---------------------------------------------------------------------------
def _json(start_response: Callable, status: int, payload: Any) -> list[bytes]:
    body = json.dumps(payload, indent=1, sort_keys=True, default=str).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}.get(status, "OK")
    start_response(
        f"{status} {reason}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


def reset_moto() -> None:
    """moto's reset without its wasted work.

    moto's ``BackendDict.reset`` re-runs ``__init__`` on every region backend and then
    drops them all from the dicts anyway (EC2's re-init alone costs ~0.2 s); dropping
    them is enough, backends are created afresh on next use.
    """
    from moto.core.base_backend import BackendDict, backend_lock
    from moto.core.model_instances import reset_model_data
    from moto.moto_api._internal.models import moto_api_backend

    with backend_lock:
        for backend_dict in list(BackendDict._instances):
            backend_dict.clear()
        BackendDict._instances.clear()
    reset_model_data()
    moto_api_backend.__init__(moto_api_backend.region_name, moto_api_backend.account_id)


def reset_all() -> None:
    with LOCK:
        reset_moto()
        STATE.reset()


class HonestApp:
    def __init__(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        self.moto = DomainDispatcherApplication(create_backend_app)

    def warm(self) -> None:
        """Answers one read of each service the provider calls, uncounted, so that what moto
        does on a service's first call (build its app, load its botocore model, about a
        quarter of a second each time, which AWS never charges) is done before the first
        real call. Run in the background once the server is up; a call that comes first
        waits for the lock like any other."""
        from werkzeug.test import EnvironBuilder

        reads = [
            ("cloudfront", "GET", "/2020-05-31/distribution", None),
            ("route53", "GET", "/2013-04-01/hostedzone", None),
            ("elasticloadbalancing", "POST", "/", "Action=DescribeLoadBalancers&Version=2015-12-01"),
            ("sts", "POST", "/", "Action=GetCallerIdentity&Version=2011-06-15"),
        ]
        for signing, method, path, form in reads:
            credential = f"Credential=warm/20260101/us-east-1/{signing}/aws4_request"
            headers = {"Authorization": f"AWS4-HMAC-SHA256 {credential}, SignedHeaders=host, Signature=0"}
            if form is not None:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            environ = EnvironBuilder(path=path, method=method, headers=headers, data=form).get_environ()
            name_operation(environ)
            with LOCK:
                self._call_moto(environ)

    # -- moto, buffered under the lock ------------------------------------
    def _call_moto(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        captured: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable:
            captured["status"] = status
            captured["headers"] = headers
            return lambda data: None

        result = self.moto(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close:
                close()
        return captured["status"], captured["headers"], body

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/honest-api"):
            return self.control(environ, start_response)
        if path.startswith("/moto-api/reset") and environ.get("REQUEST_METHOD") == "POST":
            with LOCK:
                status, headers, body = self._call_moto(environ)
                STATE.reset()
            start_response(status, headers)
            return [body]
        if path.startswith("/moto-api") or path == "/favicon.ico":
            with LOCK:
                status, headers, body = self._call_moto(environ)
            start_response(status, headers)
            return [body]

        service = signing_service(environ)
        if service not in ("cloudfront", "route53", "sts", "iam", "acm"):
            from . import install_elbv2

            install_elbv2()  # before any ELBv2 (or EC2, which may import it) request is served
        with LOCK:
            service, op_key = name_operation(environ)
            STATE.calls[op_key] += 1
            clock = STATE.clock
            delay = clock.latency(service, op_key) if clock is not None else 0.0
            answer = self._refusal(environ, service, op_key, clock)
            if answer is None and delay <= 0:
                answer = self._serve(environ, op_key)
        if delay > 0:
            # Outside the lock: calls to AWS take their time in parallel.
            time.sleep(delay)
            if answer is None:
                with LOCK:
                    answer = self._serve(environ, op_key)
        status, headers, body = answer
        start_response(status, headers)
        return [body]

    def _serve(self, environ: dict[str, Any], op_key: str) -> tuple[str, list[tuple[str, str]], bytes]:
        """moto's answer to the call, logged with the emulator's own time on it (``served_ms``:
        moto's work under the lock, which no other call shares). Caller holds the lock."""
        started = time.perf_counter()
        answer = self._moto_watched(environ, op_key)
        served_ms = round((time.perf_counter() - started) * 1000, 3)
        STATE.log_call({"op": op_key, "status": int(answer[0].split()[0]), "served_ms": served_ms})
        return answer

    def _moto_watched(self, environ: dict[str, Any], op_key: str) -> tuple[str, list[tuple[str, str]], bytes]:
        """moto's answer; a CloudFront call that may move domains is followed by the unserved
        log's check (host_coverage.py). Caller holds the lock."""
        service, _, operation = op_key.partition(":")
        if service != "cloudfront" or operation.startswith(("Get", "List")):
            return self._call_moto(environ)
        from . import host_coverage

        before = host_coverage.cloudfront_holders()
        answer = self._call_moto(environ)
        if int(answer[0].split()[0]) < 300:
            host_coverage.record_holder_change(op_key, before)
        return answer

    def _refusal(
        self, environ: dict[str, Any], service: str, op_key: str, clock: Any
    ) -> tuple[str, list[tuple[str, str]], bytes] | None:
        """The answer of a call that an injected fault or a rate limit refuses, or None.
        Caller holds the lock."""
        fault = pick_fault(service, op_key)
        entry: dict[str, Any]
        if fault is not None:
            code, status_code, message, lost_response = fault
            if lost_response:
                # The change is made; only its answer is replaced.
                self._moto_watched(environ, op_key)
            STATE.faults_injected[op_key] += 1
            entry = {"op": op_key, "status": status_code, "fault": code}
            if lost_response:
                entry["lost_response"] = True
        elif clock is not None and not clock.admit(service, op_key):
            code, status_code, message, _ = throttle_answer(service)
            STATE.throttled[op_key] += 1
            entry = {"op": op_key, "status": status_code, "throttled": True}
        else:
            return None
        STATE.log_call(entry)
        status_i, headers_d, body = error_response(service, code, message, status_code)
        status = f"{status_i} {'Service Unavailable' if status_i == 503 else 'Error'}"
        return status, list(headers_d.items()), body

    # -- control API --------------------------------------------------------
    def control(self, environ: dict[str, Any], start_response: Callable) -> list[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "").rstrip("/")
        sub = path[len("/honest-api"):].lstrip("/")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        payload: Any = None
        if method in ("POST", "PUT"):
            raw = _read_body(environ)
            if raw.strip():
                try:
                    payload = json.loads(raw)
                except ValueError as exc:
                    return _json(start_response, 400, {"error": f"invalid JSON: {exc}"})
        try:
            with LOCK:
                if sub in ("", "help"):
                    return _json(start_response, 200, CONTROL_DOC)
                if sub == "health":
                    import moto

                    return _json(start_response, 200, {"ok": True, "moto": moto.__version__})
                if sub == "config":
                    if method == "GET":
                        return _json(start_response, 200, STATE.config)
                    if method in ("POST", "PUT"):
                        if not isinstance(payload, dict):
                            return _json(start_response, 400, {"error": "expected a JSON object"})
                        STATE.apply(payload)
                        return _json(start_response, 200, STATE.config)
                elif sub == "reset" and method == "POST":
                    reset_all()
                    return _json(start_response, 200, {"reset": True})
                elif sub == "calls" and method == "GET":
                    out: dict[str, Any] = {
                        "calls": dict(STATE.calls),
                        "total": sum(STATE.calls.values()),
                        "faults_injected": dict(STATE.faults_injected),
                        "throttled": dict(STATE.throttled),
                    }
                    if query.get("log", ["0"])[0] not in ("0", "", "false"):
                        out["log"] = list(STATE.call_log)
                    return _json(start_response, 200, out)
                elif sub == "calls/reset" and method == "POST":
                    STATE.reset_calls()
                    return _json(start_response, 200, {"reset": True})
                elif sub == "faults":
                    if method == "GET":
                        return _json(start_response, 200, STATE.config["faults"])
                    if method == "POST":
                        rules = payload if isinstance(payload, list) else [payload]
                        STATE.config["faults"].extend(normalize_fault(r) for r in rules)
                        return _json(start_response, 200, STATE.config["faults"])
                    if method == "DELETE":
                        STATE.config["faults"] = []
                        return _json(start_response, 200, [])
                elif sub == "uncovered":
                    if method == "GET":
                        return _json(start_response, 200, {"uncovered": list(STATE.uncovered)})
                    if method == "DELETE":
                        STATE.uncovered = []
                        return _json(start_response, 200, {"uncovered": []})
                elif sub == "unserved":
                    if method == "GET":
                        return _json(start_response, 200, {"unserved": list(STATE.unserved)})
                    if method == "DELETE":
                        STATE.unserved = []
                        return _json(start_response, 200, {"unserved": []})
                else:
                    return _json(start_response, 404, {"error": f"no such endpoint: {method} {path}", "endpoints": CONTROL_DOC})
                return _json(start_response, 405, {"error": f"method {method} not allowed on {path}"})
        except ValueError as exc:
            return _json(start_response, 400, {"error": str(exc)})
