from django.core.validators import RegexValidator, validate_slug
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from msp_portal.api.fields import StrictCharField, StrictChoiceField, StrictEmailField

from ..choices import ROLE_PERMISSIONS, Role
from ..forms_customers import COUNTRY_PATTERN, CURRENCY_PATTERN
from ..models import TIMEZONE_CHOICES, Membership, Organisation, User


class OrganisationSerializer(serializers.ModelSerializer):
    distributor = serializers.SlugRelatedField(
        slug_field="slug",
        read_only=True,
        allow_null=True,
        help_text="Slug of the serving distributor (MSPs only).",
    )

    class Meta:
        model = Organisation
        fields = ["slug", "name", "kind", "distributor", "country", "timezone", "currency"]
        read_only_fields = fields


class UserSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="get_full_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "name", "first_name", "last_name"]
        read_only_fields = fields


class MembershipSerializer(serializers.ModelSerializer):
    user = UserSerializer(read_only=True)
    role_label = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "role_label", "created_at"]
        read_only_fields = fields


class MyMembershipSerializer(serializers.ModelSerializer):
    organisation = OrganisationSerializer(read_only=True)
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    permissions = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["organisation", "role", "role_label", "permissions"]
        read_only_fields = fields

    def get_permissions(self, membership) -> list[str]:
        return sorted(ROLE_PERMISSIONS.get(membership.role, ()))


class MeSerializer(serializers.Serializer):
    user = UserSerializer()
    memberships = MyMembershipSerializer(many=True)


class MemberInviteSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)  # the column of User.email
    role = StrictChoiceField(choices=Role.choices)
    first_name = StrictCharField(max_length=150, required=False, default="", allow_blank=True)
    last_name = StrictCharField(max_length=150, required=False, default="", allow_blank=True)


class MspCreateSerializer(serializers.Serializer):
    """A new MSP served by the caller's distributor, and its first admin (invited by e-mail); the
    checks of the "Add an MSP" page (forms_customers.MspCreateForm)."""

    name = StrictCharField(max_length=Organisation._meta.get_field("name").max_length)
    slug = StrictCharField(
        max_length=Organisation._meta.get_field("slug").max_length,
        validators=[validate_slug],
        help_text="Lower-case letters, digits and hyphens; part of the MSP's addresses.",
    )
    country = StrictCharField(
        max_length=2,
        validators=[RegexValidator(COUNTRY_PATTERN, _("Enter a two-letter country code."))],
        help_text="Two-letter ISO code, e.g. FR.",
    )
    timezone = StrictChoiceField(choices=TIMEZONE_CHOICES, help_text="An IANA time zone, e.g. Europe/Paris.")
    currency = StrictCharField(
        max_length=3,
        validators=[RegexValidator(CURRENCY_PATTERN, _("Enter a three-letter currency code."))],
        help_text="Three-letter ISO code, e.g. EUR.",
    )
    admin_email = StrictEmailField(max_length=254)  # the column of User.email
    admin_first_name = StrictCharField(max_length=150, required=False, default="", allow_blank=True)
    admin_last_name = StrictCharField(max_length=150, required=False, default="", allow_blank=True)


class MemberRoleSerializer(serializers.Serializer):
    role = StrictChoiceField(choices=Role.choices)


class TokenLoginSerializer(serializers.Serializer):
    # No account has a longer address, and sign-in throttling records it in a 255-character column.
    email = StrictEmailField(max_length=254)
    password = StrictCharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as 'Authorization: Token <token>'.")
    expiry = serializers.DateTimeField()
