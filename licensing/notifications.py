"""Texts of the licensing notifications."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from msp_portal.notifications.texts import register

OVERALLOCATED = "license_overallocated"
TRUE_UP_CHARGED = "true_up_charged"


def register_texts() -> None:
    register(
        OVERALLOCATED,
        ngettext_lazy(
            "%(product)s is over-allocated by %(excess)s license",
            "%(product)s is over-allocated by %(excess)s licenses",
            "excess",
        ),
        _(
            "More licenses are assigned than owned, beyond your alert threshold of %(threshold)s. "
            "Buy more licenses, remove assignments, or wait for the yearly true-up (billed on the peak)."
        ),
    )
    register(
        TRUE_UP_CHARGED,
        _("Yearly true-up: %(total)s charged"),
        ngettext_lazy(
            "The true-up billed the peak of the year above the licenses you owned: %(units)s license "
            "more than owned (%(products)s), %(total)s in all. Each subscription's page shows its "
            "peak, when it was reached and what you owned.",
            "The true-up billed the peak of the year above the licenses you owned: %(units)s licenses "
            "more than owned (%(products)s), %(total)s in all. Each subscription's page shows its "
            "peak, when it was reached and what you owned.",
            "units",
        ),
    )
