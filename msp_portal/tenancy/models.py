"""Organisations (the tenants), users, memberships, and the one abstract base of tenant-owned rows."""

import zoneinfo

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from .choices import ROLE_PERMISSIONS, OrganisationKind, Role

TIMEZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class UserManager(BaseUserManager):
    """Users sign in with their e-mail address."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in; belongs to organisations through memberships."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.get_full_name() or self.email


class Organisation(models.Model):
    """A tenant: a distributor, or an MSP served by exactly one distributor."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    distributor = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="served_msps",
        limit_choices_to={"kind": OrganisationKind.DISTRIBUTOR},
        verbose_name=_("distributor"),
        help_text=_("The distributor that serves this MSP (MSPs only)."),
    )
    country = models.CharField(_("country"), max_length=2, default="US")
    timezone = models.CharField(_("time zone"), max_length=64, choices=TIMEZONE_CHOICES, default="UTC")
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind=OrganisationKind.MSP, distributor__isnull=False)
                    | Q(kind=OrganisationKind.DISTRIBUTOR, distributor__isnull=True)
                ),
                name="%(app_label)s_%(class)s_msp_has_distributor",
                violation_error_message=_("An MSP must be served by a distributor; a distributor has none."),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_msp(self) -> bool:
        return self.kind == OrganisationKind.MSP

    @property
    def is_distributor(self) -> bool:
        return self.kind == OrganisationKind.DISTRIBUTOR


class TenantManagerBase(models.Manager):
    """The one way to reach tenant-owned rows: ``Model.objects.for_tenant(org)``.

    Under django-scopes a query that names no tenant fails (ScopeError) instead of leaking rows
    of every organisation; ``for_tenant`` names the tenant explicitly, so it works anywhere:
    in requests, tasks, commands and tests.
    """

    def for_tenant(self, organisation: "Organisation") -> models.QuerySet:
        return self.with_scope(organisation=organisation.pk).get_queryset()

    def for_served_msps_of(self, distributor: "Organisation") -> models.QuerySet:
        """Cross-tenant read: the rows of every MSP that ``distributor`` serves."""
        served_ids = list(Organisation.objects.filter(distributor=distributor).values_list("pk", flat=True))
        return self.with_scope(organisation=served_ids).get_queryset()

    def across_tenants(self) -> models.QuerySet:
        """System-wide read for the scheduled jobs, which serve every organisation at once.
        Whatever they then write still names each row's own tenant. Never from a request."""
        return self.with_scopes_disabled()


def tenant_manager():
    return ScopedManager(organisation="organisation", _manager_class=TenantManagerBase)


class TenantModel(models.Model):
    """Abstract base of every row that belongs to one organisation."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
    )

    objects = tenant_manager()

    class Meta:
        abstract = True


class Membership(TenantModel):
    """A user's role in one organisation; a user may hold memberships in several."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    invited_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("joined"), auto_now_add=True)

    objects = tenant_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["user__email"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"],
                name="%(app_label)s_%(class)s_unique_user_per_organisation",
                violation_error_message=_("This person is already a member of the organisation."),
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.organisation} · {self.get_role_display()}"

    def has_perm(self, perm: str) -> bool:
        return perm in ROLE_PERMISSIONS.get(self.role, frozenset())
