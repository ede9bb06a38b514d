"""The "due soon" banner of every MSP page: the reports the MSP still has to submit whose deadline
is near (or already passed, while the worker submits them)."""

from django.utils.functional import SimpleLazyObject

from msp_portal.tenancy.choices import Perm

from .selectors import due_report_list


def due_reports(request) -> dict:
    """``due_reports``: the banner's rows, queried only when a template reads them (full pages
    include the banner; htmx fragments do not, and cost nothing)."""
    tenant = getattr(request, "tenant", None)
    if tenant is None or not tenant.organisation.is_msp or not tenant.can(Perm.VIEW_OWN_REPORTS):
        return {}
    return {
        "due_reports": SimpleLazyObject(lambda: due_report_list(tenant=tenant)),
        "due_reports_timezone": tenant.organisation.timezone,
    }
