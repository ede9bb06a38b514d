"""The proration calculator through the API (docs/invoicing.md, "Proration"): any member of the
organisation, MSP or distributor; nothing is stored."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from msp_portal.api.fields import MoneyField, StrictDecimalField, StrictIntegerField
from msp_portal.api.schema import error_responses
from msp_portal.tenancy.views_base import TenantAPIMixin

from .forms_proration import MAX_QUANTITY
from .proration import proration_quote


class ProrationRequestSerializer(serializers.Serializer):
    unit_price = StrictDecimalField(
        max_digits=14,
        decimal_places=4,
        min_value=0,
        help_text='The monthly unit price, as text ("10.00"); up to 4 decimals, used exactly.',
    )
    cycle_start = serializers.DateField(help_text="The first day of the monthly charge cycle.")
    change_date = serializers.DateField(help_text="The day the license count changed, inside the cycle.")
    old_quantity = StrictIntegerField(min_value=0, max_value=MAX_QUANTITY, help_text="Licenses before.")
    new_quantity = StrictIntegerField(min_value=0, max_value=MAX_QUANTITY, help_text="Licenses after.")


class ProrationResultSerializer(serializers.Serializer):
    daily_rate = MoneyField(
        max_digits=30,
        decimal_places=8,
        help_text="The monthly unit price ÷ the days of the month in which the cycle starts, cut to 8 decimals.",
    )
    days = serializers.IntegerField(
        help_text="From the change date, that day included, to the cycle's last day."
    )
    refund = MoneyField(help_text="old_quantity × daily_rate × days, cut to the cent.")
    charge = MoneyField(help_text="new_quantity × daily_rate × days, cut to the cent.")
    month_total = MoneyField(
        help_text="old_quantity × unit_price (rounded half-up to the cent) + charge − refund."
    )


EXAMPLE = {
    "unit_price": "10.00",
    "cycle_start": "2023-06-10",
    "change_date": "2023-06-20",
    "old_quantity": 10,
    "new_quantity": 15,
}


class ProrationCalculatorView(TenantAPIMixin, APIView):
    """Price a mid-cycle change of a license count as the invoice's proration lines do: the days
    left in the monthly cycle (the change day included) refunded at the old count and charged
    at the new one. 400 names the field refused: a change date outside the cycle, a negative
    count, a price that is not a decimal string."""

    @extend_schema(
        operation_id="orgs_billing_proration_calculate",
        request=ProrationRequestSerializer,
        responses={200: ProrationResultSerializer, **error_responses(400, 401, 404)},
        examples=[OpenApiExample("10 → 15 licenses on June 20", value=EXAMPLE, request_only=True)],
    )
    def post(self, request, org_slug):
        serializer = ProrationRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(ProrationResultSerializer(proration_quote(**serializer.validated_data)).data)
