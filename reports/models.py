"""Usage reports: one per MSP per monthly cycle, its lines, their comments, and the history."""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from msp_portal.tenancy.models import Organisation, TenantModel

from .choices import (
    DEFAULT_REMINDER_DAYS,
    EDITABLE_STATES,
    EventKind,
    PenaltyKind,
    PenaltyReason,
    ReportState,
    SubmissionKind,
)
from .rules import Declaration, line_declaration, line_is_discrepant


def default_reminder_days() -> list[int]:
    return list(DEFAULT_REMINDER_DAYS)


class MspAccountSettings(TenantModel):
    """How a distributor runs one MSP account: deadline delay, penalty policy, auto-approval.

    The tenant is the MSP; only the serving distributor's admins change it.
    """

    auto_submit_days = models.PositiveSmallIntegerField(
        _("auto-submit delay (days)"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("Days after a report opens (or is rejected) before it is submitted automatically."),
    )
    penalty_kind = models.CharField(
        _("penalty surcharge"), max_length=16, choices=PenaltyKind.choices, default=PenaltyKind.NONE
    )
    penalty_percent = models.DecimalField(
        _("penalty surcharge (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("Charged on top of the reset, as a share of each unexplained discrepancy's value."),
    )
    penalty_minimum = models.DecimalField(
        _("minimum surcharge per line"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    auto_approve_clean = models.BooleanField(
        _("approve reports without discrepancies automatically"), default=False
    )
    # db_default too: rows written by raw SQL (benchmarks) leave the column out.
    surcharge_over_declared = models.BooleanField(
        _("surcharge over-declared lines too"),
        default=False,
        db_default=False,
        help_text=_(
            "Off: a line whose billable units are above the provided units is only reset, which "
            "lowers the bill, without a surcharge."
        ),
    )
    reminder_days = ArrayField(
        models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(90)]),
        verbose_name=_("reminders (days before the deadline)"),
        default=default_reminder_days,
        blank=True,
        size=10,
        help_text=_(
            "Each reminder goes to the MSP admins once per deadline; at the deadline itself "
            "the report is submitted automatically and they are told."
        ),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("MSP account settings")
        verbose_name_plural = _("MSP account settings")
        constraints = [
            models.UniqueConstraint(fields=["organisation"], name="%(app_label)s_%(class)s_unique_per_msp")
        ]

    def __str__(self):
        return str(self.organisation_id)

    @property
    def surcharge_percent(self) -> Decimal:
        return self.penalty_percent if self.penalty_kind == PenaltyKind.PERCENT else Decimal("0")

    @property
    def surcharge_minimum(self) -> Decimal:
        return self.penalty_minimum if self.penalty_kind == PenaltyKind.PERCENT else Decimal("0")


class UsageReport(ConcurrentTransitionMixin, TenantModel):
    """One MSP's usage declaration for one calendar month (the cycle)."""

    cycle = models.DateField(_("cycle"), help_text=_("First day of the month the report covers."))
    state = FSMField(
        _("state"), default=ReportState.MSP_PREPARATION, choices=ReportState.choices, protected=True
    )
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    opened_at = models.DateTimeField(_("opened"))
    deadline = models.DateTimeField(_("deadline"))
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submission_kind = models.CharField(
        _("how submitted"), max_length=24, choices=SubmissionKind.choices, blank=True
    )
    needs_review_flag = models.BooleanField(_("automatically submitted — may require review"), default=False)
    po_number = models.CharField(_("PO number"), max_length=64, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=4000)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    rejection_reason = models.TextField(_("rejection reason"), blank=True, max_length=4000)
    rejection_count = models.PositiveSmallIntegerField(_("rejections"), default=0)

    class Meta:
        verbose_name = _("usage report")
        verbose_name_plural = _("usage reports")
        ordering = ["-cycle"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "cycle"],
                name="%(app_label)s_%(class)s_unique_cycle_per_msp",
                violation_error_message=_("This MSP already has a report for this month."),
            ),
            models.CheckConstraint(
                condition=models.Q(cycle__day=1),
                name="%(app_label)s_%(class)s_cycle_is_first_of_month",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "state", "cycle"], name="report_org_state_cycle"),
            models.Index(fields=["state", "deadline"], name="report_state_deadline"),
        ]

    def __str__(self):
        return f"{self.organisation_id} {self.cycle:%Y-%m}"

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    # Transitions change the model only; reports.services locks, checks, saves and records.
    @transition(field=state, source=EDITABLE_STATES, target=ReportState.UNDER_REVIEW)
    def submit(self, *, by, at, kind, po_number="", note=""):
        self.submitted_by = by
        self.submitted_at = at
        self.submission_kind = kind
        self.needs_review_flag = kind != SubmissionKind.MANUAL
        self.po_number = po_number
        self.note = note

    @transition(field=state, source=ReportState.UNDER_REVIEW, target=ReportState.APPROVED)
    def approve(self, *, by, at):
        self.reviewed_by = by
        self.reviewed_at = at

    @transition(field=state, source=ReportState.UNDER_REVIEW, target=ReportState.REJECTED)
    def reject(self, *, by, at, reason, new_deadline):
        self.reviewed_by = by
        self.reviewed_at = at
        self.rejection_reason = reason
        self.rejection_count += 1
        self.deadline = new_deadline


