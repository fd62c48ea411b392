from django.urls import path

from invoices import views, views_detail

urlpatterns = [
    path("", views.InboxView.as_view(), name="invoice_inbox"),
    path("documents/", views.DocumentsView.as_view(), name="invoice_documents"),
    path("messages/", views.MessagesView.as_view(), name="invoice_messages"),
    path("upload/", views.UploadView.as_view(), name="invoice_upload"),
    path("vendor-options/", views.VendorOptionsView.as_view(), name="invoice_vendor_options"),
    path(
        "arrivals/<int:arrival_id>/status/", views.ArrivalStatusView.as_view(), name="invoice_arrival_status"
    ),
    path("documents/<int:document_id>/file/", views.DocumentFileView.as_view(), name="document_file"),
    path("messages/<int:message_id>/raw/", views.MessageRawView.as_view(), name="inbound_message_raw"),
    path("<int:invoice_id>/", views_detail.InvoiceDetailView.as_view(), name="invoice_detail"),
    path("<int:invoice_id>/lines/add/", views_detail.LineAddView.as_view(), name="invoice_line_add"),
    path(
        "<int:invoice_id>/lines/<int:line_id>/",
        views_detail.LineUpdateView.as_view(),
        name="invoice_line_update",
    ),
    path(
        "<int:invoice_id>/lines/<int:line_id>/delete/",
        views_detail.LineDeleteView.as_view(),
        name="invoice_line_delete",
    ),
    path(
        "<int:invoice_id>/notices/<int:notice_id>/dismiss/",
        views_detail.NoticeDismissView.as_view(),
        name="invoice_notice_dismiss",
    ),
    path("<int:invoice_id>/recheck/", views_detail.RefreshView.as_view(), name="invoice_recheck"),
    path("<int:invoice_id>/submit/", views_detail.SubmitView.as_view(), name="invoice_submit"),
    path("<int:invoice_id>/archive/", views_detail.ArchiveView.as_view(), name="invoice_archive"),
]
