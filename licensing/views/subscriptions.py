"""A subscription of an MSP: its status, peaks and true-up, removal of unassigned licenses,
assignment, and the history with its CSV export."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView

from msp_portal.csv_export import csv_response
from msp_portal.exceptions import DomainError, apply_to_form, error_message
from msp_portal.tenancy.choices import Perm

from .. import selectors, services
from ..cart import display_price
from ..charge_cycles import service_billing_details
from ..forms import AssignForm, RemoveForm
from .licenses import (
    AllocationCard,
    LicensingViewMixin,
    _assignee_label,
    allocation_card,
)

HISTORY_PER_PAGE = 50


class SubscriptionMixin(LicensingViewMixin):
    def card(self) -> AllocationCard:
        return allocation_card(
            selectors.subscription_status(
                organisation=self.tenant.organisation, subscription_id=self.subscription.pk
            )
        )


class SubscriptionDetailView(SubscriptionMixin, TemplateView):
    """A subscription in detail: allocation, peaks, expected true-up, removal, the true-ups
    charged, and its history."""

    template_name = "licensing/subscription_detail.html"

    def get(self, request, *args, **kwargs):
        return self.page(RemoveForm(can_be_removed=0), status=200)

    def page(self, remove_form, *, status: int):
        organisation = self.tenant.organisation
        card = self.card()
        remove_form.fields["quantity"].widget.attrs["max"] = card.status.can_be_removed
        history = selectors.assignment_history_with_counts(
            organisation=organisation, subscription=self.subscription
        )
        page = Paginator(history, HISTORY_PER_PAGE).get_page(self.request.GET.get("page"))
        true_ups = list(
            selectors.true_up_charge_list(organisation=organisation, subscription=self.subscription)
        )
        context = self.get_context_data(
            card=card,
            status=card.status,
            subscription=self.subscription,
            product=self.subscription.product,
            # As stored (10.125 stays 10.125): rounding a price to the cent would show a price
            # that no amount was computed from.
            unit_price=display_price(self.subscription.product.unit_price),
            remove_form=remove_form,
            page_obj=page,
            events=list(page),
            true_ups=true_ups,
            billing=service_billing_details(
                self.subscription, timezone_name=organisation.timezone, now=timezone.now()
            ),
            can_manage=self.can_manage,
            near_capacity_percent=selectors.licensing_settings(
                organisation=organisation
            ).near_capacity_percent,
            shop_url=f"/o/{organisation.slug}/shop/",
        )
        return render(self.request, self.template_name, context, status=status)


class SubscriptionRemoveView(SubscriptionDetailView):
    """Remove a quantity of unassigned licenses (never more than "can be removed")."""

    required_perm = Perm.MANAGE_LICENSING

    def get(self, request, *args, **kwargs):
        return redirect(self.detail_url())

    def detail_url(self) -> str:
        return reverse(
            "licensing_licenses:subscription-detail",
            kwargs={"org_slug": self.tenant.organisation.slug, "subscription_id": self.subscription.pk},
        )

    def post(self, request, *args, **kwargs):
        form = RemoveForm(request.POST, can_be_removed=0)
        if form.is_valid():
            try:
                removed = services.licenses_remove(
                    tenant=self.tenant,
                    acting_user=request.user,
                    subscription_id=self.subscription.pk,
                    quantity=form.cleaned_data["quantity"],
                )
            except DomainError as exc:
                form.add_error(None, error_message(exc))
                apply_to_form(form, exc)
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d license of %(product)s removed.",
                        "%(count)d licenses of %(product)s removed.",
                        removed,
                    )
                    % {"count": removed, "product": self.subscription.product.name},
                )
                return redirect(self.detail_url())
        return self.page(form, status=400)


class SubscriptionAssignView(SubscriptionMixin, View):
    """The "Assign a license" of a subscription: its first free license, or an over-allocated seat
    where the program allows one; the page says plainly when neither is possible."""

    required_perm = Perm.MANAGE_LICENSING

    def get(self, request, *args, **kwargs):
        return self.form_page(AssignForm(organisation=self.tenant.organisation), status=200)

    def post(self, request, *args, **kwargs):
        form = AssignForm(request.POST, organisation=self.tenant.organisation)
        if form.is_valid():
            license = self.assign_from(form, subscription_id=self.subscription.pk)
            if license is not None:
                text = _("License of %(product)s assigned to %(who)s.") % {
                    "product": self.subscription.product.name,
                    "who": _assignee_label(license),
                }
                if license.is_overage:
                    text += " " + _("It is over-allocated: the true-up will bill it.")
                messages.success(request, text)
                return self.back()
        return self.form_page(form, status=400)

    def form_page(self, form, *, status: int):
        card = self.card()
        context = {
            "tenant": self.tenant,
            "organisation": self.tenant.organisation,
            "form": form,
            "subscription": self.subscription,
            "card": card,
            "assign_mode": card.assign_mode,
            "action_url": reverse(
                "licensing_licenses:subscription-assign",
                kwargs={"org_slug": self.tenant.organisation.slug, "subscription_id": self.subscription.pk},
            ),
            "next_url": self.next_url(),
            "shop_url": f"/o/{self.tenant.organisation.slug}/shop/",
        }
        return render(self.request, "licensing/license_assign.html", context, status=status)


class SubscriptionHistoryCsvView(LicensingViewMixin, View):
    """Each new maximum of assigned licenses, with the licenses owned on that day."""

    def get(self, request, *args, **kwargs):
        rows = selectors.new_maximum_rows(
            organisation=self.tenant.organisation, subscription=self.subscription
        )
        product = self.subscription.product
        header = [
            _("Date"),
            _("Time"),
            _("Assigned (new maximum)"),
            _("Owned that day"),
            _("Over-allocated by"),
        ]
        lines = (
            [
                f"{timezone.localtime(at):%Y-%m-%d}",
                f"{timezone.localtime(at):%H:%M}",
                assigned,
                owned,
                max(assigned - owned, 0),
            ]
            for at, assigned, owned in rows
        )
        return csv_response(
            f"assignment-history-{self.tenant.organisation.slug}-{product.sku_code}.csv", header, lines
        )


# --- bulk assignment ------------------------------------------------------------------------------
