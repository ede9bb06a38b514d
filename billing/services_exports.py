"""Requesting billing's exports (billing/exports.py builds them in a worker): each request is
checked here, so a worker never starts an export that cannot be made."""

import datetime as dt

from django.utils.translation import gettext as _

from msp_portal.errors import Invalid, NotAllowed
from msp_portal.exports.models import ExportRequest
from msp_portal.exports.services import export_request_create
from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.models import User
from msp_portal.tenancy.resolve import TenantContext
from msp_portal.tenancy.selectors import one_or_not_found

from . import exports
from .columns import FileKind
from .models import ImportState, ReconciliationFlag, ReconciliationImport, ReconciliationRun


def _require_billing(tenant: TenantContext) -> None:
    """Asked first, so that a role without billing learns nothing about the periods."""
    if not tenant.can(Perm.VIEW_BILLING):
        raise NotAllowed()


def _invoice_imported(tenant: TenantContext, period: dt.date) -> bool:
    return (
        ReconciliationImport.objects.for_tenant(tenant.organisation)
        .filter(kind=FileKind.INVOICE, period=period, state=ImportState.DONE)
        .exists()
    )


def billed_export_request(*, tenant: TenantContext, acting_user: User, period: dt.date) -> ExportRequest:
    """Every daily-rated row of a closed period (its invoice is imported)."""
    _require_billing(tenant)
    if not _invoice_imported(tenant, period):
        raise Invalid(
            _(
                "%(period)s is not billed yet: no invoice is imported for it. Export the unbilled estimate instead."
            )
            % {"period": f"{period:%Y-%m}"},
            field_errors={"period": [_("Choose a period whose invoice is imported.")]},
        )
    return export_request_create(
        tenant=tenant,
        acting_user=acting_user,
        kind=exports.BILLED,
        title=_("Billed usage, %(period)s") % {"period": f"{period:%Y-%m}"},
        params={"period": period.isoformat()},
    )


def unbilled_exports_request(
    *, tenant: TenantContext, acting_user: User, period: dt.date
) -> list[ExportRequest]:
    """The open period's estimate, as two files: usage-based and non-usage-based."""
    _require_billing(tenant)
    if _invoice_imported(tenant, period):
        raise Invalid(
            _("%(period)s is billed: its invoice is imported. Export the billed usage instead.")
            % {"period": f"{period:%Y-%m}"},
            field_errors={"period": [_("Choose a period whose invoice is not imported yet.")]},
        )
    label = f"{period:%Y-%m}"
    return [
        export_request_create(
            tenant=tenant,
            acting_user=acting_user,
            kind=kind,
            title=title % {"period": label},
            params={"period": period.isoformat()},
        )
        for kind, title in (
            (exports.UNBILLED_USAGE, _("Unbilled estimate, usage-based, %(period)s")),
            (exports.UNBILLED_LICENSES, _("Unbilled estimate, non-usage-based, %(period)s")),
        )
    ]


def results_export_request(*, tenant: TenantContext, acting_user: User, period: dt.date) -> ExportRequest:
    _require_billing(tenant)
    if not ReconciliationRun.objects.for_tenant(tenant.organisation).filter(period=period).exists():
        raise Invalid(
            _("%(period)s has not been reconciled yet.") % {"period": f"{period:%Y-%m}"},
            field_errors={"period": [_("Reconcile the period first.")]},
        )
    return export_request_create(
        tenant=tenant,
        acting_user=acting_user,
        kind=exports.RESULTS,
        title=_("Reconciliation results, %(period)s") % {"period": f"{period:%Y-%m}"},
        params={"period": period.isoformat()},
    )


def support_case_export_request(*, tenant: TenantContext, acting_user: User, flag_id: int) -> ExportRequest:
    _require_billing(tenant)
    flag = one_or_not_found(ReconciliationFlag.objects.for_tenant(tenant.organisation), pk=flag_id)
    return export_request_create(
        tenant=tenant,
        acting_user=acting_user,
        kind=exports.SUPPORT_CASE,
        title=_("Support case: %(customer)s, %(product)s / %(sku)s, %(period)s")
        % {
            "customer": flag.customer_name or flag.customer_id,
            "product": flag.product_id,
            "sku": flag.sku_id,
            "period": f"{flag.period:%Y-%m}",
        },
        params={"flag_id": flag.pk},
    )
