"""API of licensing under /api/v1/orgs/<org_slug>/: the catalog (an MSP reads its distributor's,
a distributor's admins manage their own), an MSP's cost centers, subscriptions, licenses and
purchases, and the true-ups charged (an MSP's own, or a distributor's served MSPs'). Views parse,
call one service, answer.

Long because: one small view per endpoint of the licensing API; once the list views use the
shared column/filter descriptions it can be split by resource into a package."""

import zoneinfo

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import Http404
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from msp_portal.api.schema import ErrorSerializer, error_responses
from msp_portal.csv_export import csv_response
from msp_portal.errors import Conflict, DomainError, item_key
from msp_portal.tenancy.choices import OrganisationKind, Perm
from msp_portal.tenancy.views_base import TenantAPIMixin

from .. import selectors, services
from ..bulk import MAX_BYTES
from ..models import AssignmentEvent, CostCenter, License, Product, Purchase, Subscription, TrueUpCharge
from .filters import CostCenterFilter, LicenseAPIFilter, ProductFilter, TrueUpChargeFilter
from .serializers import (
    AssignmentEventSerializer,
    AssignSerializer,
    BulkAssignErrorSerializer,
    BulkAssignResultSerializer,
    BulkAssignSerializer,
    CostCenterSerializer,
    CostCenterWriteSerializer,
    LicenseMoveSerializer,
    LicenseSerializer,
    MoveResultSerializer,
    ProductSerializer,
    ProductWriteSerializer,
    PurchaseCreateSerializer,
    PurchaseDetailSerializer,
    PurchaseSerializer,
    RemoveResultSerializer,
    RemoveSerializer,
    SubscriptionOverviewSerializer,
    SubscriptionStatusSerializer,
    TrueUpChargeSerializer,
)

UNSUPPORTED_MEDIA_TYPE = {
    415: OpenApiResponse(ErrorSerializer, description="Send the file as multipart/form-data.")
}


def _get_or_404(queryset, pk):
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


# --- catalog ----------------------------------------------------------------------------------


class CatalogAPIMixin(TenantAPIMixin):
    """Any member reads the catalog (an MSP its distributor's); distributor admins change it."""

    required_perms = {"POST": Perm.MANAGE_ACCOUNTS, "PATCH": Perm.MANAGE_ACCOUNTS}

    def catalog(self):
        return selectors.catalog_for(organisation=self.tenant.organisation)

    def load_objects(self):
        if "product_id" in self.kwargs:
            self.product = _get_or_404(self.catalog(), self.kwargs["product_id"])

    def check_unique_sku(self, product_code: str, sku_code: str, product_id=None) -> None:
        """Said plainly before saving, rather than as a database error."""
        taken = self.catalog().filter(product_code=product_code, sku_code=sku_code).exclude(pk=product_id)
        if taken.exists():
            raise DomainError(
                _("This product and SKU are already in the catalog."),
                field_errors={"sku_code": [_("Choose another SKU id, or change the existing product.")]},
            )

    def save_product(self, product_id=None, **fields) -> Product:
        try:
            return services.product_save(tenant=self.tenant, product_id=product_id, **fields)
        except IntegrityError as exc:  # a concurrent save took the same SKU
            raise Conflict(
                _("This product and SKU were just added to the catalog. Reload the catalog.")
            ) from exc


class CatalogListView(CatalogAPIMixin, ListAPIView):
    """The catalog: products and SKUs with price, billing type and program. Filters: q,
    publisher, billing_type, program."""

    serializer_class = ProductSerializer
    queryset = Product.objects.none()  # for the schema only
    filterset_class = ProductFilter

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
        self.check_unique_sku(fields["product_code"], fields["sku_code"])
        product = self.save_product(**fields)
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
        fields = dict(serializer.validated_data)
        self.check_unique_sku(
            fields.get("product_code", self.product.product_code),
            fields.get("sku_code", self.product.sku_code),
            product_id=self.product.pk,
        )
        product = self.save_product(product_id=self.product.pk, **fields)
        return Response(ProductSerializer(product).data)


# --- an MSP's licensing -----------------------------------------------------------------------


