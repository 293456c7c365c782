"""AWS error responses in each service's own wire shape.

CloudFront and Route53 (rest-xml) and ELBv2 (query) all answer errors as
``<ErrorResponse xmlns=..><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>``
with the service's XML namespace; the HTTP status comes from the botocore service
model (``error.httpStatusCode``) unless given.  ``AwsError`` is a werkzeug
HTTPException, so moto's ``BaseResponse.call_action`` returns it as-is when it is
raised from a (patched) backend or response method.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any
from xml.sax.saxutils import escape

from werkzeug.exceptions import HTTPException

NAMESPACES = {
    "cloudfront": "http://cloudfront.amazonaws.com/doc/2020-05-31/",
    "route53": "https://route53.amazonaws.com/doc/2013-04-01/",
    "elbv2": "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
}

# Errors that are not modelled in the service JSON but that the services send.
_UNMODELLED_STATUS = {
    "Throttling": 400,
    "ValidationError": 400,
    "ServiceUnavailable": 503,
    "InternalError": 500,
    "InternalFailure": 500,
}


@functools.lru_cache(maxsize=None)
def _model_statuses(service: str) -> dict[str, int]:
    import botocore.session

    model = botocore.session.get_session().get_service_model(service)
    statuses: dict[str, int] = {}
    for name in model.shape_names:
        shape = model.shape_for(name)
        meta = shape.metadata
        if not meta.get("exception"):
            continue
        err = meta.get("error", {})
        code = err.get("code", name)
        statuses[code] = err.get("httpStatusCode", 400)
    return statuses


def status_for(service: str, code: str) -> int:
    try:
        statuses = _model_statuses(service)
    except Exception:  # pragma: no cover - unknown service
        statuses = {}
    if code in statuses:
        return statuses[code]
    return _UNMODELLED_STATUS.get(code, 400)


def new_request_id() -> str:
    return str(uuid.uuid4())


def error_body(service: str, code: str, message: str, status: int, request_id: str) -> str:
    ns = NAMESPACES.get(service, "")
    xmlns = f' xmlns="{ns}"' if ns else ""
    fault = "Receiver" if status >= 500 else "Sender"
    return (
        '<?xml version="1.0"?>\n'
        f"<ErrorResponse{xmlns}><Error><Type>{fault}</Type>"
        f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    )


def error_response(
    service: str, code: str, message: str, status: int | None = None, extra_headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    status = status or status_for(service, code)
    request_id = new_request_id()
    body = error_body(service, code, message, status, request_id).encode()
    headers = {
        "Content-Type": "text/xml",
        "x-amzn-RequestId": request_id,
        "Content-Length": str(len(body)),
    }
    if extra_headers:
        headers.update(extra_headers)
    return status, headers, body


class AwsError(HTTPException):
    """Raised from inside moto handlers; moto turns it into the HTTP response."""

    def __init__(self, service: str, code: str, message: str, status: int | None = None) -> None:
        super().__init__()
        self.service = service
        self.error_code = code
        self.message = message
        self.code = status or status_for(service, code)  # werkzeug: HTTP status
        self.request_id = new_request_id()
        self.description = error_body(service, code, message, self.code, self.request_id)

    def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        return [("Content-Type", "text/xml"), ("x-amzn-RequestId", self.request_id)]

    def get_body(self, *args: Any, **kwargs: Any) -> str:
        return self.description or ""

    def __str__(self) -> str:
        return f"{self.error_code}: {self.message}"


def cf_error(code: str, message: str, status: int | None = None) -> AwsError:
    return AwsError("cloudfront", code, message, status)


def r53_error(code: str, message: str, status: int | None = None) -> AwsError:
    return AwsError("route53", code, message, status)


def elb_error(code: str, message: str, status: int | None = None) -> AwsError:
    return AwsError("elbv2", code, message, status)
