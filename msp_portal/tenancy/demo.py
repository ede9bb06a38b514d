"""The demo data set's base, who can sign in and the organisations they belong to, and the
registry through which each app adds its part (``register_demo_part`` in its ``ready()``).

Every part is idempotent: each row is found by its natural key before it is created, so loading
again leaves the same counts. The project shell's ``config.demo.demo_data_load`` runs the parts
in their order, in one transaction.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

DEMO_PASSWORD = "portal-demo"


@dataclass(frozen=True)
class DemoOrganisation:
    slug: str
    name: str
    kind: str
    distributor_slug: str | None = None
    country: str = "US"
    timezone: str = "UTC"
    currency: str = "USD"


@dataclass(frozen=True)
class DemoUser:
    email: str
    first_name: str
    last_name: str
    memberships: tuple[tuple[str, str], ...]  # (organisation slug, role)
    is_superuser: bool = False


DEMO_ORGANISATIONS = (
    DemoOrganisation(
        "northwind",
        "Northwind Distribution",
        "distributor",
        timezone="Europe/Paris",
        currency="EUR",
        country="FR",
    ),
    DemoOrganisation(
        "contoso",
        "Contoso Managed Services",
        "msp",
        "northwind",
        country="FR",
        timezone="Europe/Paris",
        currency="EUR",
    ),
    DemoOrganisation(
        "fabrikam",
        "Fabrikam IT",
        "msp",
        "northwind",
        country="CA",
        timezone="America/Toronto",
        currency="EUR",
    ),
)

DEMO_USERS = (
    DemoUser("dist.admin@northwind.example", "Nadia", "Moreau", (("northwind", "dist_admin"),)),
    DemoUser("reviewer@northwind.example", "Rémi", "Lefèvre", (("northwind", "dist_reviewer"),)),
    DemoUser("admin@contoso.example", "Camille", "Durand", (("contoso", "msp_admin"),)),
    DemoUser("billing@contoso.example", "Bruno", "Petit", (("contoso", "msp_billing"),)),
    DemoUser("viewer@contoso.example", "Victor", "Roux", (("contoso", "msp_viewer"),)),
    DemoUser("admin@fabrikam.example", "Fatima", "Khan", (("fabrikam", "msp_admin"),)),
    DemoUser(
        "consultant@example.com",
        "Chris",
        "Martin",
        (("contoso", "msp_viewer"), ("fabrikam", "msp_admin")),
    ),
    DemoUser("operator@example.com", "Olivia", "Operator", (), is_superuser=True),
)


def demo_logins() -> list[tuple[str, str]]:
    """(e-mail, what the account is for) for every demo user, as README.md and `make run` list them."""
    rows = []
    for user in DEMO_USERS:
        if user.is_superuser:
            rows.append((user.email, "platform operator (Django admin at /admin/)"))
        else:
            rows.append((user.email, ", ".join(f"{role} @ {slug}" for slug, role in user.memberships)))
    return rows


DemoPart = Callable[[], dict[str, int]]
_PARTS: list[tuple[int, DemoPart]] = []


def register_demo_part(loader: DemoPart, *, order: int) -> DemoPart:
    """Adds an app's part of the demo; parts load by ascending ``order`` (an app whose data
    builds on another's takes a higher number). ``loader()`` returns its row counts."""
    if all(registered is not loader for _, registered in _PARTS):
        _PARTS.append((order, loader))
        _PARTS.sort(key=lambda part: part[0])
    return loader


def demo_parts() -> list[DemoPart]:
    return [loader for _, loader in _PARTS]


@transaction.atomic
def tenancy_demo_load() -> dict[str, int]:
    """The organisations, users and memberships of the demo (order 0: every other part needs
    them); returns how many rows of each kind now exist."""
    from django_scopes import scopes_disabled

    from msp_portal.tenancy.models import Membership, Organisation, User

    with scopes_disabled():
        organisations = {}
        for spec in DEMO_ORGANISATIONS:
            organisations[spec.slug], _ = Organisation.objects.update_or_create(
                slug=spec.slug,
                defaults={
                    "name": spec.name,
                    "kind": spec.kind,
                    "distributor": organisations.get(spec.distributor_slug),
                    "country": spec.country,
                    "timezone": spec.timezone,
                    "currency": spec.currency,
                },
            )
        for spec in DEMO_USERS:
            user, created = User.objects.get_or_create(
                email=spec.email,
                defaults={
                    "first_name": spec.first_name,
                    "last_name": spec.last_name,
                    "is_staff": spec.is_superuser,
                    "is_superuser": spec.is_superuser,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            for slug, role in spec.memberships:
                Membership.objects.update_or_create(
                    organisation=organisations[slug], user=user, defaults={"role": role}
                )
        return {
            "organisations": Organisation.objects.count(),
            "users": User.objects.count(),
            "memberships": Membership.objects.count(),
        }
