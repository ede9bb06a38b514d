"""The catalog of a distributor, and an MSP's cost centers, subscriptions, licenses, purchases
and the append-only history of its assignments."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from msp_portal.tenancy.models import TenantModel

from .choices import BillingFrequency, BillingType, HistoryKind, Program


class Product(TenantModel):
    """A product/SKU of a distributor's catalog (the tenant is the distributor; its MSPs read it)."""

    product_code = models.CharField(_("product id"), max_length=64)
    sku_code = models.CharField(_("SKU id"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    publisher = models.CharField(_("publisher"), max_length=100)
    unit_type = models.CharField(_("unit type"), max_length=32, default="seat")
    unit_price = models.DecimalField(
        _("unit price"), max_digits=14, decimal_places=4, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    billing_type = models.CharField(_("billing type"), max_length=16, choices=BillingType.choices)
    program = models.CharField(_("program"), max_length=24, choices=Program.choices)
    is_active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("catalog")
        ordering = ["publisher", "name", "sku_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "product_code", "sku_code"],
                name="%(app_label)s_%(class)s_unique_sku_per_catalog",
                violation_error_message=_("This product and SKU are already in the catalog."),
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.sku_code})"

    @property
    def allows_overallocation(self) -> bool:
        return self.program == Program.TRUE_UP


class LicensingSettings(TenantModel):
    """An MSP's thresholds: when a subscription is "near capacity", and when to e-mail about
    over-allocation."""

    near_capacity_percent = models.PositiveSmallIntegerField(
        _("near capacity from (%)"), default=90, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    overallocation_alert_units = models.PositiveIntegerField(
        _("e-mail when a subscription is over-allocated by more than (units)"),
        null=True,
        blank=True,
        help_text=_("Leave empty for no e-mail."),
    )
    # Off: an e-mail address holds at most one license of a subscription (a second seat for
    # the same person inflates the peaks and the true-ups).
    several_seats_per_person = models.BooleanField(
        _("a person may hold several licenses of one subscription"), default=False
    )

    class Meta:
        verbose_name = _("licensing settings")
        verbose_name_plural = _("licensing settings")
        constraints = [
            models.UniqueConstraint(fields=["organisation"], name="%(app_label)s_%(class)s_unique_per_org")
        ]

    def __str__(self):
        return str(self.organisation_id)


class CostCenter(TenantModel):
    """Where licenses are charged inside the MSP (code, name, optional parent)."""

    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("cost center")
        verbose_name_plural = _("cost centers")
        ordering = ["code"]
        constraints = [
            # Codes are matched without regard to case (CSV imports, search): "FIN" and "fin" clash.
            models.UniqueConstraint(
                "organisation",
                Lower("code"),
                name="%(app_label)s_%(class)s_unique_code_per_org",
                violation_error_message=_("A cost center with this code already exists."),
            )
        ]

    def __str__(self):
        return f"{self.code} · {self.name}"


class Subscription(TenantModel):
    """An MSP's holding of one catalog product: its licenses, and the term its true-up follows."""

    product = models.ForeignKey(Product, models.PROTECT, related_name="+", verbose_name=_("product"))
    term_start = models.DateField(_("term start"))
    # The charge cycle (licensing/charge_cycles.py): monthly or yearly from the billing start day.
    billing_frequency = models.CharField(
        _("billing frequency"),
        max_length=8,
        choices=BillingFrequency.choices,
        default=BillingFrequency.MONTHLY,
    )
    billing_day = models.PositiveSmallIntegerField(
        _("billing start day"),
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_(
            "The day of the month each charge cycle starts (the month's last day when it is shorter)."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "product"], name="%(app_label)s_%(class)s_unique_product_per_org"
            ),
            models.CheckConstraint(
                condition=models.Q(billing_day__gte=1, billing_day__lte=31),
                name="%(app_label)s_%(class)s_billing_day_in_month",
            ),
        ]

    def __str__(self):
        return str(self.product)

    def save(self, *args, **kwargs):
        # The billing start day is the term start's day unless someone chose another: every
        # creation path (purchase, demo, admin, factories) gets it without having to say so.
        if not self.billing_day and self.term_start:
            self.billing_day = self.term_start.day
        super().save(*args, **kwargs)


class Purchase(TenantModel):
    """A confirmed order of licenses by an MSP (the statement prints from it)."""

    number = models.CharField(_("number"), max_length=32)
    idempotency_key = models.CharField(_("request key"), max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("confirmed"), auto_now_add=True)
    currency = models.CharField(_("currency"), max_length=3)
    total = models.DecimalField(_("total"), max_digits=16, decimal_places=2)
    acknowledged_terms = models.BooleanField(_("terms acknowledged"))

    class Meta:
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "number"], name="%(app_label)s_%(class)s_unique_number"
            ),
            models.UniqueConstraint(
                fields=["organisation", "idempotency_key"], name="%(app_label)s_%(class)s_unique_request"
            ),
        ]

    def __str__(self):
        return self.number


