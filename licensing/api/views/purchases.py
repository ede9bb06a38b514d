"""An MSP's purchases: the list (the purchases page's filter set), confirming one (the same
idempotency_key confirms once, as the cart's confirmation page does), and one purchase with
its lines."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from msp_portal.api.schema import error_responses

from ... import selectors, services
from ...models import Purchase
from ..filters import PurchaseFilter
from ..serializers_purchases import PurchaseCreateSerializer, PurchaseDetailSerializer, PurchaseSerializer
from ._base import LicensingAPIMixin


class PurchaseListView(LicensingAPIMixin, ListAPIView):
    """Purchases, newest first; POST confirms one (each line split over cost centers). Filter:
    q (purchase number, buyer's e-mail, a product's name or SKU id)."""

    serializer_class = PurchaseSerializer
    queryset = Purchase.objects.none()  # for the schema only
    filterset_class = PurchaseFilter

    def get_queryset(self):
        return selectors.purchase_list(organisation=self.tenant.organisation)

    @extend_schema(responses={200: PurchaseSerializer(many=True), **error_responses(400, 401, 403, 404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=PurchaseCreateSerializer,
        responses={
            201: PurchaseDetailSerializer,
            200: OpenApiResponse(
                PurchaseDetailSerializer,
                description="This idempotency_key was confirmed before: the first purchase, unchanged.",
            ),
            **error_responses(400, 401, 403, 404, 409),
        },
    )
    def post(self, request, org_slug):
        serializer = PurchaseCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # The service answers a key confirmed before with that purchase (created=False).
        purchase, created = services.purchase_confirm(
            tenant=self.tenant,
            acting_user=request.user,
            lines=[
                services.PurchaseRequestLine(
                    product_id=line["product_id"],
                    quantity=line["quantity"],
                    allocations=[
                        (allocation["cost_center"], allocation["quantity"])
                        for allocation in line.get("allocations", [])
                    ],
                )
                for line in data["lines"]
            ],
            acknowledged=data["acknowledged"],
            idempotency_key=data["idempotency_key"],
        )
        detail = selectors.purchase_get(
            organisation=self.tenant.organisation, purchase_id=purchase.pk, with_lines=True
        )
        return Response(
            PurchaseDetailSerializer(detail).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class PurchaseDetailView(LicensingAPIMixin, APIView):
    @extend_schema(responses={200: PurchaseDetailSerializer, **error_responses(401, 403, 404)})
    def get(self, request, org_slug, purchase_id):
        return Response(PurchaseDetailSerializer(self.purchase).data)
