"""The purchase API's bodies and answers (split from serializers.py, which holds the rest)."""

from rest_framework import serializers

from msp_portal.api.fields import MoneyField, StrictBooleanField, StrictIntegerField, UnitPriceField

from ..models import Purchase, PurchaseAllocation, PurchaseLine
from ..services import MAX_QUANTITY
from .serializers import ID_MAX, CostCenterRefSerializer, ProductSummarySerializer, StrictText


class AllocationInSerializer(serializers.Serializer):
    cost_center = StrictIntegerField(
        min_value=1,
        max_value=ID_MAX,
        allow_null=True,
        required=False,
        default=None,
        help_text="Cost center id; null or left out for none.",
    )
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY)


class PurchaseLineInSerializer(serializers.Serializer):
    product_id = StrictIntegerField(
        min_value=1, max_value=ID_MAX, help_text="Id of a product of the catalog."
    )
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY)
    allocations = AllocationInSerializer(
        many=True,
        required=False,
        max_length=100,
        help_text="How the licenses split over cost centers (quantities add up to the line's); "
        "empty or left out: none assigned to a cost center.",
    )


class PurchaseCreateSerializer(serializers.Serializer):
    lines = PurchaseLineInSerializer(many=True, allow_empty=False, max_length=100)
    acknowledged = StrictBooleanField(help_text="The buyer accepts the terms of the purchase (must be true).")
    idempotency_key = StrictText(
        max_length=64,
        help_text="A key of your choice, unique per purchase: repeating it returns the first purchase (200).",
    )


class AllocationSerializer(serializers.ModelSerializer):
    cost_center = CostCenterRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = PurchaseAllocation
        fields = ["cost_center", "quantity"]
        read_only_fields = fields


class PurchaseLineSerializer(serializers.ModelSerializer):
    product = ProductSummarySerializer(read_only=True)
    allocations = AllocationSerializer(many=True, read_only=True)
    unit_price = UnitPriceField(help_text="The catalog price when the purchase was made.")
    total = MoneyField(help_text="quantity × unit price, rounded half-up to the cent.")

    class Meta:
        model = PurchaseLine
        fields = ["id", "product", "quantity", "unit_price", "total", "allocations"]
        read_only_fields = fields


class PurchaseSerializer(serializers.ModelSerializer):
    created_by = serializers.EmailField(source="created_by.email", read_only=True)
    total = MoneyField(help_text="The sum of the lines' totals.")

    class Meta:
        model = Purchase
        fields = ["id", "number", "created_at", "created_by", "currency", "total", "acknowledged_terms"]
        read_only_fields = fields


class PurchaseDetailSerializer(PurchaseSerializer):
    lines = PurchaseLineSerializer(many=True, read_only=True)

    class Meta(PurchaseSerializer.Meta):
        fields = [*PurchaseSerializer.Meta.fields, "idempotency_key", "lines"]
        read_only_fields = fields