class LicensingAPIMixin(TenantAPIMixin):
    """An MSP's licensing: admins and viewers read, admins change. The objects named in the URL
    are looked up in the organisation first (another organisation's id is a 404)."""

    required_kind = OrganisationKind.MSP
    required_perms = {
        "*": Perm.VIEW_LICENSING,
        "POST": Perm.MANAGE_LICENSING,
        "PATCH": Perm.MANAGE_LICENSING,
    }

    def load_objects(self):
        organisation = self.tenant.organisation
        if "cost_center_id" in self.kwargs:
            self.cost_center = _get_or_404(
                selectors.cost_center_list(organisation=organisation), self.kwargs["cost_center_id"]
            )
        if "subscription_id" in self.kwargs:
            self.subscription = _get_or_404(
                Subscription.objects.for_tenant(organisation).select_related("product"),
                self.kwargs["subscription_id"],
            )
        if "license_id" in self.kwargs:
            self.license = _get_or_404(
                selectors.license_list(organisation=organisation), self.kwargs["license_id"]
            )
        if "purchase_id" in self.kwargs:
            self.purchase = _get_or_404(self.purchases(), self.kwargs["purchase_id"])

    def purchases(self):
        return Purchase.objects.for_tenant(self.tenant.organisation).select_related("created_by")

    def license_response(self, license_id: int, status_code=status.HTTP_200_OK) -> Response:
        license = selectors.license_list(organisation=self.tenant.organisation).get(pk=license_id)
        return Response(LicenseSerializer(license).data, status=status_code)

    def status_of(self, subscription_id: int) -> selectors.SubscriptionStatus:
        statuses = selectors.subscription_statuses(organisation=self.tenant.organisation)
        return next(item for item in statuses if item.subscription.pk == subscription_id)


# --- cost centers -----------------------------------------------------------------------------


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
        return Response(
            CostCenterSerializer(self.get_queryset().get(pk=cost_center.pk)).data,
            status=status.HTTP_201_CREATED,
        )


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
        updated = selectors.cost_center_list(organisation=self.tenant.organisation).get(
            pk=self.cost_center.pk
        )
        return Response(CostCenterSerializer(updated).data)


# --- subscriptions ----------------------------------------------------------------------------


