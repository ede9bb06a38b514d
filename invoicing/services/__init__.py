"""Writes of invoicing: building invoices on approval, credit notes, tax settings."""

from .credit_notes import CreditRequest, credit_note_issue
from .invoices import invoices_build_for_reports
from .tax_settings import tax_setting_delete, tax_setting_save

__all__ = [
    "CreditRequest",
    "credit_note_issue",
    "invoices_build_for_reports",
    "tax_setting_delete",
    "tax_setting_save",
]
