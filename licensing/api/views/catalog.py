"""The catalog: any member reads it (an MSP its distributor's products on sale), the
distributor's admins create and change products. A taken SKU is refused by the service that
saves the product (field key ``sku_code``), as on the page."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from msp_portal.api.schema import error_responses
from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.views_base import TenantAPIMixin

from ... import selectors, services
from ...models import Product
from ...url_objects import load_url_objects
from ..filters import CatalogFilter
from ..serializers import ProductSerializer, ProductWriteSerializer


class CatalogAPIMixin(TenantAPIMixin):
    """Any member reads the catalog (an MSP its distributor's); distributor admins change it."""

    required_perms = {"POST": Perm.MANAGE_ACCOUNTS, "PATCH": Perm.MANAGE_ACCOUNTS}

    def load_objects(self):
        load_url_objects(self)


class CatalogListView(CatalogAPIMixin, ListAPIView):
    """The catalog: products and SKUs with price, billing type and program. Filters: q,
    publisher, billing_type, program (the catalog page's filter set)."""

    serializer_class = ProductSerializer
    queryset = Product.objects.none()  # for the schema only
    filterset_class = CatalogFilter

    def get_queryset(self):
        # What the catalog page lists: an MSP does not see products taken off sale.
        return selectors.catalog_list(organisation=self.tenant.organisation)

    @extend_schema(responses={200: ProductSerializer(many=True), **error_responses(400, 401, 404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=ProductWriteSerializer,
        responses={201: ProductSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, org_slug):
        serializer = ProductWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.setdefault("currency", self.tenant.organisation.currency)
        product = services.product_save(tenant=self.tenant, **fields)
        return Response(ProductSerializer(product).data, status=status.HTTP_201_CREATED)


class ProductDetailView(CatalogAPIMixin, APIView):
    """A product of the catalog; its distributor's admins change it (PATCH: only the fields sent)."""

    @extend_schema(responses={200: ProductSerializer, **error_responses(401, 404)})
    def get(self, request, org_slug, product_id):
        return Response(ProductSerializer(self.product).data)

    @extend_schema(
        request=ProductWriteSerializer,
        responses={200: ProductSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def patch(self, request, org_slug, product_id):
        serializer = ProductWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        product = services.product_save(
            tenant=self.tenant, product_id=self.product.pk, **dict(serializer.validated_data)
        )
        return Response(ProductSerializer(product).data)
