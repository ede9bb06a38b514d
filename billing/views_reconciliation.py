"""The reconciliation results of a period (docs/billing.md, "Reconciliation"): flags with their
ranked causes, per-customer totals, and the export requests (billed, unbilled, results, a
support case). Views parse, call one service or selector, and render."""

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView

from msp_portal.exceptions import DomainError, error_message
from msp_portal.numbers import whole_number
from msp_portal.tenancy.choices import Perm

from . import reconciliation, services_exports
from .models import FlagKind
from .views import BillingViewMixin

FLAGS_PER_PAGE = 50


def _period(value: str | None) -> dt.date | None:
    """ "2025-07" (or "2025-07-01") as the period's first day; None for anything else."""
    try:
        return dt.date.fromisoformat(f"{value[:7]}-01") if value else None
    except ValueError:
        return None


class ReconciliationView(BillingViewMixin, TemplateView):
    template_name = "billing/reconciliation.html"

    def get_context_data(self, **kwargs):
        msp = self.tenant.organisation
        periods = reconciliation.reconciled_periods(msp=msp)
        period = _period(self.request.GET.get("period"))
        period = period if period in periods else (periods[0] if periods else None)
        run = reconciliation.latest_run(msp=msp, period=period) if period else None
        kind = self.request.GET.get("kind", "")
        kind = kind if kind in FlagKind.values else ""
        customer = self.request.GET.get("customer", "")[:100]
        recurring = self.request.GET.get("recurring") == "1"
        context = {
            "periods": periods,
            "period": period,
            "run": run,
            "kinds": FlagKind.choices,
            "chosen": {"kind": kind, "customer": customer, "recurring": recurring},
            "can_manage": self.tenant.can(Perm.MANAGE_BILLING),
            "tolerance": reconciliation.reconciliation_tolerance(msp=msp),
        }
        if run is not None:
            flags = reconciliation.run_flags(run=run, kind=kind, customer=customer, recurring=recurring)
            context["page_obj"] = Paginator(flags, FLAGS_PER_PAGE).get_page(self.request.GET.get("page"))
            context["customers"] = reconciliation.customer_totals(run=run)
        return super().get_context_data(**context, **kwargs)


class ReconcileView(BillingViewMixin, View):
    """Compare the period's files now (a set-based query: seconds for a month of rows)."""

    required_perm = Perm.MANAGE_BILLING

    def post(self, request, *args, **kwargs):
        msp = self.tenant.organisation
        period = _period(request.POST.get("period"))
        if period is None or period not in reconciliation.reconciled_periods(msp=msp):
            messages.error(request, _("Choose a period with an imported file."))
        else:
            run = reconciliation.reconciliation_run(msp=msp, period=period)
            messages.success(
                request,
                ngettext(
                    "%(period)s reconciled: %(count)s flag to look at.",
                    "%(period)s reconciled: %(count)s flags to look at.",
                    run.flag_count,
                )
                % {"period": f"{period:%Y-%m}", "count": run.flag_count},
            )
        return redirect(_results_url(msp.slug, period))


class ToleranceView(BillingViewMixin, View):
    """The MSP's variance tolerance; the next reconciliation uses it."""

    required_perm = Perm.MANAGE_BILLING

    def post(self, request, *args, **kwargs):
        try:
            row = reconciliation.reconciliation_tolerance_set(
                tenant=self.tenant, tolerance=request.POST.get("tolerance_percent", "")
            )
        except DomainError as exc:
            messages.error(request, error_message(exc))
        else:
            messages.success(
                request,
                _("Tolerance set to %(value)s %%: reconcile again to apply it.")
                % {"value": row.tolerance_percent.normalize()},
            )
        return redirect(_results_url(self.tenant.organisation.slug, _period(request.POST.get("period"))))


class ExportRequestView(BillingViewMixin, View):
    """Ask for an export; the worker builds it and the Exports page offers the download."""

    def post(self, request, *args, **kwargs):
        msp = self.tenant.organisation
        period = _period(request.POST.get("period"))
        what = request.POST.get("export", "")
        try:
            if what == "support-case":
                flag_id = whole_number(request.POST.get("flag_id", ""))
                if flag_id is None:
                    raise DomainError(_("Choose a flag."))
                services_exports.support_case_export_request(
                    tenant=self.tenant, acting_user=request.user, flag_id=flag_id
                )
            elif period is None:
                raise DomainError(_("Choose a period."))
            elif what == "billed":
                services_exports.billed_export_request(
                    tenant=self.tenant, acting_user=request.user, period=period
                )
            elif what == "unbilled":
                services_exports.unbilled_exports_request(
                    tenant=self.tenant, acting_user=request.user, period=period
                )
            elif what == "results":
                services_exports.results_export_request(
                    tenant=self.tenant, acting_user=request.user, period=period
                )
            else:
                raise DomainError(_("Choose what to export."))
        except DomainError as exc:
            messages.error(request, error_message(exc))
        else:
            messages.success(
                request, _("The export is being prepared: it will be on the Exports page in a moment.")
            )
        return redirect(_results_url(msp.slug, period))


def _results_url(slug: str, period: dt.date | None) -> str:
    url = reverse("billing:reconciliation", kwargs={"org_slug": slug})
    return f"{url}?period={period:%Y-%m}" if period else url
