from decimal import Decimal

from django.utils.translation import gettext_lazy
from rest_framework import serializers

from msp_portal.api.fields import MoneyField, MoneyMethodField, StrictCharField, UnitPriceField

from ..models import LineComment, ReportEvent, ReportPenalty, UsageReport, UsageReportLine
from ..rules import Declaration
from ..selectors import line_amount
from ..services import COMMENT_MAX


class MspSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class UsageReportSerializer(serializers.ModelSerializer):
    msp = MspSerializer(source="organisation", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    submission_kind_label = serializers.CharField(source="get_submission_kind_display", read_only=True)
    needs_review = serializers.BooleanField(source="needs_review_flag", read_only=True)
    line_count = serializers.IntegerField(read_only=True)
    discrepancy_count = serializers.IntegerField(read_only=True)
    amount = MoneyField(
        help_text="Billable units × unit price of every line, each rounded half-up to the cent."
    )

    class Meta:
        model = UsageReport
        fields = [
            "id",
            "msp",
            "cycle",
            "state",
            "state_label",
            "currency",
            "opened_at",
            "deadline",
            "submission_kind",
            "submission_kind_label",
            "submitted_at",
            "needs_review",
            "po_number",
            "line_count",
            "discrepancy_count",
            "amount",
        ]
        read_only_fields = fields


class LineSerializer(serializers.ModelSerializer):
    over_provisioned_percent = serializers.DecimalField(
        max_digits=6, decimal_places=1, read_only=True, allow_null=True
    )
    unit_price = UnitPriceField()
    amount = MoneyMethodField(help_text="Billable units × unit price, rounded half-up to the cent.")
    is_discrepant = serializers.BooleanField(read_only=True)
    declaration = serializers.ChoiceField(
        choices=[(value.value, value.value) for value in Declaration],
        read_only=True,
        help_text="`under`: billable below provided (under-declared); `over`: billable above "
        "provided (over-declared); `match`: equal.",
    )
    has_msp_comment = serializers.BooleanField(read_only=True)

    class Meta:
        model = UsageReportLine
        fields = [
            "id",
            "product_code",
            "sku_code",
            "product_name",
            "unit_type",
            "unit_price",
            "provided_units",
            "used_units",
            "over_provisioned_percent",
            "billable_units",
            "amount",
            "is_discrepant",
            "declaration",
            "has_msp_comment",
            "flagged",
            "version",
        ]
        read_only_fields = fields

    def get_amount(self, line) -> Decimal:
        return line_amount(line)


class PenaltyPreviewSerializer(serializers.Serializer):
    total = MoneyField()
    line_ids = serializers.ListField(child=serializers.IntegerField())


class PenaltySerializer(serializers.ModelSerializer):
    """A penalty applied when the system auto-submitted the report."""

    product_name = serializers.CharField(source="line.product_name", read_only=True)
    reason_display = serializers.CharField(source="get_reason_display", read_only=True)
    reset_amount = MoneyField()
    surcharge = MoneyField()
    total = MoneyField()

    class Meta:
        model = ReportPenalty
        fields = [
            "id",
            "line",
            "product_name",
            "deadline",
            "provided_units",
            "billable_before",
            "reset_amount",
            "surcharge",
            "total",
            "currency",
            "reason",
            "reason_display",
            "created_at",
        ]
        read_only_fields = fields


class UsageReportDetailSerializer(UsageReportSerializer):
    lines = LineSerializer(source="page_lines", many=True, read_only=True)
    penalty_preview = PenaltyPreviewSerializer(read_only=True, allow_null=True)
    penalties = PenaltySerializer(source="page_penalties", many=True, read_only=True)
    unexplained_line_ids = serializers.ListField(child=serializers.IntegerField(), read_only=True)

    class Meta(UsageReportSerializer.Meta):
        fields = [
            *UsageReportSerializer.Meta.fields,
            "note",
            "rejection_reason",
            "reviewed_at",
            "lines",
            "penalty_preview",
            "penalties",
            "unexplained_line_ids",
        ]
        read_only_fields = fields


class LineUpdateSerializer(serializers.Serializer):
    billable_units = serializers.IntegerField(min_value=0, max_value=10_000_000)
    version = serializers.IntegerField(
        min_value=1, help_text="The line version your edit starts from (from GET)."
    )


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.EmailField(source="author.email", read_only=True)
    author_name = serializers.CharField(source="author.get_full_name", read_only=True)
    author_organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    is_from_msp = serializers.BooleanField(read_only=True)

    class Meta:
        model = LineComment
        fields = ["id", "author", "author_name", "author_organisation", "is_from_msp", "body", "created_at"]
        read_only_fields = fields


class CommentCreateSerializer(serializers.Serializer):
    # Said as the page says it (reports/forms.py), in the reader's language: DRF formats this
    # message when it refuses, not at import.
    body = StrictCharField(
        max_length=COMMENT_MAX,
        error_messages={
            "max_length": gettext_lazy("A comment holds at most {max_length} characters: shorten it.")
        },
    )


class SubmitSerializer(serializers.Serializer):
    po_number = StrictCharField(max_length=64, required=False, default="", allow_blank=True)
    note = StrictCharField(max_length=4000, required=False, default="", allow_blank=True)


class RejectSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=4000)
    line_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=10_000
    )


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = ReportEvent
        fields = [
            "id",
            "kind",
            "kind_label",
            "actor",
            "line",
            "from_state",
            "to_state",
            "old_value",
            "new_value",
            "reason",
            "details",
            "created_at",
        ]
        read_only_fields = fields

    def get_actor(self, event) -> str | None:
        """The acting person's e-mail; null when the system acted."""
        return event.actor.email if event.actor_id else None


class LineChangeSerializer(serializers.Serializer):
    line_id = serializers.IntegerField(source="line.pk")
    product_name = serializers.CharField(source="line.product_name")
    old_billable_units = serializers.IntegerField(source="old_billable", allow_null=True)
    new_billable_units = serializers.IntegerField(source="new_billable")
    new_comments = CommentSerializer(many=True)


class ChangesSerializer(serializers.Serializer):
    rejected_at = serializers.DateTimeField(allow_null=True)
    rejection_reason = serializers.CharField(allow_blank=True)
    changes = LineChangeSerializer(many=True)
