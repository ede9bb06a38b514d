"""Pages of licenses and subscriptions (docs/licensing.md): the license list with the
over-allocation overview, assignment (inline with htmx, or as a page), moves between cost
centers, a subscription's status, removal and history, and bulk assignment from a CSV file.
Views parse, call one service or selector, and render."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView
from django_htmx.http import trigger_client_event

from msp_portal.api.filters import compact_query
from msp_portal.csv_export import csv_response
from msp_portal.exceptions import DomainError, apply_to_form, error_message
from msp_portal.tenancy.choices import OrganisationKind, Perm
from msp_portal.tenancy.views_base import TenantViewMixin

from .. import selectors, services, tables
from ..filters import NO_COST_CENTER, LicenseFilter
from ..forms import AssignForm, BulkMoveForm, MoveForm
from ..models import CostCenter
from ..url_objects import load_url_objects

LICENSES_PER_PAGE = 50


class LicensingViewMixin(TenantViewMixin):
    """Licensing pages exist for MSPs only; members with VIEW_LICENSING read them, actions ask
    for MANAGE_LICENSING. Objects named in the URL are fetched through the tenant."""

    required_kind = OrganisationKind.MSP
    required_perm = Perm.VIEW_LICENSING

    def load_objects(self):
        # NotFound (the 404 page) for an id that is missing or another organisation's.
        load_url_objects(self)

    @property
    def can_manage(self) -> bool:
        return self.tenant.can(Perm.MANAGE_LICENSING)

    def list_url(self) -> str:
        return reverse("licensing_licenses:license-list", kwargs={"org_slug": self.tenant.organisation.slug})

    def next_url(self) -> str:
        """Where the form came from (the filtered list page), when that is one of our own
        licensing pages; the list otherwise."""
        target = self.request.POST.get("next") or self.request.GET.get("next") or ""
        base = f"/o/{self.tenant.organisation.slug}/licensing/"
        if target.startswith(base) and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
            return target
        return self.list_url()

    def back(self):
        return redirect(self.next_url())

    def assign_from(self, form: AssignForm, *, subscription_id: int, license_id: int | None = None):
        """Assign through the service what a valid form says; a refusal lands on the form (its
        field when the service names one, always with the full sentence) and gives None."""
        try:
            return services.license_assign(
                tenant=self.tenant,
                acting_user=self.request.user,
                subscription_id=subscription_id,
                license_id=license_id,
                assignee=services.Assignee(
                    name=form.cleaned_data["name"],
                    email=form.cleaned_data["email"],
                    extension=form.cleaned_data["extension"],
                ),
                cost_center_id=form.cleaned_data["cost_center"] or None,
            )
        except DomainError as exc:
            apply_to_form(form, exc)
            if not form.non_field_errors():
                form.add_error(None, error_message(exc))
            return None

    def cost_centers(self) -> list[CostCenter]:
        return selectors.cost_center_choices(organisation=self.tenant.organisation)


# --- the over-allocation overview ---------------------------------------------------------------


@dataclass(frozen=True)
class AllocationCard:
    """A subscription's status with what its card draws: the bar splits max(owned, assigned)
    into assigned-within-owned, the hatched excess beyond owned, and the free rest."""

    status: selectors.SubscriptionStatus
    used_width: str  # percentages, as CSS numbers (never localised)
    excess_width: str
    assign_mode: str  # "free" (a free license), "overage" (program allows), "blocked"
    tone: str  # danger (over-allocated), warning (near capacity), success

    @property
    def subscription(self):
        return self.status.subscription

    @property
    def allows_overallocation(self) -> bool:
        return self.status.product.allows_overallocation

    @property
    def assigned_within(self) -> int:
        """Assigned licenses that are owned (the solid part of the bar)."""
        return min(self.status.assigned, self.status.owned)


def _percent(part: int, whole: int) -> str:
    return f"{(part * 100 / whole):.2f}" if whole else "0"


def allocation_card(status: selectors.SubscriptionStatus) -> AllocationCard:
    scale = max(status.owned, status.assigned)
    if status.free:
        mode = "free"
    elif status.product.allows_overallocation:
        mode = "overage"
    else:
        mode = "blocked"
    if status.excess:
        tone = "danger"
    elif status.near_capacity:
        tone = "warning"
    else:
        tone = "success"
    return AllocationCard(
        status=status,
        used_width=_percent(min(status.assigned, status.owned), scale),
        excess_width=_percent(status.excess, scale),
        assign_mode=mode,
        tone=tone,
    )


def overview_context(organisation) -> dict:
    """The figures at the top of the license list: over-allocations across all subscription
    types, near-capacity count, expected true-up per currency, and one card per subscription."""
    statuses = selectors.subscription_statuses(organisation=organisation)
    settings = selectors.licensing_settings(organisation=organisation)
    true_up: dict[str, Decimal] = defaultdict(Decimal)
    for status in statuses:
        if status.true_up_amount:
            true_up[status.product.currency] += status.true_up_amount
    return {
        "cards": [allocation_card(status) for status in statuses],
        "overallocated": selectors.overallocation_count(statuses),
        "overallocated_subscriptions": sum(1 for status in statuses if status.excess),
        "near_capacity_count": sum(1 for status in statuses if status.near_capacity),
        "near_capacity_percent": settings.near_capacity_percent,
        "true_up_totals": sorted(true_up.items()),
        "shop_url": f"/o/{organisation.slug}/shop/",
    }


# --- the license list -----------------------------------------------------------------------------


def row_context(view: LicensingViewMixin, license, **extra) -> dict:
    """What ``_license_row.html`` needs, for the list and for an htmx answer alike."""
    return {
        "license": license,
        "organisation": view.tenant.organisation,
        "tenant": view.tenant,
        "can_manage": view.can_manage,
        "cost_centers": extra.pop("cost_centers", None) or view.cost_centers(),
        "next_url": extra.pop("next_url", None) or view.next_url(),
        **extra,
    }


class LicenseListView(LicensingViewMixin, TemplateView):
    """Every license of the MSP, filtered, paginated or exported, under the allocation overview."""

    template_name = "licensing/license_list.html"

    def get(self, request, *args, **kwargs):
        organisation = self.tenant.organisation
        data = compact_query(request.GET)
        filters = LicenseFilter(
            data, queryset=selectors.license_list(organisation=organisation), organisation=organisation
        )
        licenses = filters.qs if filters.is_valid() else filters.queryset.none()
        if request.GET.get("format") == "csv":
            return self.csv(licenses)
        page = Paginator(licenses, LICENSES_PER_PAGE).get_page(request.GET.get("page"))
        selected = set(data.getlist("cost_center"))
        context = self.get_context_data(
            filters=filters,
            page_obj=page,
            licenses=list(page),
            cost_centers=filters.cost_centers,
            cost_center_options=[
                {"value": NO_COST_CENTER, "label": _("No cost center"), "checked": NO_COST_CENTER in selected}
            ]
            + [
                {"value": str(cc.pk), "label": f"{cc.code} · {cc.name}", "checked": str(cc.pk) in selected}
                for cc in filters.cost_centers
            ],
            selected_cost_center_count=len(selected),
            table_headers=tables.LICENSES.page_headers,
            is_filtered=any(key in data for key in ("q", "cost_center", "subscription", "state")),
            can_manage=self.can_manage,
            next_url=request.get_full_path(),
            **overview_context(organisation),
        )
        return self.render_to_response(context)

    def csv(self, licenses):
        return csv_response(
            f"licenses-{self.tenant.organisation.slug}.csv",
            tables.LICENSES.csv_header(),
            tables.LICENSES.csv_rows(licenses.iterator(chunk_size=500)),
        )


def _toast(response, text: str, level: str = "success"):
    return trigger_client_event(response, "portal:toast", {"level": level, "text": text})


class LicenseRowView(LicensingViewMixin, View):
    """One row of the list (htmx: the Cancel of an inline form puts the row back)."""

    def get(self, request, *args, **kwargs):
        if not request.htmx:
            return redirect(self.list_url())
        return render(request, "licensing/_license_row.html", row_context(self, self.license))


class RowActionMixin(LicensingViewMixin):
    """An action on one license: htmx gets the row (with the overview out of band, since the
    counts moved), others a redirect with a message."""

    required_perm = Perm.MANAGE_LICENSING

    def answer(
        self, *, message: str, note: str = "", error: bool = False, license=None, status: int = 200, **extra
    ):
        """``message`` is the sentence of the page message or toast; ``note`` a shorter one under
        the row's action."""
        if not self.request.htmx:
            (messages.error if error else messages.success)(self.request, message)
            return self.back()
        context = row_context(
            self, license, row_message=note or message, row_error=error, flash=not error, **extra
        )
        if not error:
            context.update(overview_context(self.tenant.organisation), oob_overview=True)
        response = render(self.request, "licensing/_license_row_response.html", context, status=status)
        return _toast(response, message, "danger" if error else "success")


