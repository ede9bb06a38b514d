"""The usage-event API, mounted at /api/v1/orgs/<org_slug>/usage-events/: an MSP's systems
send what was used (docs/licensing.md, "Usage"). The batch is parsed here, item by item, so
every refusal is keyed ``events.N.field``; the service decides the rest."""

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from msp_portal.api.fields import StrictCharField, StrictDecimalField, StrictIntegerField
from msp_portal.api.schema import ErrorSerializer, error_responses
from msp_portal.errors import item_key
from msp_portal.tenancy.choices import OrganisationKind, Perm
from msp_portal.tenancy.views_base import TenantAPIMixin

from .services_usage import MAX_EVENTS, UsageEventIn, usage_events_record


class MomentField(serializers.DateTimeField):
    """An ISO 8601 moment with its offset ("2025-07-03T10:00:00Z"): a moment without one would
    be read in some time zone the sender did not choose."""

    default_error_messages = {
        "no_offset": _('Send a moment with its offset, such as "2025-07-03T10:00:00Z".')
    }

    def to_internal_value(self, value):
        try:
            parsed = parse_datetime(value) if isinstance(value, str) else None
        except ValueError:  # well formed but no such moment ("12:99"): refused like any bad text
            self.fail("invalid", format="YYYY-MM-DDThh:mm:ss+hh:mm")
        if parsed is None or parsed.tzinfo is None:
            self.fail("no_offset")
        return super().to_internal_value(value)


class UsageEventSerializer(serializers.Serializer):
    event_id = StrictCharField(
        max_length=100, help_text="Your id of the event; sending it again is harmless."
    )
    product = StrictIntegerField(min_value=1, help_text="The id of a product of your catalog.")
    quantity = StrictDecimalField(
        max_digits=38, decimal_places=10, min_value=0, help_text='"12.5"; 0 or more.'
    )
    occurred_at = MomentField()


class UsageEventBatchSerializer(serializers.Serializer):
    """Every event is checked; the errors of event N are keyed ``events.N.<field>`` (from 1)."""

    events = UsageEventSerializer(many=True, help_text=f"1 to {MAX_EVENTS:,} events.")

    def to_internal_value(self, data):
        items = data.get("events") if isinstance(data, dict) else None
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_EVENTS:
            message = _("Send a list of 1 to %(max)s events.") % {"max": f"{MAX_EVENTS:,}"}
            raise serializers.ValidationError({"events": [message]})
        parsed, errors = [], {}
        for number, item in enumerate(items, start=1):
            event = UsageEventSerializer(data=item if isinstance(item, dict) else {})
            if not isinstance(item, dict):
                errors[item_key("events", number)] = [_("Send each event as an object.")]
            elif event.is_valid():
                parsed.append(event.validated_data)
            else:
                errors.update({item_key("events", number, key): value for key, value in event.errors.items()})
        if errors:
            raise serializers.ValidationError(errors)
        return {"events": parsed}


class UsageEventsRecordedSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField(help_text="Events sent before with the same content: skipped.")


class UsageEventsView(TenantAPIMixin, GenericAPIView):
    """Record usage events, all or none: they count in the used units of the usage reports of
    the month they occurred in (your time zone)."""

    required_kind = OrganisationKind.MSP
    required_perms = {"*": Perm.MANAGE_BILLING}
    serializer_class = UsageEventBatchSerializer

    @extend_schema(
        request=UsageEventBatchSerializer,
        responses={
            201: UsageEventsRecordedSerializer,
            200: OpenApiResponse(
                UsageEventsRecordedSerializer, description="Every event was received before: nothing new."
            ),
            400: OpenApiResponse(
                ErrorSerializer,
                description="Some events were refused (`errors` keyed `events.N.field`); none was recorded.",
            ),
            **error_responses(401, 403, 404),
        },
    )
    def post(self, request, org_slug):
        serializer = UsageEventBatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        events = [
            UsageEventIn(
                event_id=item["event_id"],
                product_id=item["product"],
                quantity=item["quantity"],
                occurred_at=item["occurred_at"],
            )
            for item in serializer.validated_data["events"]
        ]
        result = usage_events_record(tenant=self.tenant, events=events)
        return Response(
            UsageEventsRecordedSerializer(result).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )
