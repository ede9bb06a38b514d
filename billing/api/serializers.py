"""What billing's API reads and answers: an upload (kind and file), an import with its progress
and the links to follow it, and a problem of a refused file."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from msp_portal.api.fields import StrictChoiceField

from ..forms import KIND_CHOICES
from ..models import ImportProblem, ReconciliationImport
from ..selectors import import_progress


class ImportUploadSerializer(serializers.Serializer):
    kind = StrictChoiceField(
        choices=KIND_CHOICES, help_text="daily-usage (the vendor's 50-column daily-rated usage) or invoice."
    )
    file = serializers.FileField(help_text="The CSV file as the vendor's portal exports it (UTF-8).")


class ImportProgressSerializer(serializers.Serializer):
    bytes_read = serializers.IntegerField()
    size_bytes = serializers.IntegerField()
    percent = serializers.IntegerField(help_text="0 to 100; 100 once the import has ended.")


class ImportSerializer(serializers.ModelSerializer):
    created_by = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    urls = serializers.SerializerMethodField()

    class Meta:
        model = ReconciliationImport
        fields = [
            "id",
            "kind",
            "file_name",
            "size_bytes",
            "state",
            "progress",
            "period",
            "invoice_number",
            "row_count",
            "flagged_count",
            "problem_count",
            "refusal",
            "replaces",
            "created_by",
            "created_at",
            "finished_at",
            "urls",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.EmailField(allow_null=True))
    def get_created_by(self, record) -> str | None:
        return record.created_by.email if record.created_by else None

    @extend_schema_field(ImportProgressSerializer)
    def get_progress(self, record) -> dict:
        progress = import_progress(reconciliation_import=record)
        return {
            "bytes_read": progress.bytes_read,
            "size_bytes": progress.size_bytes,
            "percent": progress.percent,
        }

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "self": {"type": "string"},
                "problems": {"type": "string"},
                "page": {"type": "string"},
            },
        }
    )
    def get_urls(self, record) -> dict:
        kwargs = {"org_slug": record.organisation.slug, "import_id": record.pk}
        return {
            "self": reverse("api-billing-import-detail", kwargs=kwargs),
            "problems": reverse("api-billing-import-problems", kwargs=kwargs),
            "page": reverse("billing:import-detail", kwargs=kwargs),
        }


class ImportProblemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportProblem
        fields = ["line", "column", "message"]
        read_only_fields = fields
