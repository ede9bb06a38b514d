"""API of MSP account settings, for distributors: /api/v1/orgs/<org_slug>/msp-accounts/ lists the
MSPs served with their settings; …/msp-accounts/<msp_id>/settings/ reads one account's
settings (reviewers and admins) and changes them (admins). Views parse, call one service or
selector, and answer."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.response import Response

from msp_portal.api.fields import (
    MoneyField,
    StrictBooleanField,
    StrictChoiceField,
    StrictDecimalField,
    StrictIntegerField,
)
from msp_portal.api.schema import error_responses
from msp_portal.tenancy.choices import OrganisationKind, Perm
from msp_portal.tenancy.filters import ServedMspFilter
from msp_portal.tenancy.views_base import TenantAPIMixin

from .. import accounts, selectors
from ..choices import PenaltyKind


class AccountSettingsSerializer(serializers.Serializer):
    auto_submit_days = serializers.IntegerField(
        help_text="Days after a report opens (or is rejected) before it is submitted automatically."
    )
    penalty_kind = serializers.ChoiceField(choices=PenaltyKind.choices)
    penalty_kind_label = serializers.CharField(source="get_penalty_kind_display")
    penalty_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        coerce_to_string=True,
        help_text="Surcharge in percent (a decimal string), as a share of a discrepancy's value.",
    )
    penalty_minimum = MoneyField(max_digits=12, help_text="The least surcharge on a penalised line.")
    surcharge_over_declared = serializers.BooleanField(
        help_text="Whether an over-declared line (billable above provided) is surcharged too; "
        "when false its reset, which lowers the bill, carries no surcharge."
    )
    auto_approve_clean = serializers.BooleanField(
        help_text="Reports without a discrepancy are approved as soon as they are submitted."
    )
    reminder_days = serializers.ListField(
        child=serializers.IntegerField(), help_text="Days before the deadline, furthest first."
    )
    is_default = serializers.SerializerMethodField(help_text="True while the account was never changed.")
    updated_at = serializers.DateTimeField(allow_null=True)
    updated_by = serializers.SerializerMethodField()

    def get_is_default(self, settings) -> bool:
        return settings.pk is None

    def get_updated_by(self, settings) -> str | None:
        """The e-mail of the person who last changed the settings."""
        return settings.updated_by.email if settings.updated_by_id else None


class AccountSettingsWriteSerializer(serializers.Serializer):
    """PUT sends every field; PATCH some of them (the others keep their value)."""

    auto_submit_days = StrictIntegerField(min_value=1, max_value=90)
    penalty_kind = StrictChoiceField(
        choices=PenaltyKind.choices,
        help_text="`none`: the reset only (percentage and minimum are stored as 0); "
        "`percent`: a surcharge of `penalty_percent`, at least `penalty_minimum` per line.",
    )
    # Text, like every amount of the API: a JSON number would pass through a float on the way.
    penalty_percent = StrictDecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        help_text='Percent, as text ("12.5"); above 0 with `percent`.',
    )
    penalty_minimum = StrictDecimalField(
        max_digits=12, decimal_places=2, min_value=0, help_text='An amount as text, such as "10.00".'
    )
    # Not required on PUT either: clients written before the field keep its value by leaving it out.
    surcharge_over_declared = StrictBooleanField(
        required=False,
        help_text="Surcharge over-declared lines too (default false: only under-declared ones).",
    )
    auto_approve_clean = StrictBooleanField()
    reminder_days = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=90),
        max_length=10,
        help_text="Days before the deadline (1 to 90); stored once each, furthest first.",
    )


class MspAccountSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="msp.pk")
    slug = serializers.CharField(source="msp.slug")
    name = serializers.CharField(source="msp.name")
    timezone = serializers.CharField(source="msp.timezone")
    currency = serializers.CharField(source="msp.currency")
    settings = AccountSettingsSerializer()


class AccountAPIMixin(TenantAPIMixin):
    """Distributors only (404 for an MSP); reviewers read, admins change."""

    required_kind = OrganisationKind.DISTRIBUTOR
    required_perms = {
        "*": Perm.VIEW_SERVED_REPORTS,
        "PUT": Perm.MANAGE_ACCOUNTS,
        "PATCH": Perm.MANAGE_ACCOUNTS,
    }

    def load_objects(self):
        if "msp_id" in self.kwargs:
            self.row = accounts.account_settings_get(tenant=self.tenant, msp_id=self.kwargs["msp_id"])


class MspAccountListView(AccountAPIMixin, ListAPIView):
    """The MSPs you serve with their settings, by name. Filter: q (part of the name)."""

    serializer_class = MspAccountSerializer
    filterset_class = ServedMspFilter
    queryset = selectors.no_organisations()  # for the schema only

    def get_queryset(self):
        return accounts.account_msp_list(tenant=self.tenant)

    def list(self, request, *args, **kwargs):
        msps = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(msps)
        rows = accounts.account_settings_list(tenant=self.tenant, msps=page)
        return self.get_paginated_response(MspAccountSerializer(rows, many=True).data)

    @extend_schema(responses={200: MspAccountSerializer(many=True), **error_responses(400, 401, 403, 404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class MspAccountSettingsView(AccountAPIMixin, GenericAPIView):
    """One MSP account's settings. Changes apply to deadlines opened or rejected from now on;
    existing deadlines are not moved."""

    serializer_class = AccountSettingsWriteSerializer

    @extend_schema(responses={200: AccountSettingsSerializer, **error_responses(401, 403, 404)})
    def get(self, request, org_slug, msp_id):
        return Response(AccountSettingsSerializer(self.row.settings).data)

    @extend_schema(
        request=AccountSettingsWriteSerializer,
        responses={200: AccountSettingsSerializer, **error_responses(400, 401, 403, 404)},
    )
    def put(self, request, org_slug, msp_id):
        return self.settings_update(request, partial=False)

    @extend_schema(
        request=AccountSettingsWriteSerializer,
        responses={200: AccountSettingsSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, org_slug, msp_id):
        return self.settings_update(request, partial=True)

    def settings_update(self, request, *, partial: bool) -> Response:
        serializer = AccountSettingsWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        settings = accounts.account_settings_update(
            tenant=self.tenant,
            acting_user=request.user,
            msp_id=self.row.msp.pk,
            data=serializer.validated_data,
        )
        return Response(AccountSettingsSerializer(settings).data)
