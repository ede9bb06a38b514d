"""An MSP's subscriptions: their status (counts, peaks, expected true-up), the overview figures,
assigning a license of one, removing unassigned licenses, and its assignment history (JSON, and
each new maximum as CSV)."""

import zoneinfo

from django.utils import timezone
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from msp_portal.api.schema import error_responses
from msp_portal.csv_export import csv_response

from ... import selectors, services
from ...models import AssignmentEvent, Subscription
from ..serializers import (
    AssignmentEventSerializer,
    AssignSerializer,
    LicenseSerializer,
    RemoveResultSerializer,
    RemoveSerializer,
    SubscriptionOverviewSerializer,
    SubscriptionStatusSerializer,
)
from ._base import LicensingAPIMixin


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
            organisation=self.tenant.organisation, subscription=self.subscription, with_actor=True
        )

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