class PurchaseLine(TenantModel):
    purchase = models.ForeignKey(Purchase, models.PROTECT, related_name="lines", verbose_name=_("purchase"))
    product = models.ForeignKey(Product, models.PROTECT, related_name="+", verbose_name=_("product"))
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=4)
    total = models.DecimalField(_("total"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("purchase line")
        verbose_name_plural = _("purchase lines")
        ordering = ["pk"]

    def __str__(self):
        return f"{self.quantity} × {self.product_id}"


class PurchaseAllocation(TenantModel):
    """How many licenses of a purchase line went to which cost center (split or all to one)."""

    line = models.ForeignKey(PurchaseLine, models.PROTECT, related_name="allocations", verbose_name=_("line"))
    cost_center = models.ForeignKey(
        CostCenter, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("cost center")
    )
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        verbose_name = _("cost center allocation")
        verbose_name_plural = _("cost center allocations")
        ordering = ["pk"]

    def __str__(self):
        return f"{self.quantity} → {self.cost_center_id}"


class License(TenantModel):
    """One seat of a subscription, free or assigned. A seat assigned beyond the licenses owned
    (over-allocation, where the program allows it) is an overage seat: it is not owned and
    disappears when unassigned, or becomes owned when more licenses are bought."""

    subscription = models.ForeignKey(
        Subscription, models.PROTECT, related_name="licenses", verbose_name=_("subscription")
    )
    cost_center = models.ForeignKey(
        CostCenter,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="licenses",
        verbose_name=_("cost center"),
    )
    purchase = models.ForeignKey(
        Purchase, models.PROTECT, null=True, blank=True, related_name="licenses", verbose_name=_("purchase")
    )
    is_overage = models.BooleanField(_("over-allocated"), default=False)
    assignee_name = models.CharField(_("assigned to"), max_length=200, blank=True)
    assignee_email = models.EmailField(_("e-mail"), blank=True)
    assignee_extension = models.CharField(_("extension"), max_length=20, blank=True)
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    created_at = models.DateTimeField(_("date added"), auto_now_add=True)

    class Meta:
        verbose_name = _("license")
        verbose_name_plural = _("licenses")
        ordering = ["subscription_id", "pk"]
        indexes = [
            models.Index(
                fields=["organisation", "subscription", "assigned_at"], name="license_org_sub_assigned"
            ),
            models.Index(fields=["organisation", "cost_center"], name="license_org_cost_center"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_overage=False) | models.Q(assigned_at__isnull=False),
                name="%(app_label)s_%(class)s_overage_is_assigned",
            )
        ]

    def __str__(self):
        return f"{self.subscription_id}#{self.pk}"

    @property
    def is_assigned(self) -> bool:
        return self.assigned_at is not None


class AssignmentEvent(TenantModel):
    """Append-only history of a subscription: each assignment (+1), unassignment (−1), purchase
    or removal (0), with the licenses owned right after. Peaks are computed from it; a database
    trigger refuses UPDATE and DELETE."""

    subscription = models.ForeignKey(
        Subscription, models.PROTECT, related_name="+", verbose_name=_("subscription")
    )
    kind = models.CharField(_("event"), max_length=16, choices=HistoryKind.choices)
    assigned_delta = models.SmallIntegerField(_("assigned change"))
    owned_after = models.PositiveIntegerField(_("owned after"))
    license_ref = models.BigIntegerField(_("license"), null=True, blank=True)
    assignee = models.CharField(_("assignee"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("when"), db_index=True)

    class Meta:
        verbose_name = _("assignment event")
        verbose_name_plural = _("assignment history")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["subscription", "at", "id"], name="assignment_sub_at_id")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(assigned_delta__in=[-1, 0, 1]), name="%(app_label)s_%(class)s_delta_unit"
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.at:%Y-%m-%d}"


class TrueUpCharge(TenantModel):
    """What the yearly true-up of a subscription bills: the peak of the true-up year beyond the
    licenses owned at its end (docs/licensing.md). One row per subscription and anniversary, kept even
    at zero units (the year was checked); a database trigger refuses UPDATE and DELETE."""

    subscription = models.ForeignKey(
        Subscription, models.PROTECT, related_name="true_up_charges", verbose_name=_("subscription")
    )
    true_up_date = models.DateField(_("true-up date"))
    period_start = models.DateTimeField(_("year from"))
    period_end = models.DateTimeField(_("year until"))
    peak_units = models.PositiveIntegerField(_("peak"))
    peak_reached_at = models.DateTimeField(_("peak first reached"), null=True, blank=True)
    owned_units = models.PositiveIntegerField(_("owned at the true-up"))
    units = models.PositiveIntegerField(_("units billed"))
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=4)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("true-up charge")
        verbose_name_plural = _("true-up charges")
        ordering = ["-true_up_date", "subscription_id"]
        constraints = [
            # The job's last guard: a second run, a retry or a concurrent worker cannot bill one
            # anniversary twice.
            models.UniqueConstraint(
                fields=["organisation", "subscription", "true_up_date"],
                name="%(app_label)s_%(class)s_unique_per_anniversary",
                violation_error_message=_("This subscription's true-up for this date was already charged."),
            ),
            models.CheckConstraint(
                condition=models.Q(period_start__lt=models.F("period_end")),
                name="%(app_label)s_%(class)s_period_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.subscription_id} {self.true_up_date:%Y-%m-%d}: {self.units}"
