"""Dashboard panels: each app registers a function that gives its figures for a tenant, so the
dashboard grows with the apps without the tenancy core importing them."""

from collections.abc import Callable
from dataclasses import dataclass, field

from .resolve import TenantContext


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict = field(default_factory=dict)


PanelProvider = Callable[[TenantContext], Panel | None]
_PROVIDERS: list[PanelProvider] = []


def register_panel(provider: PanelProvider) -> PanelProvider:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


def panels_for(tenant: TenantContext) -> list[Panel]:
    return [panel for provider in _PROVIDERS if (panel := provider(tenant)) is not None]
