"""OpenAPI pieces shared by every endpoint: the error body and the errors each route can give."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "status": serializers.IntegerField(),
        "code": serializers.CharField(),
        "detail": serializers.CharField(help_text="A sentence saying what went wrong and what to do."),
        "errors": serializers.DictField(
            required=False, help_text="Messages per field (or per row) when the input was refused."
        ),
    },
)


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    descriptions = {
        400: "Invalid input; `errors` names the fields.",
        401: "Not signed in, or the token is unknown or expired.",
        403: "Your role in this organisation does not allow this.",
        404: "Not found, or not visible to you.",
        409: "Not allowed in the current state, or the row changed since you read it.",
        429: "Too many attempts; wait before trying again.",
    }
    return {code: OpenApiResponse(ErrorSerializer, description=descriptions[code]) for code in codes}
