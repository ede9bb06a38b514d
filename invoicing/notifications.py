"""The texts of the notifications about invoices and credit notes."""

from django.utils.translation import gettext_lazy as _

from msp_portal.notifications.texts import register

INVOICE_ISSUED = "invoice_issued"
CREDIT_NOTE_ISSUED = "credit_note_issued"


def register_texts() -> None:
    register(
        INVOICE_ISSUED,
        _("Invoice %(number)s for %(cycle)s issued"),
        _(
            "Your distributor issued invoice %(number)s for %(cycle)s, built from your approved "
            "usage report: %(total)s %(currency)s, tax included."
        ),
    )
    register(
        CREDIT_NOTE_ISSUED,
        _("Credit note %(number)s issued against invoice %(invoice)s"),
        _(
            "Your distributor credited %(total)s %(currency)s, tax included, on invoice %(invoice)s. Reason: “%(reason)s”."
        ),
    )
