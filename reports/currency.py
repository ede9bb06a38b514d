"""What usage reports bill an MSP in its currency (docs/currency.md): registered with the
kernel so an MSP's billing currency cannot change under its reports and penalties."""

from django.utils.translation import ngettext

from msp_portal.tenancy.models import Organisation

from .models import UsageReport


def billed_rows(organisation: Organisation) -> list[str]:
    """Labels of the usage reports of ``organisation`` (empty when none)."""
    if not organisation.is_msp:
        return []
    count = UsageReport.objects.for_tenant(organisation).count()
    if not count:
        return []
    return [ngettext("%(count)s usage report", "%(count)s usage reports", count) % {"count": count}]
