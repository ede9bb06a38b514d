"""An MSP's cost centers: the list (the page's filter set) and one cost center, read and
changed."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from msp_portal.api.schema import error_responses

from ... import selectors, services
from ...models import CostCenter
from ..filters import CostCenterFilter
from ..serializers import CostCenterSerializer, CostCenterWriteSerializer
from ._base import LicensingAPIMixin


class CostCenterListView(LicensingAPIMixin, ListAPIView):
    """Cost centers by code, with the number of licenses each is charged. Filter: q."""

    serializer_class = CostCenterSerializer
    queryset = CostCenter.objects.none()  # for the schema only
    filterset_class = CostCenterFilter

    def get_queryset(self):
        return selectors.cost_center_list(organisation=self.tenant.organisation)

    @extend_schema(responses={200: CostCenterSerializer(many=True), **error_responses(400, 401, 403, 404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=CostCenterWriteSerializer,
        responses={201: CostCenterSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, org_slug):
        serializer = CostCenterWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        cost_center = services.cost_center_save(
            tenant=self.tenant, code=data["code"], name=data["name"], parent_id=data.get("parent")
        )
        created = selectors.cost_center_get(
            organisation=self.tenant.organisation, cost_center_id=cost_center.pk
        )
        return Response(CostCenterSerializer(created).data, status=status.HTTP_201_CREATED)


class CostCenterDetailView(LicensingAPIMixin, APIView):
    @extend_schema(responses={200: CostCenterSerializer, **error_responses(401, 403, 404)})
    def get(self, request, org_slug, cost_center_id):
        return Response(CostCenterSerializer(self.cost_center).data)

    @extend_schema(
        request=CostCenterWriteSerializer,
        responses={200: CostCenterSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, org_slug, cost_center_id):
        serializer = CostCenterWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.cost_center_save(
            tenant=self.tenant,
            cost_center_id=self.cost_center.pk,
            code=data.get("code", self.cost_center.code),
            name=data.get("name", self.cost_center.name),
            parent_id=data["parent"] if "parent" in data else self.cost_center.parent_id,
        )
        updated = selectors.cost_center_get(
            organisation=self.tenant.organisation, cost_center_id=self.cost_center.pk
        )
        return Response(CostCenterSerializer(updated).data)
