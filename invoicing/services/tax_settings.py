"""The distributor's tax settings, one per country of its MSPs (docs/invoicing.md, "Tax
settings"). A change applies to invoices issued afterwards: an issued invoice keeps the rate and
method it used."""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from msp_portal.errors import Invalid, NotAllowed
from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.resolve import TenantContext
from msp_portal.tenancy.selectors import one_or_not_found

from ..choices import TaxMethodChoice
from ..models import TaxSetting


def _require(tenant: TenantContext) -> None:
    if not tenant.organisation.is_distributor or not tenant.can(Perm.ISSUE_INVOICES):
        raise NotAllowed()


def _clean(country: str, rate_percent, method: str) -> tuple[str, Decimal, str]:
    problems: dict[str, list[str]] = {}
    country = (country or "").strip().upper()
    if len(country) != 2 or not country.isalpha():
        problems["country"] = [_("Enter a two-letter country code, such as FR.")]
    try:
        rate = Decimal(str(rate_percent).strip())
    except InvalidOperation:
        rate = None
    if (
        rate is None
        or not rate.is_finite()
        or not 0 <= rate <= 100
        or rate != rate.quantize(Decimal("0.001"))
    ):
        problems["rate_percent"] = [_("Enter a rate from 0 to 100, with at most three decimals.")]
    if method not in TaxMethodChoice.values:
        problems["method"] = [_("Choose how tax is computed.")]
    if problems:
        raise Invalid(_("The tax setting was not saved."), field_errors=problems)
    return country, rate, method


@transaction.atomic
def tax_setting_save(*, tenant: TenantContext, country: str, rate_percent, method: str) -> TaxSetting:
    """Create or change the distributor's tax setting for ``country`` (distributor admins)."""
    _require(tenant)
    country, rate, method = _clean(country, rate_percent, method)
    setting, _created = TaxSetting.objects.for_tenant(tenant.organisation).update_or_create(
        organisation=tenant.organisation, country=country, defaults={"rate_percent": rate, "method": method}
    )
    return setting


@transaction.atomic
def tax_setting_delete(*, tenant: TenantContext, setting_id: int) -> None:
    """Remove a tax setting: the country's MSPs are then invoiced at 0 % (and told so)."""
    _require(tenant)
    one_or_not_found(TaxSetting.objects.for_tenant(tenant.organisation), pk=setting_id).delete()
