"""API of licensing under /api/v1/orgs/<org_slug>/, one module per sub-domain: the catalog (an
MSP reads its distributor's, a distributor's admins manage their own), an MSP's cost centers,
subscriptions and licenses, purchases and thresholds, and the true-ups charged (an MSP's own,
or a distributor's served MSPs'). Views parse, call one service or selector, answer; a missing
object is the selector's NotFound, answered 404 by the one exception handler.

``licensing/api/urls.py`` keeps writing ``views.CatalogListView``: the names are re-exported."""

from .catalog import CatalogListView, ProductDetailView
from .cost_centers import CostCenterDetailView, CostCenterListView
from .licenses import BulkAssignView, LicenseDetailView, LicenseListView, LicenseMoveView, UnassignView
from .purchases import PurchaseDetailView, PurchaseListView
from .settings import LicensingSettingsView
from .subscriptions import (
    AssignView,
    HistoryCsvView,
    HistoryView,
    RemoveView,
    SubscriptionDetailView,
    SubscriptionListView,
    SubscriptionOverviewView,
)
from .true_up import TrueUpChargeListView

__all__ = [
    "AssignView",
    "BulkAssignView",
    "CatalogListView",
    "CostCenterDetailView",
    "CostCenterListView",
    "HistoryCsvView",
    "HistoryView",
    "LicenseDetailView",
    "LicenseListView",
    "LicenseMoveView",
    "LicensingSettingsView",
    "ProductDetailView",
    "PurchaseDetailView",
    "PurchaseListView",
    "RemoveView",
    "SubscriptionDetailView",
    "SubscriptionListView",
    "SubscriptionOverviewView",
    "TrueUpChargeListView",
    "UnassignView",
]
