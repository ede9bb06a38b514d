"""The distributor's own catalog of products."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from msp_portal.errors import Invalid, NotAllowed, NotFound
from msp_portal.money import CurrencyMismatch
from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.resolve import TenantContext

from ..models import (
    Product,
    Subscription,
)


@transaction.atomic
def product_save(*, tenant: TenantContext, product_id: int | None = None, **fields) -> Product:
    """Create or change a product of the distributor's own catalog (distributor admins)."""
    if not (tenant.organisation.is_distributor and tenant.can(Perm.MANAGE_ACCOUNTS)):
        raise NotAllowed(_("Only the distributor's admins manage its catalog."))
    if product_id is None:
        product = Product(organisation=tenant.organisation)
    else:
        product = (
            Product.objects.for_tenant(tenant.organisation).select_for_update().filter(pk=product_id).first()
        )
        if product is None:
            raise NotFound
    new_currency = fields.get("currency", product.currency)
    if product.pk is not None and new_currency != product.currency:
        _check_currency_change(product, new_currency)
    for name, value in fields.items():
        setattr(product, name, value)
    product.full_clean(exclude=["organisation"])
    # Said plainly before saving; the unique constraint still catches a save a moment earlier.
    if _sku_taken(product):
        raise _sku_taken_error()
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError as exc:
        raise _sku_taken_error() from exc
    return product


def _sku_taken(product: Product) -> bool:
    """Another product of the catalog has this product id and SKU id."""
    return (
        Product.objects.for_tenant(product.organisation)
        .filter(product_code=product.product_code, sku_code=product.sku_code)
        .exclude(pk=product.pk)
        .exists()
    )


def _sku_taken_error() -> Invalid:
    # The one refusal of a taken SKU, for the page and the API alike (field key "sku_code").
    return Invalid(
        _("This product and SKU are already in the catalog."),
        field_errors={"sku_code": [_("Choose another SKU id, or change the existing product.")]},
    )


def _check_currency_change(product: Product, currency: str) -> None:
    """A product MSPs hold keeps its currency: their licenses, true-ups and reports are billed
    at its price in their own currency, which a new label would not convert (docs/currency.md)."""
    holders = Subscription.objects.for_served_msps_of(product.organisation).filter(product=product).count()
    if holders:
        message = ngettext(
            "%(product)s is held by %(count)s MSP billed in %(old)s: its currency cannot change to "
            "%(new)s. Add a new product priced in %(new)s instead.",
            "%(product)s is held by %(count)s MSPs billed in %(old)s: its currency cannot change to "
            "%(new)s. Add a new product priced in %(new)s instead.",
            holders,
        ) % {"product": product.name, "count": holders, "old": product.currency, "new": currency}
        raise CurrencyMismatch(message, field_errors={"currency": [message]})
