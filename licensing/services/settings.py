"""An MSP's licensing thresholds: from which share of owned licenses assigned a subscription is
"near capacity", and by how many units over-allocated it must be before the admins get an
e-mail."""

from django.db import transaction
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from msp_portal.errors import Invalid
from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.resolve import TenantContext

from ..models import LicensingSettings
from ._common import _require

NEAR_CAPACITY_MIN, NEAR_CAPACITY_MAX = 1, 100
ALERT_UNITS_MAX = 1_000_000


def _whole_number(value) -> int | None:
    """The value as an int when it is one (5, "5", " 5 "); None for anything else (5.5, True)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _checked(near_capacity_percent, overallocation_alert_units) -> tuple[int, int | None]:
    errors = {}
    percent = _whole_number(near_capacity_percent)
    if percent is None or not NEAR_CAPACITY_MIN <= percent <= NEAR_CAPACITY_MAX:
        errors["near_capacity_percent"] = [
            _("Enter a whole number from %(min)d to %(max)d.")
            % {"min": NEAR_CAPACITY_MIN, "max": NEAR_CAPACITY_MAX}
        ]
    units = None
    if overallocation_alert_units not in (None, ""):
        units = _whole_number(overallocation_alert_units)
        if units is None or not 0 <= units <= ALERT_UNITS_MAX:
            errors["overallocation_alert_units"] = [
                _("Enter a whole number from 0 to %(max)s, or leave it empty for no e-mail.")
                % {"max": number_format(ALERT_UNITS_MAX, force_grouping=True)}
            ]
    if errors:
        raise Invalid(_("Check the thresholds: a value is out of range."), field_errors=errors)
    return percent, units


@transaction.atomic
def licensing_settings_update(
    *,
    tenant: TenantContext,
    acting_user,
    near_capacity_percent,
    overallocation_alert_units,
    several_seats_per_person: bool = False,
) -> LicensingSettings:
    """Set the organisation's thresholds: its one row, created on the first save. The row is
    looked up under the unique constraint per organisation, so a double submit updates it."""
    _require(tenant, Perm.MANAGE_LICENSING)
    percent, units = _checked(near_capacity_percent, overallocation_alert_units)
    settings, _created = LicensingSettings.objects.for_tenant(tenant.organisation).update_or_create(
        organisation=tenant.organisation,
        defaults={
            "near_capacity_percent": percent,
            "overallocation_alert_units": units,
            "several_seats_per_person": bool(several_seats_per_person),
        },
    )
    return settings
