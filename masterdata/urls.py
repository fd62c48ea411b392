from django.urls import path

from masterdata import views

urlpatterns = [
    path("vendors/", views.VendorsView.as_view(), name="vendors"),
    path("vendors/<int:vendor_id>/", views.VendorDetailView.as_view(), name="vendor_detail"),
    path("purchase-orders/", views.PurchaseOrdersView.as_view(), name="purchase_orders"),
    path(
        "purchase-orders/<int:purchase_order_id>/",
        views.PurchaseOrderDetailView.as_view(),
        name="purchase_order_detail",
    ),
    path("receipts/", views.ReceiptsView.as_view(), name="receipts"),
    path("receipts/<int:receipt_id>/", views.ReceiptDetailView.as_view(), name="receipt_detail"),
    path("accounts/", views.AccountsView.as_view(), name="accounts"),
    path("items/", views.ItemsView.as_view(), name="items"),
    path("people/", views.PeopleView.as_view(), name="people"),
    path("fields/", views.FieldsView.as_view(), name="fields"),
]
