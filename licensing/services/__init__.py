"""Writes of licensing. Each service checks the role, locks the subscription it changes (so two
requests racing for the last free license are served one after the other), applies the rule,
and appends to the assignment history.

One module per sub-domain (catalog, cost centers, assignments, purchases, bulk, settings);
callers keep writing ``from licensing import services`` and ``services.license_assign``: the
names are re-exported here."""

from ._common import MAX_QUANTITY
from .assignments import Assignee, license_assign, license_unassign, licenses_remove
from .bulk import BulkAssignResult, licenses_bulk_assign
from .catalog import product_save
from .charge_cycles import subscription_charge_cycle_set
from .cost_centers import cost_center_save, licenses_move
from .purchases import PurchaseRequestLine, purchase_confirm
from .settings import licensing_settings_update

__all__ = [
    "MAX_QUANTITY",
    "Assignee",
    "BulkAssignResult",
    "PurchaseRequestLine",
    "cost_center_save",
    "license_assign",
    "license_unassign",
    "licenses_bulk_assign",
    "licenses_move",
    "licenses_remove",
    "licensing_settings_update",
    "product_save",
    "purchase_confirm",
    "subscription_charge_cycle_set",
]
