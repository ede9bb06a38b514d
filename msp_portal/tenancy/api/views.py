"""API of the tenancy core: who am I, tokens, the organisation, its members, served MSPs."""

from axes.exceptions import AxesBackendPermissionDenied
from django.contrib.auth import authenticate
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from knox.views import LogoutView as KnoxLogoutView
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from msp_portal.api.schema import error_responses

from .. import selectors, services
from ..choices import OrganisationKind, Perm
from ..filters import MembershipFilter, ServedMspFilter
from ..models import Membership, Organisation
from ..views_base import TenantAPIMixin
from .serializers import (
    MemberInviteSerializer,
    MemberRoleSerializer,
    MembershipSerializer,
    MeSerializer,
    MspCreateSerializer,
    OrganisationSerializer,
    TokenLoginSerializer,
    TokenSerializer,
)


class TokenLoginThrottle(AnonRateThrottle):
    scope = "token_login"


class TokenLoginView(GenericAPIView):
    """Exchange an e-mail and password for an expiring API token (stored hashed)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenLoginThrottle]
    serializer_class = TokenLoginSerializer

    def get_authenticate_header(self, request):
        # Makes a refused sign-in a 401 (with WWW-Authenticate), not a 403.
        return "Token"

    @extend_schema(responses={201: TokenSerializer, **error_responses(400, 401, 429)})
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            user = authenticate(
                request._request,
                username=serializer.validated_data["email"],
                password=serializer.validated_data["password"],
            )
        except AxesBackendPermissionDenied as exc:
            raise Throttled(
                detail=_("Too many failed sign-ins. Wait a while or reset your password.")
            ) from exc
        if getattr(request._request, "axes_locked_out", False):
            raise Throttled(detail=_("Too many failed sign-ins. Wait a while or reset your password."))
        if user is None or not user.is_active:
            raise AuthenticationFailed(_("The e-mail address or password is not right."))
        instance, token = AuthToken.objects.create(user)
        return Response(
            TokenSerializer({"token": token, "expiry": instance.expiry}).data,
            status=status.HTTP_201_CREATED,
        )


class TokenLogoutView(KnoxLogoutView):
    """Revoke the token used for this request."""

    @extend_schema(request=None, responses={204: None, **error_responses(401)})
    def post(self, request, format=None):
        return super().post(request, format)


class MeView(APIView):
    """The signed-in user, their memberships, roles and permissions."""

    @extend_schema(responses={200: MeSerializer, **error_responses(401)})
    def get(self, request):
        memberships = selectors.user_membership_list(user=request.user)
        return Response(MeSerializer({"user": request.user, "memberships": memberships}).data)


class OrganisationDetailView(TenantAPIMixin, APIView):
    @extend_schema(responses={200: OrganisationSerializer, **error_responses(401, 404)})
    def get(self, request, org_slug):
        return Response(OrganisationSerializer(self.tenant.organisation).data)


class MemberListView(TenantAPIMixin, ListAPIView):
    """List members (any member) or invite one (admins)."""

    serializer_class = MembershipSerializer
    queryset = Membership.objects.none()  # for the schema only; rows come from get_queryset()
    required_perms = {"POST": Perm.MANAGE_MEMBERS}

    filterset_class = MembershipFilter

    def get_queryset(self):
        return selectors.membership_list(organisation=self.tenant.organisation)

    @extend_schema(responses={200: MembershipSerializer(many=True), **error_responses(400, 401, 404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=MemberInviteSerializer,
        responses={201: MembershipSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, org_slug):
        serializer = MemberInviteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.membership_invite(
            tenant=self.tenant,
            acting_user=request.user,
            base_url=request.build_absolute_uri("/")[:-1],
            **serializer.validated_data,
        )
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


class MemberDetailView(TenantAPIMixin, APIView):
    """Read a member, change their role (admins), or remove them (admins)."""

    required_perms = {"PATCH": Perm.MANAGE_MEMBERS, "DELETE": Perm.MANAGE_MEMBERS}

    def load_objects(self):
        self.get_membership(self.kwargs["membership_id"])

    def get_membership(self, membership_id):
        try:
            return selectors.membership_get(
                organisation=self.tenant.organisation, membership_id=membership_id
            )
        except ObjectDoesNotExist as exc:
            raise Http404 from exc

    @extend_schema(responses={200: MembershipSerializer, **error_responses(401, 404)})
    def get(self, request, org_slug, membership_id):
        return Response(MembershipSerializer(self.get_membership(membership_id)).data)

    @extend_schema(
        request=MemberRoleSerializer,
        responses={200: MembershipSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def patch(self, request, org_slug, membership_id):
        membership = self.get_membership(membership_id)
        serializer = MemberRoleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.membership_set_role(
            tenant=self.tenant, membership=membership, role=serializer.validated_data["role"]
        )
        return Response(MembershipSerializer(membership).data)

    @extend_schema(responses={204: None, **error_responses(401, 403, 404, 409)})
    def delete(self, request, org_slug, membership_id):
        services.membership_remove(tenant=self.tenant, membership=self.get_membership(membership_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ServedMspListView(TenantAPIMixin, ListAPIView):
    """A distributor's MSP accounts: only the MSPs it serves; its admins add one (POST)."""

    serializer_class = OrganisationSerializer
    queryset = Organisation.objects.none()  # for the schema only
    required_kind = OrganisationKind.DISTRIBUTOR
    required_perms = {"POST": Perm.MANAGE_ACCOUNTS}

    filterset_class = ServedMspFilter

    def get_queryset(self):
        return selectors.served_msp_list(distributor=self.tenant.organisation)

    @extend_schema(responses={200: OrganisationSerializer(many=True), **error_responses(400, 401, 404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=MspCreateSerializer,
        responses={201: OrganisationSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, org_slug):
        serializer = MspCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        msp = services.msp_create(
            tenant=self.tenant,
            acting_user=request.user,
            base_url=request.build_absolute_uri("/")[:-1],
            **serializer.validated_data,
        )
        return Response(OrganisationSerializer(msp).data, status=status.HTTP_201_CREATED)
