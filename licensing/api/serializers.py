from decimal import Decimal

from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from msp_portal.api.fields import (
    MoneyField,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictDecimalField,
    StrictIntegerField,
    UnitPriceField,
)

from ..charge_cycles import service_billing_details
from ..choices import BillingFrequency, BillingType, Program
from ..models import (
    AssignmentEvent,
    CostCenter,
    License,
    LicensingSettings,
    Product,
    TrueUpCharge,
)
from ..services import MAX_QUANTITY
from ..services.settings import ALERT_UNITS_MAX, NEAR_CAPACITY_MAX, NEAR_CAPACITY_MIN

ID_MAX = 2**63 - 1  # identifiers are 64-bit

# --- strict input fields: JSON types as the schema says, nothing coerced ------------------------


class FullMatchRegexValidator(RegexValidator):
    """The pattern must cover the whole value (a trailing newline does not slip through)."""

    def __call__(self, value):
        if not self.regex.fullmatch(str(value)):
            raise serializers.ValidationError(self.message, code=self.code)


class StrictText(StrictCharField):
    """Text whose length is measured as sent, before surrounding spaces are trimmed (as the
    schema's maxLength measures it)."""

    def run_validation(self, data=serializers.empty):
        if isinstance(data, str) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().run_validation(data)


class StrictOptionalText(StrictText):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("default", "")
        super().__init__(**kwargs)


# --- catalog ----------------------------------------------------------------------------------


class ProductSerializer(serializers.ModelSerializer):
    billing_type_label = serializers.CharField(source="get_billing_type_display", read_only=True)
    program_label = serializers.CharField(source="get_program_display", read_only=True)
    allows_overallocation = serializers.BooleanField(
        read_only=True,
        help_text="True for programs with a yearly true-up; false where over-allocation is refused.",
    )
    unit_price = UnitPriceField()

    class Meta:
        model = Product
        fields = [
            "id",
            "product_code",
            "sku_code",
            "name",
            "publisher",
            "unit_type",
            "unit_price",
            "currency",
            "billing_type",
            "billing_type_label",
            "program",
            "program_label",
            "allows_overallocation",
            "is_active",
        ]
        read_only_fields = fields


class ProductWriteSerializer(serializers.Serializer):
    """A product of the distributor's catalog. On PATCH every field is optional."""

    product_code = StrictText(max_length=64)
    sku_code = StrictText(max_length=64)
    name = StrictText(max_length=200)
    publisher = StrictText(max_length=100)
    unit_type = StrictText(max_length=32, required=False, default="seat")
    unit_price = StrictDecimalField(max_digits=14, decimal_places=4, min_value=Decimal("0"))
    currency = StrictText(
        min_length=3,
        max_length=3,
        required=False,
        validators=[
            FullMatchRegexValidator(r"^[A-Z]{3}$", _("Use a three-letter currency code, such as EUR."))
        ],
        help_text="ISO 4217 code; the organisation's currency when left out.",
    )
    billing_type = StrictChoiceField(choices=BillingType.choices)
    program = StrictChoiceField(choices=Program.choices)
    is_active = StrictBooleanField(required=False, default=True, help_text="On sale.")


# --- cost centers -----------------------------------------------------------------------------


class CostCenterRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = CostCenter
        fields = ["id", "code", "name"]
        read_only_fields = fields


class CostCenterSerializer(serializers.ModelSerializer):
    parent = CostCenterRefSerializer(read_only=True, allow_null=True)
    license_count = serializers.IntegerField(
        read_only=True, help_text="Licenses charged to this cost center."
    )

    class Meta:
        model = CostCenter
        fields = ["id", "code", "name", "parent", "license_count", "created_at"]
        read_only_fields = fields


class CostCenterWriteSerializer(serializers.Serializer):
    """On PATCH every field is optional; the others keep their value."""

    code = StrictText(max_length=32)
    name = StrictText(max_length=200)
    parent = StrictIntegerField(
        min_value=1,
        max_value=ID_MAX,
        allow_null=True,
        required=False,
        help_text="Id of the parent cost center, or null.",
    )


# --- thresholds -------------------------------------------------------------------------------


class LicensingSettingsSerializer(serializers.ModelSerializer):
    near_capacity_percent = serializers.IntegerField(
        read_only=True,
        help_text="A subscription is near capacity from this % of its owned licenses assigned.",
    )
    overallocation_alert_units = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="Admins are e-mailed when a subscription is over-allocated by more than this; null: no e-mail.",
    )
    several_seats_per_person = serializers.BooleanField(
        read_only=True,
        help_text="False: an e-mail address holds at most one license of a subscription.",
    )

    class Meta:
        model = LicensingSettings
        fields = ["near_capacity_percent", "overallocation_alert_units", "several_seats_per_person"]
        read_only_fields = fields


class LicensingSettingsWriteSerializer(serializers.Serializer):
    """Both thresholds, every time (PUT replaces them): null alert units turn the e-mail off."""

    near_capacity_percent = StrictIntegerField(min_value=NEAR_CAPACITY_MIN, max_value=NEAR_CAPACITY_MAX)
    overallocation_alert_units = StrictIntegerField(min_value=0, max_value=ALERT_UNITS_MAX, allow_null=True)
    several_seats_per_person = StrictBooleanField(required=False, default=False)