class UsageReportLine(TenantModel):
    """One product or service of a report: provided, used and the billable units declared."""

    report = models.ForeignKey(UsageReport, models.CASCADE, related_name="lines", verbose_name=_("report"))
    position = models.PositiveIntegerField(_("position"), default=0)
    product_code = models.CharField(_("product id"), max_length=64)
    sku_code = models.CharField(_("SKU"), max_length=64, blank=True)
    product_name = models.CharField(_("product"), max_length=200)
    unit_type = models.CharField(_("unit type"), max_length=32)
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=4)
    provided_units = models.PositiveIntegerField(_("provided units"))
    used_units = models.PositiveIntegerField(_("used units"), null=True, blank=True)
    billable_units = models.PositiveIntegerField(_("billable units"))
    flagged = models.BooleanField(
        _("at fault"), default=False, help_text=_("Named by the reviewer at the last rejection.")
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("report line")
        verbose_name_plural = _("report lines")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "product_code", "sku_code"],
                name="%(app_label)s_%(class)s_unique_product_per_report",
            ),
        ]

    def __str__(self):
        return f"{self.product_name} ({self.billable_units})"

    @property
    def is_discrepant(self) -> bool:
        return line_is_discrepant(self)

    @property
    def declaration(self) -> Declaration:
        """Under-declared, over-declared or matching (reports.rules.line_declaration)."""
        return line_declaration(provided=self.provided_units, billable=self.billable_units)

    @property
    def is_under_declared(self) -> bool:
        """Billable below provided: shown in red."""
        return self.declaration == Declaration.UNDER

    @property
    def is_over_declared(self) -> bool:
        """Billable above provided: shown in amber."""
        return self.declaration == Declaration.OVER

    @property
    def over_provisioned_percent(self) -> Decimal | None:
        """Share of the provided units that was not used (None when usage is not reported)."""
        if self.used_units is None or self.provided_units == 0:
            return None
        unused = max(self.provided_units - self.used_units, 0)
        return (Decimal(unused) * 100 / self.provided_units).quantize(Decimal("0.1"))


class LineComment(TenantModel):
    """A message in a line's thread, by the MSP or by its distributor."""

    line = models.ForeignKey(UsageReportLine, models.CASCADE, related_name="comments", verbose_name=_("line"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("author")
    )
    author_organisation = models.ForeignKey(
        Organisation, models.PROTECT, related_name="+", verbose_name=_("author's organisation")
    )
    body = models.TextField(_("comment"), max_length=4000)
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        verbose_name = _("line comment")
        verbose_name_plural = _("line comments")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["line", "author_organisation"], name="comment_line_author_org")]

    def __str__(self):
        return self.body[:60]

    @property
    def is_from_msp(self) -> bool:
        return self.author_organisation_id == self.organisation_id


class ReportEvent(TenantModel):
    """Append-only history: every transition and every saved line edit (a database trigger
    refuses UPDATE and DELETE on this table)."""

    report = models.ForeignKey(UsageReport, models.PROTECT, related_name="events", verbose_name=_("report"))
    line = models.ForeignKey(
        UsageReportLine, models.PROTECT, null=True, blank=True, related_name="events", verbose_name=_("line")
    )
    kind = models.CharField(_("event"), max_length=16, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
        help_text=_("Empty when the system acted."),
    )
    from_state = models.CharField(_("from"), max_length=20, blank=True, choices=ReportState.choices)
    to_state = models.CharField(_("to"), max_length=20, blank=True, choices=ReportState.choices)
    old_value = models.CharField(_("old value"), max_length=64, blank=True)
    new_value = models.CharField(_("new value"), max_length=64, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("report event")
        verbose_name_plural = _("report history")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["report", "kind", "created_at"], name="event_report_kind_time")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"


class ReportPenalty(TenantModel):
    """A penalty applied to one unexplained line when the system auto-submitted its report.

    One per line and deadline (a unique key, so no worker can apply it twice); append-only like
    the history (a database trigger refuses UPDATE and DELETE).
    """

    report = models.ForeignKey(
        UsageReport, models.PROTECT, related_name="penalties", verbose_name=_("report")
    )
    line = models.ForeignKey(
        UsageReportLine, models.PROTECT, related_name="penalties", verbose_name=_("line")
    )
    deadline = models.DateTimeField(_("deadline"))
    provided_units = models.PositiveIntegerField(_("provided units"))
    billable_before = models.PositiveIntegerField(_("billable units declared"))
    reset_amount = models.DecimalField(_("reset amount"), max_digits=14, decimal_places=2)
    surcharge = models.DecimalField(_("surcharge"), max_digits=14, decimal_places=2)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    reason = models.CharField(
        _("reason"), max_length=32, choices=PenaltyReason.choices, default=PenaltyReason.UNEXPLAINED
    )
    created_at = models.DateTimeField(_("applied"), auto_now_add=True)

    class Meta:
        verbose_name = _("penalty")
        verbose_name_plural = _("penalties")
        ordering = ["report", "line__position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["line", "deadline"],
                name="%(app_label)s_%(class)s_once_per_line_and_deadline",
                violation_error_message=_("This line was already penalised for this deadline."),
            )
        ]

    def __str__(self):
        return f"{self.line_id} {self.total} {self.currency}"


class ReportReminder(TenantModel):
    """A reminder sent for one report, deadline and step (days before the deadline); the unique
    key is the claim that makes each step go out once, whatever runs the job."""

    report = models.ForeignKey(
        UsageReport, models.CASCADE, related_name="reminders", verbose_name=_("report")
    )
    deadline = models.DateTimeField(_("deadline"))
    days_before = models.PositiveSmallIntegerField(_("days before the deadline"))
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "deadline", "days_before"],
                name="%(app_label)s_%(class)s_once_per_step",
            )
        ]

    def __str__(self):
        return f"{self.report_id} −{self.days_before}d"