class LicenseAssignView(RowActionMixin, View):
    """Assign one (free) license: GET gives the form (a table row for htmx, else a page),
    POST assigns it."""

    def make_form(self, *args) -> AssignForm:
        # Ids unique per row: several rows may have their form open at once.
        return AssignForm(
            *args,
            organisation=self.tenant.organisation,
            auto_id=f"assign-{self.license.pk}-%s",
            compact=bool(self.request.htmx),
        )

    def get(self, request, *args, **kwargs):
        return self.form_response(self.make_form(), status=200)

    def post(self, request, *args, **kwargs):
        form = self.make_form(request.POST)
        if form.is_valid():
            assigned = self.assign_from(
                form, subscription_id=self.license.subscription_id, license_id=self.license.pk
            )
            if assigned is not None:
                license = selectors.license_get(organisation=self.tenant.organisation, license_id=assigned.pk)
                return self.answer(
                    message=_("License of %(product)s assigned to %(who)s.")
                    % {"product": license.subscription.product.name, "who": _assignee_label(license)},
                    note=_("Assigned."),
                    license=license,
                )
        return self.form_response(form, status=422 if request.htmx else 400)

    def form_response(self, form, *, status: int):
        context = row_context(self, self.license, form=form)
        if self.request.htmx:
            return render(self.request, "licensing/_license_assign_row.html", context, status=status)
        context.update(
            subscription=self.license.subscription,
            action_url=reverse(
                "licensing_licenses:license-assign",
                kwargs={"org_slug": self.tenant.organisation.slug, "license_id": self.license.pk},
            ),
            assign_mode="license",
            next_url=self.next_url(),
        )
        return render(self.request, "licensing/license_assign.html", context, status=status)


