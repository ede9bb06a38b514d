"""Invoicing's tables (docs/invoicing.md)."""
