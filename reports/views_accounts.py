"""Pages of the MSP account settings, for the distributor: the list of the MSPs it serves with
their settings (and its CSV), and one account's form. Reviewers read, admins change. Views
parse, call one service or selector, and render."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from msp_portal.api.filters import compact_query
from msp_portal.csv_export import csv_response
from msp_portal.exceptions import DomainError, apply_to_form
from msp_portal.tenancy.choices import OrganisationKind, Perm
from msp_portal.tenancy.filters import ServedMspFilter
from msp_portal.tenancy.views_base import TenantViewMixin

from . import accounts, tables
from .filters import filtered
from .forms_accounts import AccountSettingsForm

ACCOUNTS_PER_PAGE = 25


class AccountSettingsMixin(TenantViewMixin):
    """Distributor pages only (404 for an MSP); reading needs a reviewer's permission."""

    required_kind = OrganisationKind.DISTRIBUTOR
    required_perm = Perm.VIEW_SERVED_REPORTS

    @property
    def can_manage(self) -> bool:
        return self.tenant.can(Perm.MANAGE_ACCOUNTS)


class AccountSettingsListView(AccountSettingsMixin, TemplateView):
    """Every MSP the distributor serves with its delay, penalty policy and reminders."""

    template_name = "reports/account_settings_list.html"

    def get(self, request, *args, **kwargs):
        filters = ServedMspFilter(
            compact_query(request.GET), queryset=accounts.account_msp_list(tenant=self.tenant)
        )
        msps = filtered(filters)
        if request.GET.get("format") == "csv":
            return self.csv(accounts.account_settings_list(tenant=self.tenant, msps=msps))
        page = Paginator(msps, ACCOUNTS_PER_PAGE).get_page(request.GET.get("page"))
        context = self.get_context_data(
            filters=filters,
            page_obj=page,
            rows=accounts.account_settings_list(tenant=self.tenant, msps=list(page)),
            search=request.GET.get("q", ""),
            can_manage=self.can_manage,
            table_columns=tables.ACCOUNT_SETTINGS.page_columns,
        )
        return self.render_to_response(context)

    def csv(self, rows):
        return csv_response(
            f"msp-account-settings-{self.tenant.organisation.slug}.csv",
            tables.ACCOUNT_SETTINGS.csv_header(),
            tables.ACCOUNT_SETTINGS.csv_rows(rows),
        )


class AccountSettingsFormView(AccountSettingsMixin, TemplateView):
    """One MSP account's settings: a form for admins, the same fields read-only for reviewers."""

    template_name = "reports/account_settings_form.html"

    def load_objects(self):
        self.row = accounts.account_settings_get(tenant=self.tenant, msp_id=self.kwargs["msp_id"])

    def get(self, request, *args, **kwargs):
        form = AccountSettingsForm(
            initial=AccountSettingsForm.initial_from(self.row.settings), read_only=not self.can_manage
        )
        return self.page(form, status=200)

    def post(self, request, *args, **kwargs):
        if not self.can_manage:
            raise PermissionDenied
        form = AccountSettingsForm(request.POST)
        if form.is_valid():
            try:
                accounts.account_settings_update(
                    tenant=self.tenant,
                    acting_user=request.user,
                    msp_id=self.row.msp.pk,
                    data=form.cleaned_data,
                )
            except DomainError as exc:
                apply_to_form(form, exc)
            else:
                messages.success(
                    request,
                    _("Settings of %(msp)s saved. They apply to deadlines opened or rejected from now on.")
                    % {"msp": self.row.msp.name},
                )
                return redirect("reports:account-settings-list", org_slug=self.tenant.organisation.slug)
        return self.page(form, status=400)

    def page(self, form, *, status: int):
        context = self.get_context_data(
            form=form, msp=self.row.msp, account=self.row.settings, can_manage=self.can_manage
        )
        return render(self.request, self.template_name, context, status=status)
