"""Kinds of the licensing catalog and history (docs/licensing.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class BillingType(models.TextChoices):
    LICENSE = "license", _("License-based (fixed fee)")
    USAGE = "usage", _("Usage-based")


class Program(models.TextChoices):
    TRUE_UP = "true_up", _("Allows over-allocation (yearly true-up)")
    NO_OVERALLOCATION = "no_overallocation", _("Forbids over-allocation")


class HistoryKind(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned")
    UNASSIGNED = "unassigned", _("Unassigned")
    PURCHASED = "purchased", _("Licenses bought")
    REMOVED = "removed", _("Licenses removed")


class BillingFrequency(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    YEARLY = "yearly", _("Yearly")
