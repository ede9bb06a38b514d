"""What the views of an MSP's licensing share: the permissions, and the objects named in the URL
looked up through the selectors (another organisation's id is NotFound, a 404)."""

from rest_framework import status
from rest_framework.response import Response

from msp_portal.tenancy.choices import OrganisationKind, Perm
from msp_portal.tenancy.views_base import TenantAPIMixin

from ... import selectors
from ...url_objects import load_url_objects
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
        load_url_objects(self)

    def license_response(self, license_id: int, status_code=status.HTTP_200_OK) -> Response:
        license = selectors.license_get(organisation=self.tenant.organisation, license_id=license_id)
        return Response(LicenseSerializer(license).data, status=status_code)

    def status_of(self, subscription_id: int) -> selectors.SubscriptionStatus:
        return selectors.subscription_status(
            organisation=self.tenant.organisation, subscription_id=subscription_id
        )
