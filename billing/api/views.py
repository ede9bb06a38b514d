"""An MSP's reconciliation imports through the API: upload a file (202: a worker imports it),
the list (the page's filter set), one import with its progress, and the problems that refused
a file."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from msp_portal.api.schema import ErrorSerializer, error_responses
from msp_portal.tenancy.choices import OrganisationKind, Perm
from msp_portal.tenancy.views_base import TenantAPIMixin

from .. import selectors, services
from ..columns import FileKind
from ..filters import ImportFilter
from ..models import ImportProblem, ReconciliationImport
from .serializers import ImportProblemSerializer, ImportSerializer, ImportUploadSerializer

UNSUPPORTED_MEDIA_TYPE = {
    415: OpenApiResponse(ErrorSerializer, description="Send the file as multipart/form-data.")
}


class BillingAPIMixin(TenantAPIMixin):
    """An MSP's billing: who may see billing reads, who runs imports uploads. The import named in
    the URL is looked up in the organisation first (another organisation's id is a 404)."""

    required_kind = OrganisationKind.MSP
    required_perms = {"*": Perm.VIEW_BILLING, "POST": Perm.MANAGE_BILLING}

    def load_objects(self):
        if "import_id" in self.kwargs:
            self.record = selectors.reconciliation_import_get(
                organisation=self.tenant.organisation, import_id=self.kwargs["import_id"]
            )


class ImportListView(BillingAPIMixin, ListAPIView):
    """Imports, newest first (filters: kind, state); POST uploads a file, which a worker then
    imports: follow ``urls.self`` until ``state`` is done or refused."""

    serializer_class = ImportSerializer
    queryset = ReconciliationImport.objects.none()  # for the schema only
    filterset_class = ImportFilter
    parser_classes = [MultiPartParser]

    def get_queryset(self):
        return selectors.reconciliation_import_list(organisation=self.tenant.organisation)

    @extend_schema(responses={200: ImportSerializer(many=True), **error_responses(400, 401, 403, 404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": ImportUploadSerializer},
        responses={
            202: OpenApiResponse(ImportSerializer, description="Stored and queued: a worker imports it."),
            **error_responses(400, 401, 403, 404),
            **UNSUPPORTED_MEDIA_TYPE,
        },
    )
    def post(self, request, org_slug):
        serializer = ImportUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = services.reconciliation_import_upload(
            tenant=self.tenant,
            acting_user=request.user,
            kind=FileKind(serializer.validated_data["kind"]),
            upload=serializer.validated_data["file"],
        )
        return Response(ImportSerializer(record).data, status=status.HTTP_202_ACCEPTED)


class ImportDetailView(BillingAPIMixin, APIView):
    """One import: its state, how much of the file the worker has read, its counts, its refusal."""

    @extend_schema(responses={200: ImportSerializer, **error_responses(401, 403, 404)})
    def get(self, request, org_slug, import_id):
        return Response(ImportSerializer(self.record).data)


class ImportProblemListView(BillingAPIMixin, ListAPIView):
    """Why the file was refused, by line (the header is line 1) and column, paginated."""

    serializer_class = ImportProblemSerializer
    queryset = ImportProblem.objects.none()  # for the schema only

    def get_queryset(self):
        return selectors.import_problems(reconciliation_import=self.record)

    @extend_schema(responses={200: ImportProblemSerializer(many=True), **error_responses(400, 401, 403, 404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
