"""The demo loader: the tenancy base, then every part the apps registered
(``msp_portal.tenancy.demo.register_demo_part``), in one transaction, so a failure leaves the
database as it was."""

from django.db import transaction

from msp_portal.tenancy.demo import DEMO_PASSWORD, demo_logins, demo_parts

__all__ = ["DEMO_PASSWORD", "demo_data_load", "demo_logins"]


@transaction.atomic
def demo_data_load() -> dict[str, int]:
    """Create (or complete) the demo data set; returns how many rows of each kind now exist."""
    counts: dict[str, int] = {}
    for load in demo_parts():
        counts.update(load())
    return counts
