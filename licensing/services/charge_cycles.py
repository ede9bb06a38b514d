"""Setting a subscription's charge cycle (docs/invoicing.md, "Charge cycles"). Subscriptions
start monthly on their term start's day; this changes how they are billed from then on. The
portal shows the cycle read-only; this is for the demo, operators and a future settings page."""

from django.db import transaction
from django.utils.translation import gettext as _

from msp_portal.errors import Invalid
from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.resolve import TenantContext

from ..choices import BillingFrequency
from ..models import Subscription
from ._common import _lock_subscription, _require


@transaction.atomic
def subscription_charge_cycle_set(
    *, tenant: TenantContext, subscription_id: int, frequency: str, billing_day: int | None = None
) -> Subscription:
    """Bill the subscription monthly or yearly from ``billing_day`` (the term start's day when
    None). Whoever may manage the organisation's licenses."""
    _require(tenant, Perm.MANAGE_LICENSING)
    problems = {}
    if frequency not in BillingFrequency.values:
        problems["frequency"] = [_("Choose monthly or yearly.")]
    if billing_day is not None and not 1 <= billing_day <= 31:
        problems["billing_day"] = [_("Enter a day of the month, from 1 to 31.")]
    if problems:
        raise Invalid(_("The charge cycle cannot be set."), field_errors=problems)
    subscription = _lock_subscription(tenant.organisation, subscription_id)
    subscription.billing_frequency = frequency
    subscription.billing_day = billing_day or subscription.term_start.day
    subscription.save(update_fields=["billing_frequency", "billing_day"])
    return subscription
