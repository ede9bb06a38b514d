"""An MSP's licensing thresholds: read by whoever sees its licensing, replaced by its admins."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from msp_portal.api.schema import error_responses
from msp_portal.tenancy.choices import Perm

from ... import selectors, services
from ..serializers import LicensingSettingsSerializer, LicensingSettingsWriteSerializer
from ._base import LicensingAPIMixin


class LicensingSettingsView(LicensingAPIMixin, APIView):
    """When a subscription counts as near capacity, and when the admins get an e-mail about
    over-allocation (the defaults until the first PUT)."""

    required_perms = {**LicensingAPIMixin.required_perms, "PUT": Perm.MANAGE_LICENSING}

    @extend_schema(responses={200: LicensingSettingsSerializer, **error_responses(401, 403, 404)})
    def get(self, request, org_slug):
        current = selectors.licensing_settings(organisation=self.tenant.organisation)
        return Response(LicensingSettingsSerializer(current).data)

    @extend_schema(
        request=LicensingSettingsWriteSerializer,
        responses={200: LicensingSettingsSerializer, **error_responses(400, 401, 403, 404)},
    )
    def put(self, request, org_slug):
        serializer = LicensingSettingsWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        saved = services.licensing_settings_update(
            tenant=self.tenant,
            acting_user=request.user,
            near_capacity_percent=serializer.validated_data["near_capacity_percent"],
            overallocation_alert_units=serializer.validated_data["overallocation_alert_units"],
            several_seats_per_person=serializer.validated_data["several_seats_per_person"],
        )
        return Response(LicensingSettingsSerializer(saved).data)