# --- subscriptions ----------------------------------------------------------------------------


class ProductSummarySerializer(serializers.ModelSerializer):
    allows_overallocation = serializers.BooleanField(read_only=True)
    unit_price = UnitPriceField()

    class Meta:
        model = Product
        fields = [
            "id",
            "product_code",
            "sku_code",
            "name",
            "publisher",
            "unit_price",
            "currency",
            "billing_type",
            "program",
            "allows_overallocation",
        ]
        read_only_fields = fields


class PeakSerializer(serializers.Serializer):
    units = serializers.IntegerField(help_text="The highest number of licenses assigned at any moment.")
    first_reached = serializers.DateTimeField(
        allow_null=True, help_text="When that number was first reached (null when nothing was ever assigned)."
    )


class TrueUpSerializer(serializers.Serializer):
    units = serializers.IntegerField(
        source="true_up_units",
        help_text="max(peak since the last anniversary − owned now, 0): what the true-up will bill if "
        "nothing changes.",
    )
    amount = MoneyField(source="true_up_amount", help_text="units × unit price, rounded half-up to the cent.")
    currency = serializers.CharField(source="subscription.product.currency")
    date = serializers.DateField(source="true_up_date", help_text="The next yearly true-up date of the term.")


class ServiceBillingSerializer(serializers.Serializer):
    """A subscription's charge cycle (docs/invoicing.md, "Charge cycles"), read-only."""

    frequency = serializers.ChoiceField(choices=BillingFrequency.choices, help_text="monthly or yearly.")
    billing_day = serializers.IntegerField(
        help_text="The day of the month each cycle starts (the month's last day when it is shorter)."
    )
    cycle_start = serializers.DateField(
        source="current_cycle.start", help_text="First day of the cycle running today."
    )
    cycle_end = serializers.DateField(
        source="current_cycle.end", help_text="Last day of that cycle (included)."
    )
    next_billing_date = serializers.DateField(
        help_text="The day the next cycle starts, in the organisation's time zone."
    )


class SubscriptionStatusSerializer(serializers.Serializer):
    """A subscription with its counts, peaks and the expected true-up."""

    id = serializers.IntegerField(source="subscription.pk")
    product = ProductSummarySerializer(source="subscription.product")
    term_start = serializers.DateField(source="subscription.term_start")
    owned = serializers.IntegerField(help_text="Licenses owned.")
    assigned = serializers.IntegerField(help_text="Licenses assigned (over-allocated seats included).")
    free = serializers.IntegerField(help_text="Owned licenses not assigned.")
    excess = serializers.IntegerField(help_text="Assigned beyond owned (over-allocation).")
    percent = serializers.IntegerField(help_text="Assigned as a share of owned, in percent.")
    near_capacity = serializers.BooleanField(
        help_text="Assigned share at or above the organisation's threshold (90 % by default), not over-allocated."
    )
    can_be_removed = serializers.IntegerField(help_text="Unassigned licenses: the most a removal can take.")
    peak_year = PeakSerializer(help_text="Peak of the past 365 days.")
    peak_term = PeakSerializer(help_text="Peak since the term started.")
    peak_true_up = PeakSerializer(
        help_text="Peak of the current true-up year (since the last anniversary of the term): what the "
        "true-up bills."
    )
    true_up = TrueUpSerializer(
        source="*", help_text="The expected true-up (0 units where the program has none)."
    )
    service_billing = serializers.SerializerMethodField(
        help_text="The charge cycle: frequency, start day, the cycle running today and the next billing date."
    )

    @extend_schema_field(ServiceBillingSerializer)
    def get_service_billing(self, status) -> dict:
        subscription = status.subscription
        request = self.context.get("request")
        tenant = getattr(request, "tenant", None)
        zone = tenant.organisation.timezone if tenant is not None else subscription.organisation.timezone
        details = service_billing_details(subscription, timezone_name=zone, now=timezone.now())
        return ServiceBillingSerializer(details).data


class MspRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class TrueUpChargeSerializer(serializers.ModelSerializer):
    """A yearly true-up charged: the peak of the true-up year beyond the licenses owned at its
    end, in units and money."""

    msp = MspRefSerializer(source="organisation", read_only=True)
    subscription = serializers.IntegerField(source="subscription_id", read_only=True)
    product = ProductSummarySerializer(source="subscription.product", read_only=True)
    period_start = serializers.DateTimeField(
        read_only=True,
        help_text="Start of the true-up year: the MSP-local midnight of the previous anniversary.",
    )
    period_end = serializers.DateTimeField(
        read_only=True,
        help_text="End of the true-up year (excluded): the MSP-local midnight of the true-up date.",
    )
    peak_units = serializers.IntegerField(
        read_only=True, help_text="The most licenses assigned at any moment of the year."
    )
    peak_reached_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When the peak was first reached (null: nothing assigned)."
    )
    owned_units = serializers.IntegerField(read_only=True, help_text="Licenses owned at the end of the year.")
    units = serializers.IntegerField(read_only=True, help_text="Units billed: max(peak − owned, 0).")
    unit_price = UnitPriceField()
    amount = MoneyField(help_text="units × unit price, rounded half-up to the cent.")

    class Meta:
        model = TrueUpCharge
        fields = [
            "id",
            "msp",
            "subscription",
            "product",
            "true_up_date",
            "period_start",
            "period_end",
            "peak_units",
            "peak_reached_at",
            "owned_units",
            "units",
            "unit_price",
            "amount",
            "currency",
            "created_at",
        ]
        read_only_fields = fields


