"""One error path: services raise the domain errors of ``msp_portal.errors`` (or Django's
ValidationError); this module alone turns them into HTTP: the API handler, the HTML helpers and
the middleware that ends a page with 404/403. docs/errors.md, "Domain errors"."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_default_handler

# Re-exported for the views that catch them next to the helpers below: the same classes.
from msp_portal.errors import Conflict, DomainError, Invalid, NotAllowed, NotFound  # noqa: F401

# Each domain error's HTTP status: the only place a status is attached to a refusal. A bare
# DomainError (and its other subclasses, such as CurrencyMismatch) is a 400.
_STATUS = ((NotAllowed, status.HTTP_403_FORBIDDEN), (Conflict, status.HTTP_409_CONFLICT))


def status_of(exc: DomainError) -> int:
    return next((code for kind, code in _STATUS if isinstance(exc, kind)), status.HTTP_400_BAD_REQUEST)


def _validation_error_payload(exc: DjangoValidationError) -> tuple[str, dict]:
    if hasattr(exc, "error_dict"):
        fields = {name: [str(m) for m in errors.messages] for name, errors in exc.message_dict.items()}
        first = next(iter(fields.values()), [""])[0]
        return first, fields
    messages = [str(m) for m in exc.messages]
    return " ".join(messages), {}


def _body(status_code: int, code: str, detail: str, errors: dict | None = None, **extra) -> dict:
    body = {"status": status_code, "code": code, "detail": detail}
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def _flatten_drf_detail(detail) -> tuple[str, dict]:
    """DRF validation details are nested dicts/lists; keep the structure and find a headline."""
    if isinstance(detail, dict):
        errors = {key: _stringify(value) for key, value in detail.items()}
        non_field = errors.pop("non_field_errors", None)
        if non_field:
            return _first_text(non_field), errors
        key, value = next(iter(errors.items()), ("", ""))
        headline = _first_text(value)
        return (f"{key}: {headline}" if key else headline), errors
    if isinstance(detail, list):
        return _first_text(_stringify(detail)), {}
    return str(detail), {}


def _stringify(value):
    if isinstance(value, dict):
        return {str(k): _stringify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify(v) for v in value]
    return str(value)


def _first_text(value) -> str:
    while isinstance(value, (list, dict)) and value:
        value = value[0] if isinstance(value, list) else next(iter(value.values()))
    return str(value) if value else _("The request contains invalid data.")


def api_exception_handler(exc, context):
    """Every API error as ``{"status", "code", "detail", "errors"?}`` with an actionable detail."""
    if isinstance(exc, DomainError):
        code = status_of(exc)
        return Response(_body(code, exc.code, exc.message, exc.field_errors, **exc.extra), status=code)
    if isinstance(exc, DjangoValidationError):
        detail, fields = _validation_error_payload(exc)
        return Response(_body(400, "invalid", detail, fields), status=400)
    if isinstance(exc, (TransitionNotAllowed, ConcurrentTransition)):
        detail = _("This action is not allowed in the current state. Reload to see the current state.")
        return Response(_body(409, "transition_not_allowed", detail), status=409)
    if isinstance(exc, (Http404, NotFound)):
        exc = drf_exceptions.NotFound(
            _("Not found, or not visible to you. Check the organisation and the identifier.")
        )
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied(str(NotAllowed.default_message))

    response = drf_default_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, drf_exceptions.ValidationError):
        detail, fields = _flatten_drf_detail(exc.detail)
        response.data = _body(response.status_code, "invalid", detail, fields)
    elif isinstance(exc, drf_exceptions.APIException):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
        response.data = _body(response.status_code, code, _first_text(_stringify(exc.detail)))
    return response


def error_message(exc: Exception) -> str:
    """The one sentence a page shows for a refused operation (HTML counterpart of the handler)."""
    if isinstance(exc, DomainError):
        return exc.message
    if isinstance(exc, DjangoValidationError):
        return _validation_error_payload(exc)[0]
    if isinstance(exc, (TransitionNotAllowed, ConcurrentTransition)):
        return _("This action is not allowed in the current state. Reload to see the current state.")
    raise exc


def apply_to_form(form, exc: Exception) -> None:
    """Attach a service's refusal to a bound form, on the named field when there is one."""
    field_errors = getattr(exc, "field_errors", None) or (
        exc.message_dict if isinstance(exc, DjangoValidationError) and hasattr(exc, "error_dict") else {}
    )
    placed = False
    for name, messages in field_errors.items():
        if name in form.fields:
            for message in messages if isinstance(messages, list) else [messages]:
                form.add_error(name, str(message))
            placed = True
    if not placed:
        form.add_error(None, error_message(exc))


class DomainErrorMiddleware:
    """Ends a page whose service raised NotFound with the 404 page and NotAllowed with the 403
    page, as if the view had raised Http404 / PermissionDenied (the API maps them in
    ``api_exception_handler``; DRF catches them before any middleware sees them)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        # Raising here hands the exception to Django's own 404/403 answer (our error views).
        if isinstance(exception, NotFound):
            raise Http404 from exception
        if isinstance(exception, NotAllowed):
            raise DjangoPermissionDenied(exception.message) from exception
        return None
