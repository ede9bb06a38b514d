"""Django's error views, with the API's JSON error body for paths under /api/."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _json(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"status": status, "code": code, "detail": detail}, status=status)


def bad_request(request, exception):
    if _is_api(request):
        return _json(400, "invalid", _("The request is malformed. Check the URL and the body."))
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if _is_api(request):
        return _json(
            403, "permission_denied", _("Your role in this organisation does not allow this action.")
        )
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if _is_api(request):
        return _json(404, "not_found", _("No such address in the API. Check the path against /api/v1/docs/."))
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return _json(
            500,
            "server_error",
            _("Something went wrong on our side. Try again; if it persists, contact support."),
        )
    return defaults.server_error(request)
