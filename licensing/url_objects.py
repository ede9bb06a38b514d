"""The licensing objects a URL names (``/licenses/<license_id>/…``), found inside the tenant:
the one lookup that the pages and the API both use. An id that is missing, or another
organisation's, raises NotFound, which both end as their 404."""

from collections.abc import Callable, Mapping

from django.db.models import Model

from msp_portal.tenancy.models import Organisation

from . import selectors

# URL keyword → (attribute the view gets, finder).
_FINDERS: dict[str, tuple[str, Callable[[Organisation, int], Model]]] = {
    "product_id": ("product", lambda org, pk: selectors.product_get(organisation=org, product_id=pk)),
    "cost_center_id": (
        "cost_center",
        lambda org, pk: selectors.cost_center_get(organisation=org, cost_center_id=pk),
    ),
    "subscription_id": (
        "subscription",
        lambda org, pk: selectors.subscription_get(organisation=org, subscription_id=pk),
    ),
    "license_id": ("license", lambda org, pk: selectors.license_get(organisation=org, license_id=pk)),
    "purchase_id": (
        "purchase",
        lambda org, pk: selectors.purchase_get(organisation=org, purchase_id=pk, with_lines=True),
    ),
}


def objects_named_in_url(*, organisation: Organisation, url_kwargs: Mapping) -> dict[str, Model]:
    """``{"license": <License>, …}`` for each licensing id among ``url_kwargs``."""
    return {
        attribute: find(organisation, url_kwargs[keyword])
        for keyword, (attribute, find) in _FINDERS.items()
        if keyword in url_kwargs
    }


def load_url_objects(view) -> None:
    """Sets each object the view's URL names as an attribute of the view (``view.license``)."""
    found = objects_named_in_url(organisation=view.tenant.organisation, url_kwargs=view.kwargs)
    for attribute, obj in found.items():
        setattr(view, attribute, obj)
