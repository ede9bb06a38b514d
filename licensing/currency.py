"""What licensing bills an MSP in its currency (docs/currency.md): registered with the kernel
so an MSP's billing currency cannot change under its subscriptions."""

from django.utils.translation import ngettext

from msp_portal.tenancy.models import Organisation

from .models import Subscription


def billed_rows(organisation: Organisation) -> list[str]:
    """Labels of the licensing rows billed to ``organisation`` (empty when none)."""
    if not organisation.is_msp:
        return []
    count = Subscription.objects.for_tenant(organisation).count()
    if not count:
        return []
    return [ngettext("%(count)s subscription", "%(count)s subscriptions", count) % {"count": count}]
