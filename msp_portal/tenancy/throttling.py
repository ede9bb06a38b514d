"""How sign-in throttling (django-axes) names the account being tried."""


def axes_username(request, credentials) -> str:
    """The e-mail being tried, lower-cased, so that changing its case does not reset the count."""
    source = credentials if credentials else getattr(request, "data", request.POST)
    return (source.get("username") or "").strip().lower()


def axes_lockout_response(request, original_response=None, credentials=None):
    """The answer to a locked-out sign-in: our JSON error on the API, the explanation page else."""
    from axes.helpers import get_cool_off, get_failure_limit
    from django.conf import settings
    from django.http import JsonResponse
    from django.shortcuts import render
    from django.utils.translation import gettext as _

    status = 429
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "status": status,
                "code": "throttled",
                "detail": _("Too many failed sign-ins. Wait a while or reset your password."),
            },
            status=status,
        )
    cool_off = get_cool_off(request)
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "username": axes_username(request, credentials),
        "cooloff_timedelta": cool_off,
    }
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=status)
