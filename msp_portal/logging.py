"""Structured logging: every log line of a request carries that request's id, and an expected
refusal (403, 404, a 400 for a malformed request) is one line without a traceback
(docs/errors.md)."""

import contextvars
import logging
import uuid

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


class ExpectedRefusalFilter(logging.Filter):
    """Drops the traceback from the record of an answer below 500.

    Django logs a refused request with the exception that caused it (PermissionDenied, Http404,
    a SuspiciousOperation, a multipart parse error): a traceback for each expected 403 buries
    the real errors. The one line keeps the status, the path and the request id; a 500 keeps
    its traceback. Set on ``django.request`` (so every handler, test capture included, gets the
    short record) and on the handler (for the ``django.security.*`` loggers, named per case).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True


class RequestIdMiddleware:
    """Takes the caller's X-Request-ID (or makes one), exposes it to logs and echoes it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response
