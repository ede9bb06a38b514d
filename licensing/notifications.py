"""Texts of the licensing notifications."""

from django.utils.translation import gettext_lazy as _

from msp_portal.notifications.texts import register

OVERALLOCATED = "license_overallocated"


def register_texts() -> None:
    register(
        OVERALLOCATED,
        _("%(product)s is over-allocated by %(excess)s licenses"),
        _(
            "More licenses are assigned than owned, beyond your alert threshold of %(threshold)s. "
            "Buy more licenses, remove assignments, or wait for the yearly true-up (billed on the peak)."
        ),
    )