class SubscriptionOverviewSerializer(serializers.Serializer):
    overallocation_count = serializers.IntegerField(
        help_text="Over-allocated licenses across all subscriptions (the figure shown at the top)."
    )
    overallocated_subscriptions = serializers.IntegerField(help_text="Subscriptions with an over-allocation.")
    near_capacity_subscriptions = serializers.IntegerField(help_text="Subscriptions near capacity.")
    subscriptions = serializers.IntegerField(help_text="All subscriptions.")


class AssignSerializer(serializers.Serializer):
    """Who gets the license: at least one of name, email and extension."""

    name = StrictOptionalText(max_length=200)
    email = StrictOptionalText(max_length=254, help_text="E-mail address.")
    extension = StrictOptionalText(max_length=20, help_text="Phone extension.")
    cost_center = StrictIntegerField(
        min_value=1,
        max_value=ID_MAX,
        allow_null=True,
        required=False,
        default=None,
        help_text="Id of the cost center to charge; left out or null keeps the license's own.",
    )


class RemoveSerializer(serializers.Serializer):
    quantity = StrictIntegerField(
        min_value=1,
        max_value=MAX_QUANTITY,
        help_text="How many unassigned licenses to remove (at most can_be_removed).",
    )


class RemoveResultSerializer(serializers.Serializer):
    removed = serializers.IntegerField()
    subscription = SubscriptionStatusSerializer()


class AssignmentEventSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    license = serializers.IntegerField(source="license_ref", read_only=True, allow_null=True)
    actor = serializers.SerializerMethodField()

    class Meta:
        model = AssignmentEvent
        fields = [
            "id",
            "kind",
            "kind_label",
            "assigned_delta",
            "owned_after",
            "license",
            "assignee",
            "actor",
            "at",
        ]
        read_only_fields = fields

    def get_actor(self, event) -> str | None:
        """The acting person's e-mail; null when the system acted."""
        return event.actor.email if event.actor_id else None


# --- licenses ---------------------------------------------------------------------------------


class LicenseSerializer(serializers.ModelSerializer):
    subscription = serializers.IntegerField(source="subscription_id", read_only=True)
    product = ProductSummarySerializer(source="subscription.product", read_only=True)
    state = serializers.SerializerMethodField()
    assignee_email = serializers.CharField(read_only=True, help_text="E-mail address; empty when free.")
    cost_center = CostCenterRefSerializer(read_only=True, allow_null=True)
    purchase = serializers.IntegerField(source="purchase_id", read_only=True, allow_null=True)

    class Meta:
        model = License
        fields = [
            "id",
            "subscription",
            "product",
            "state",
            "is_overage",
            "assignee_name",
            "assignee_email",
            "assignee_extension",
            "assigned_at",
            "cost_center",
            "purchase",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "enum": ["assigned", "free"]})
    def get_state(self, license) -> str:
        """ "assigned" or "free"."""
        return "assigned" if license.is_assigned else "free"


class LicenseMoveSerializer(serializers.Serializer):
    license_ids = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=ID_MAX), min_length=1, max_length=MAX_QUANTITY
    )
    cost_center = StrictIntegerField(
        min_value=1,
        max_value=ID_MAX,
        allow_null=True,
        help_text="Id of the cost center to charge, or null for none.",
    )


class MoveResultSerializer(serializers.Serializer):
    moved = serializers.IntegerField()


class BulkAssignSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="CSV (UTF-8) with a header naming the columns sku, name, email, extension, cost_center "
        "(sku required; a name, e-mail or extension on every row; cost_center is a code)."
    )


class BulkAssignResultSerializer(serializers.Serializer):
    applied = serializers.IntegerField(help_text="Rows applied (all of them).")


class RowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(
        help_text="Line in the file (the header is line 1; 0 for the file as a whole)."
    )
    column = serializers.CharField(allow_blank=True)
    message = serializers.CharField()


class BulkAssignErrorSerializer(serializers.Serializer):
    """The project's error body with every refused row; nothing was applied."""

    status = serializers.IntegerField()
    code = serializers.CharField()
    detail = serializers.CharField()
    errors = serializers.DictField(required=False, help_text="Messages per field or per line.")
    rows = RowErrorSerializer(many=True, required=False, help_text="Each problem with its line and column.")


# --- purchases --------------------------------------------------------------------------------
