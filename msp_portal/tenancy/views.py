"""Pages of the tenancy core: home redirect, dashboards, members, MSP accounts. Views only
parse, call one service or selector, and render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from msp_portal.api.filters import compact_query
from msp_portal.csv_export import csv_response
from msp_portal.exceptions import DomainError, apply_to_form, error_message

from . import selectors, services, tables
from .choices import OrganisationKind, Perm
from .dashboard import panels_for
from .filters import MembershipFilter, ServedMspFilter
from .forms import MemberInviteForm, MemberRoleForm
from .links import url_if_allowed
from .views_base import TenantViewMixin

MEMBERS_PER_PAGE = 25


def member_row(membership, *, tenant, user) -> dict:
    """What one row of the members table shows."""
    return {
        "membership": membership,
        "role_form": MemberRoleForm(initial={"role": membership.role}, organisation=tenant.organisation),
        "is_self": membership.user_id == user.pk,
    }


@login_required
def home(request):
    """Send a signed-in user to their first organisation (or explain that they have none)."""
    memberships = selectors.user_membership_list(user=request.user)
    if memberships:
        return redirect("tenancy:dashboard", org_slug=memberships[0].organisation.slug)
    return render(request, "tenancy/no_organisation.html")


class DashboardView(TenantViewMixin, TemplateView):
    template_name = "tenancy/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        organisation = self.tenant.organisation
        context["member_count"] = selectors.membership_list(organisation=organisation).count()
        context["panels"] = [
            render_to_string(panel.template, {**panel.context, "tenant": self.tenant}, self.request)
            for panel in panels_for(self.tenant)
        ]
        if organisation.kind == OrganisationKind.DISTRIBUTOR:
            context["served_msps"] = selectors.served_msp_list(distributor=organisation)[:10]
            context["served_msp_count"] = selectors.served_msp_list(distributor=organisation).count()
        return context


class MemberListView(TenantViewMixin, TemplateView):
    """Members of the organisation; admins invite, change roles and remove from here."""

    template_name = "tenancy/member_list.html"

    def get(self, request, *args, **kwargs):
        filters = MembershipFilter(
            compact_query(request.GET),
            queryset=selectors.membership_list(organisation=self.tenant.organisation),
            organisation=self.tenant.organisation,
        )
        memberships = filters.qs
        if request.GET.get("format") == "csv":
            return csv_response(
                f"members-{self.tenant.organisation.slug}.csv",
                tables.MEMBERS.csv_header(),
                tables.MEMBERS.csv_rows(memberships),
            )
        page = Paginator(memberships, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
        context = self.get_context_data(
            filters=filters,
            page_obj=page,
            rows=[member_row(m, tenant=self.tenant, user=request.user) for m in page],
            invite_form=MemberInviteForm(organisation=self.tenant.organisation),
            table_headers=tables.MEMBERS.page_headers,
            is_filtered=bool(request.GET.get("q") or request.GET.get("role")),
        )
        return self.render_to_response(context)


class MemberInviteView(TenantViewMixin, View):
    required_perm = Perm.MANAGE_MEMBERS

    def post(self, request, *args, **kwargs):
        form = MemberInviteForm(request.POST, organisation=self.tenant.organisation)
        if form.is_valid():
            try:
                membership = services.membership_invite(
                    tenant=self.tenant,
                    acting_user=request.user,
                    base_url=request.build_absolute_uri("/")[:-1],
                    **form.cleaned_data,
                )
            except DomainError as exc:
                apply_to_form(form, exc)
            else:
                messages.success(
                    request,
                    _("%(email)s was added as %(role)s and has been sent an e-mail.")
                    % {"email": membership.user.email, "role": membership.get_role_display()},
                )
                return redirect("tenancy:member-list", org_slug=self.tenant.organisation.slug)
        return render(
            request,
            "tenancy/member_invite.html",
            {"invite_form": form, "tenant": self.tenant, "organisation": self.tenant.organisation},
            status=400,
        )


class MemberDetailMixin(TenantViewMixin):
    required_perm = Perm.MANAGE_MEMBERS

    def load_objects(self):
        self.membership = self.get_membership()

    def get_membership(self):
        try:
            return selectors.membership_get(
                organisation=self.tenant.organisation, membership_id=self.kwargs["membership_id"]
            )
        except ObjectDoesNotExist as exc:
            raise Http404 from exc


class MemberRoleView(MemberDetailMixin, View):
    """Changes a role; answers an htmx request with the updated row (422 with the reason inside
    the row when refused, so htmx still swaps it in), others with a redirect."""

    def post(self, request, *args, **kwargs):
        membership = self.membership
        form = MemberRoleForm(request.POST, organisation=self.tenant.organisation)
        status = 200
        if not form.is_valid():
            message, level = _("Choose one of the listed roles."), messages.ERROR
            status = 422
        else:
            try:
                membership = services.membership_set_role(
                    tenant=self.tenant, membership=membership, role=form.cleaned_data["role"]
                )
                message, level = (
                    _("%(email)s is now %(role)s.")
                    % {"email": membership.user.email, "role": membership.get_role_display()},
                    messages.SUCCESS,
                )
            except DomainError as exc:
                message, level, status = error_message(exc), messages.ERROR, 422
                membership = self.get_membership()
        if request.htmx:
            row = member_row(membership, tenant=self.tenant, user=request.user)
            return render(
                request,
                "tenancy/_member_row.html",
                {"row": row, "tenant": self.tenant, "row_message": message, "row_level": level},
                status=status,
            )
        messages.add_message(request, level, message)
        return redirect("tenancy:member-list", org_slug=self.tenant.organisation.slug)


class MemberRemoveView(MemberDetailMixin, View):
    def post(self, request, *args, **kwargs):
        membership = self.membership
        try:
            services.membership_remove(tenant=self.tenant, membership=membership)
        except DomainError as exc:
            messages.error(request, error_message(exc))
        else:
            messages.success(
                request,
                _("%(email)s no longer has access to %(organisation)s.")
                % {"email": membership.user.email, "organisation": self.tenant.organisation.name},
            )
        return redirect("tenancy:member-list", org_slug=self.tenant.organisation.slug)


class MspListView(TenantViewMixin, TemplateView):
    """A distributor's MSP accounts (only the MSPs it serves)."""

    template_name = "tenancy/msp_list.html"
    required_kind = OrganisationKind.DISTRIBUTOR

    def get(self, request, *args, **kwargs):
        # The top bar's customer search (``go=1``) opens the customer page straight away when
        # exactly one served MSP matches; otherwise it lands on this list, filtered.
        if request.GET.get("go") and request.GET.get("q") and self.tenant.can(Perm.VIEW_SERVED_REPORTS):
            matches = list(self._filters().qs[:2])
            if len(matches) == 1:
                return redirect(
                    "tenancy:customer", org_slug=self.tenant.organisation.slug, msp_id=matches[0].pk
                )
        return super().get(request, *args, **kwargs)

    def _filters(self) -> ServedMspFilter:
        query = compact_query(self.request.GET)
        query.pop("go", None)
        return ServedMspFilter(
            query, queryset=selectors.served_msp_list(distributor=self.tenant.organisation)
        )

    def get_context_data(self, **kwargs):
        filters = self._filters()
        page = Paginator(filters.qs, 25).get_page(self.request.GET.get("page"))
        return super().get_context_data(
            page_obj=page,
            search=self.request.GET.get("q", ""),
            # Rows link to the customer page only for roles that may open it (no link to a 403).
            can_open=self.tenant.can(Perm.VIEW_SERVED_REPORTS),
            create_url=url_if_allowed(self.tenant, "tenancy:msp-create"),
            **kwargs,
        )
