"""What the views of an MSP's licensing share: the permissions, and the objects named in the URL
looked up through the selectors (another organisation's id is NotFound, a 404)."""

from rest_framework import status
from rest_framework.response import Response

from msp_portal.tenancy.choices import OrganisationKind, Perm
from msp_portal.tenancy.views_base import TenantAPIMixin

from ... import selectors
from ..serializers import LicenseSerializer


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
            self.cost_center = selectors.cost_center_get(
                organisation=organisation, cost_center_id=self.kwargs["cost_center_id"]
            )
        if "subscription_id" in self.kwargs:
            self.subscription = selectors.subscription_get(
                organisation=organisation, subscription_id=self.kwargs["subscription_id"]
            )
        if "license_id" in self.kwargs:
            self.license = selectors.license_get(
                organisation=organisation, license_id=self.kwargs["license_id"]
            )
        if "purchase_id" in self.kwargs:
            self.purchase = selectors.purchase_get(
                organisation=organisation, purchase_id=self.kwargs["purchase_id"], with_lines=True
            )

    def license_response(self, license_id: int, status_code=status.HTTP_200_OK) -> Response:
        license = selectors.license_get(organisation=self.tenant.organisation, license_id=license_id)
        return Response(LicenseSerializer(license).data, status=status_code)

    def status_of(self, subscription_id: int) -> selectors.SubscriptionStatus:
        return selectors.subscription_status(
            organisation=self.tenant.organisation, subscription_id=subscription_id
        )
