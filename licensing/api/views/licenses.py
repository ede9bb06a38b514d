"""An MSP's licenses: the list (the page's filter set), one license, unassigning it, moving
licenses between cost centers, and assigning many from a CSV file."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from msp_portal.api.schema import ErrorSerializer, error_responses
from msp_portal.errors import DomainError, item_key

from ... import selectors, services
from ...bulk import MAX_BYTES
from ...models import License
from ..filters import LicenseAPIFilter
from ..serializers import (
    BulkAssignErrorSerializer,
    BulkAssignResultSerializer,
    BulkAssignSerializer,
    LicenseMoveSerializer,
    LicenseSerializer,
    MoveResultSerializer,
)
from ._base import LicensingAPIMixin

UNSUPPORTED_MEDIA_TYPE = {
    415: OpenApiResponse(ErrorSerializer, description="Send the file as multipart/form-data.")
}


class LicenseListView(LicensingAPIMixin, ListAPIView):
    """Every license of the MSP: type, assignee, extension, cost center, date added. Filters: q,
    cost_center (repeatable; 'none' for licenses without one), subscription, state (assigned or
    free)."""

    serializer_class = LicenseSerializer
    queryset = License.objects.none()  # for the schema only
    filterset_class = LicenseAPIFilter

    def get_queryset(self):
        return selectors.license_list(organisation=self.tenant.organisation)

    @extend_schema(responses={200: LicenseSerializer(many=True), **error_responses(400, 401, 403, 404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class LicenseDetailView(LicensingAPIMixin, APIView):
    @extend_schema(responses={200: LicenseSerializer, **error_responses(401, 403, 404)})
    def get(self, request, org_slug, license_id):
        return Response(LicenseSerializer(self.license).data)


class UnassignView(LicensingAPIMixin, APIView):
    """Return the license to the pool (an over-allocated seat, never owned, goes away). The peak
    already reached stays. Unassigning a free license changes nothing."""

    @extend_schema(request=None, responses={204: None, **error_responses(401, 403, 404)})
    def post(self, request, org_slug, license_id):
        services.license_unassign(tenant=self.tenant, acting_user=request.user, license_id=self.license.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LicenseMoveView(LicensingAPIMixin, GenericAPIView):
    """Charge licenses to another cost center (or to none)."""

    serializer_class = LicenseMoveSerializer

    @extend_schema(
        request=LicenseMoveSerializer,
        responses={200: MoveResultSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, org_slug):
        serializer = LicenseMoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        moved = services.licenses_move(
            tenant=self.tenant,
            license_ids=serializer.validated_data["license_ids"],
            cost_center_id=serializer.validated_data["cost_center"],
        )
        return Response(MoveResultSerializer({"moved": moved}).data)


class BulkAssignView(LicensingAPIMixin, GenericAPIView):
    """Assign licenses from a CSV file, all rows or none: 400 lists every refused row (line,
    column, message) and nothing is applied."""

    serializer_class = BulkAssignSerializer
    parser_classes = [MultiPartParser]

    @extend_schema(
        request=BulkAssignSerializer,
        responses={
            200: BulkAssignResultSerializer,
            400: OpenApiResponse(
                BulkAssignErrorSerializer,
                description="The file or some rows were refused; nothing was applied.",
            ),
            **error_responses(401, 403, 404),
            **UNSUPPORTED_MEDIA_TYPE,
        },
    )
    def post(self, request, org_slug):
        serializer = BulkAssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        raw = upload.read(MAX_BYTES + 1)  # the parser refuses anything larger
        result = services.licenses_bulk_assign(tenant=self.tenant, acting_user=request.user, raw=raw)
        if result.errors:
            # Stable keys: rows.3.email for a cell, rows.3 for a whole row, file for the file.
            by_key: dict[str, list[str]] = {}
            for error in result.errors:
                key = item_key("rows", error.line, error.column) if error.line else "file"
                by_key.setdefault(key, []).append(error.message)
            raise DomainError(
                _(
                    "Nothing was assigned: %(count)s problems in the file. Fix the rows listed and upload it again."
                )
                % {"count": len(result.errors)},
                code="invalid_rows",
                field_errors=by_key,
                extra={
                    "rows": [
                        {"line": error.line, "column": error.column, "message": error.message}
                        for error in result.errors
                    ]
                },
            )
        return Response(BulkAssignResultSerializer({"applied": result.applied}).data)
