"""The yearly true-ups charged: an MSP's own, or those of every MSP a distributor serves."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView

from msp_portal.api.schema import error_responses
from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.views_base import TenantAPIMixin

from ... import selectors
from ...models import TrueUpCharge
from ..filters import TrueUpChargeFilter
from ..serializers import TrueUpChargeSerializer


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