def _assignee_label(license) -> str:
    return license.assignee_name or license.assignee_email or license.assignee_extension


class LicenseUnassignView(RowActionMixin, View):
    """Return a license to the pool (an over-allocated seat disappears: its row goes away)."""

    def post(self, request, *args, **kwargs):
        who = _assignee_label(self.license)
        services.license_unassign(tenant=self.tenant, acting_user=request.user, license_id=self.license.pk)
        remaining = selectors.license_find(organisation=self.tenant.organisation, license_id=self.license.pk)
        message = (
            _("%(who)s no longer has this license; it is back in the pool.") % {"who": who}
            if remaining is not None
            else _("%(who)s no longer has this license; the over-allocated seat is gone.") % {"who": who}
        )
        return self.answer(message=message, note=_("Unassigned."), license=remaining)


class LicenseMoveView(RowActionMixin, View):
    """Move one license to another cost center (the select of its row)."""

    def post(self, request, *args, **kwargs):
        form = MoveForm(request.POST, organisation=self.tenant.organisation)
        if not form.is_valid():
            return self.answer(
                message=_("Choose one of your cost centers."), error=True, license=self.license, status=422
            )
        try:
            services.licenses_move(
                tenant=self.tenant, license_ids=[self.license.pk], cost_center_id=form.cost_center_id()
            )
        except DomainError as exc:
            return self.answer(message=error_message(exc), error=True, license=self.license, status=422)
        license = selectors.license_get(organisation=self.tenant.organisation, license_id=self.license.pk)
        return self.answer(
            message=_("Moved to %(code)s.") % {"code": license.cost_center.code}
            if license.cost_center
            else _("No longer charged to a cost center."),
            license=license,
        )


class LicensesMoveView(LicensingViewMixin, View):
    """Move the selected licenses of the list to one cost center."""

    required_perm = Perm.MANAGE_LICENSING

    def post(self, request, *args, **kwargs):
        form = BulkMoveForm(request.POST, organisation=self.tenant.organisation)
        if not form.is_valid():
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
            return self.back()
        try:
            moved = services.licenses_move(
                tenant=self.tenant,
                license_ids=form.cleaned_data["license_ids"],
                cost_center_id=form.cost_center_id(),
            )
        except DomainError as exc:
            messages.error(request, error_message(exc))
            return self.back()
        if form.cost_center_id() is None:
            text = ngettext(
                "%(count)d license taken off its cost center.",
                "%(count)d licenses taken off their cost center.",
                moved,
            ) % {"count": moved}
        else:
            center = dict(form.fields["cost_center"].choices)[form.cleaned_data["cost_center"]]
            text = ngettext(
                "%(count)d license moved to %(center)s.", "%(count)d licenses moved to %(center)s.", moved
            ) % {"count": moved, "center": center}
        messages.success(request, text)
        return self.back()


# --- subscriptions --------------------------------------------------------------------------------
