"""Catalog and purchase pages, under /o/<org_slug>/shop/."""

from django.urls import path

from .views import catalog, purchase, purchases

app_name = "licensing_purchase"

urlpatterns = [
    path("", catalog.CatalogView.as_view(), name="catalog"),
    path("products/new/", catalog.ProductFormView.as_view(), name="product-create"),
    path("products/<int:product_id>/edit/", catalog.ProductFormView.as_view(), name="product-edit"),
    path("cart/", purchase.CartView.as_view(), name="cart"),
    path("cart/add/", purchase.CartAddView.as_view(), name="cart-add"),
    path("cart/review/", purchase.CartReviewView.as_view(), name="cart-review"),
    path("cart/cost-centers/", purchase.CartCostCentersView.as_view(), name="cart-cost-centers"),
    path("cart/confirm/", purchase.CartConfirmView.as_view(), name="cart-confirm"),
    path("purchases/", purchases.PurchaseListView.as_view(), name="purchase-list"),
    path("purchases/<int:purchase_id>/", purchases.PurchaseDetailView.as_view(), name="purchase-detail"),
]