class SubscriptionListView(LicensingAPIMixin, ListAPIView):
    """Each subscription's status: owned, assigned, free, excess (over-allocation), percent,
    near capacity, can be removed, peaks (past year and full term) and the expected true-up. The
    count of over-allocations across all subscriptions is at subscriptions/overview/."""

    serializer_class = SubscriptionStatusSerializer
    queryset = Subscription.objects.none()  # for the schema only
    filter_backends: list = []

    def get_queryset(self):
        return selectors.subscription_statuses(organisation=self.tenant.organisation)

    @extend_schema(
        responses={200: SubscriptionStatusSerializer(many=True), **error_responses(400, 401, 403, 404)}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class SubscriptionOverviewView(LicensingAPIMixin, APIView):
    """The figures at the top of the licenses page: over-allocated licenses across all
    subscription types, and how many subscriptions are over-allocated or near capacity."""

    @extend_schema(responses={200: SubscriptionOverviewSerializer, **error_responses(401, 403, 404)})
    def get(self, request, org_slug):
        statuses = selectors.subscription_statuses(organisation=self.tenant.organisation)
        return Response(
            SubscriptionOverviewSerializer(
                {
                    "overallocation_count": selectors.overallocation_count(statuses),
                    "overallocated_subscriptions": sum(1 for item in statuses if item.excess),
                    "near_capacity_subscriptions": sum(1 for item in statuses if item.near_capacity),
                    "subscriptions": len(statuses),
                }
            ).data
        )


class SubscriptionDetailView(LicensingAPIMixin, APIView):
    @extend_schema(responses={200: SubscriptionStatusSerializer, **error_responses(401, 403, 404)})
    def get(self, request, org_slug, subscription_id):
        return Response(SubscriptionStatusSerializer(self.status_of(self.subscription.pk)).data)


class AssignView(LicensingAPIMixin, GenericAPIView):
    """Assign a free license of the subscription to a person. Without a free license, a program
    that allows over-allocation adds an over-allocated seat (billed at the true-up); a program
    that forbids it refuses with 409."""

    serializer_class = AssignSerializer

    @extend_schema(
        request=AssignSerializer,
        responses={201: LicenseSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, org_slug, subscription_id):
        serializer = AssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        license = services.license_assign(
            tenant=self.tenant,
            acting_user=request.user,
            subscription_id=self.subscription.pk,
            assignee=services.Assignee(name=data["name"], email=data["email"], extension=data["extension"]),
            cost_center_id=data["cost_center"],
        )
        return self.license_response(license.pk, status.HTTP_201_CREATED)


class RemoveView(LicensingAPIMixin, GenericAPIView):
    """Remove unassigned licenses (never assigned ones): 400 above can_be_removed."""

    serializer_class = RemoveSerializer

    @extend_schema(
        request=RemoveSerializer,
        responses={200: RemoveResultSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, org_slug, subscription_id):
        serializer = RemoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        removed = services.licenses_remove(
            tenant=self.tenant,
            acting_user=request.user,
            subscription_id=self.subscription.pk,
            quantity=serializer.validated_data["quantity"],
        )
        return Response(
            RemoveResultSerializer(
                {"removed": removed, "subscription": self.status_of(self.subscription.pk)}
            ).data
        )


class HistoryView(LicensingAPIMixin, ListAPIView):
    """The subscription's assignment history, oldest first: each assignment (+1), unassignment
    (−1), purchase or removal (0), with the licenses owned right after."""

    serializer_class = AssignmentEventSerializer
    queryset = AssignmentEvent.objects.none()  # for the schema only
    filter_backends: list = []

    def get_queryset(self):
        return selectors.assignment_history(
            organisation=self.tenant.organisation, subscription=self.subscription
        ).select_related("actor")

    @extend_schema(
        responses={200: AssignmentEventSerializer(many=True), **error_responses(400, 401, 403, 404)}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class HistoryCsvView(LicensingAPIMixin, APIView):
    """Each new maximum of assigned licenses over the subscription's history, with the licenses
    owned on that day, as CSV (columns reached_at, assigned, owned, over_allocated; times in the
    organisation's time zone)."""

    def perform_content_negotiation(self, request, force=False):
        # The CSV is the answer whatever the Accept header; errors stay JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="orgs_subscriptions_history_csv_retrieve",
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="CSV (UTF-8 with a byte order mark), one row per new maximum."
            ),
            **error_responses(401, 403, 404),
        },
    )
    def get(self, request, org_slug, subscription_id):
        organisation = self.tenant.organisation
        rows = selectors.new_maximum_rows(organisation=organisation, subscription=self.subscription)
        zone = zoneinfo.ZoneInfo(organisation.timezone)
        name = slugify(self.subscription.product.sku_code) or str(self.subscription.pk)
        return csv_response(
            f"assignment-peaks-{name}.csv",
            ["reached_at", "assigned", "owned", "over_allocated"],
            (
                [timezone.localtime(at, zone).isoformat(), assigned, owned, max(assigned - owned, 0)]
                for at, assigned, owned in rows
            ),
        )


# --- true-ups ---------------------------------------------------------------------------------


class TrueUpChargeListView(TenantAPIMixin, ListAPIView):
    """The yearly true-ups charged, newest first: an MSP's own, or those of every MSP a
    distributor serves. Each bills max(peak of the true-up year − owned at its end, 0) units.
    Readable by roles that see licensing or invoices. Filters: subscription, year (of the
    true-up date), msp (slug, for a distributor)."""

    serializer_class = TrueUpChargeSerializer
    queryset = TrueUpCharge.objects.none()  # for the schema only
    filterset_class = TrueUpChargeFilter

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not (self.tenant.can(Perm.VIEW_LICENSING) or self.tenant.can(Perm.VIEW_INVOICES)):
            raise PermissionDenied

    def get_queryset(self):
        return selectors.true_up_charge_list(organisation=self.tenant.organisation)

    @extend_schema(responses={200: TrueUpChargeSerializer(many=True), **error_responses(400, 401, 403, 404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# --- licenses ---------------------------------------------------------------------------------


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


# --- purchases --------------------------------------------------------------------------------


class PurchaseListView(LicensingAPIMixin, ListAPIView):
    """Purchases, newest first; POST confirms one (each line split over cost centers)."""

    serializer_class = PurchaseSerializer
    queryset = Purchase.objects.none()  # for the schema only
    filter_backends: list = []

    def get_queryset(self):
        return self.purchases().order_by("-created_at", "-pk")

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
        lines = [
            services.PurchaseRequestLine(
                product_id=line["product_id"],
                quantity=line["quantity"],
                allocations=[
                    (allocation["cost_center"], allocation["quantity"])
                    for allocation in line.get("allocations", [])
                ],
            )
            for line in data["lines"]
        ]
        try:
            purchase, created = services.purchase_confirm(
                tenant=self.tenant,
                acting_user=request.user,
                lines=lines,
                acknowledged=data["acknowledged"],
                idempotency_key=data["idempotency_key"],
            )
        except IntegrityError as exc:
            # Another request confirmed at the same moment: with the same key, that purchase is
            # the answer; otherwise the purchase number was taken and a retry will do.
            purchase = self.purchases().filter(idempotency_key=data["idempotency_key"]).first()
            if purchase is None:
                raise Conflict(
                    _("Another purchase was confirmed at the same moment. Send the request again.")
                ) from exc
            created = False
        return Response(
            PurchaseDetailSerializer(self.purchase_detail(purchase.pk)).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def purchase_detail(self, purchase_id: int) -> Purchase:
        return detail_queryset(self.purchases()).get(pk=purchase_id)


def detail_queryset(purchases):
    return purchases.prefetch_related("lines__product", "lines__allocations__cost_center")


class PurchaseDetailView(LicensingAPIMixin, APIView):
    @extend_schema(responses={200: PurchaseDetailSerializer, **error_responses(401, 403, 404)})
    def get(self, request, org_slug, purchase_id):
        return Response(
            PurchaseDetailSerializer(detail_queryset(self.purchases()).get(pk=self.purchase.pk)).data
        )
