"""The invoices room's API routes, included under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from invoices import api, api_intake

router = SimpleRouter()
router.register("invoices", api.InvoiceViewSet, basename="invoice")
router.register("documents", api_intake.DocumentViewSet, basename="document")
router.register("inbound-messages", api_intake.InboundMessageViewSet, basename="inbound-message")

urlpatterns = [
    path("inbound-email/", api_intake.inbound_email, name="api_inbound_email"),
    path(
        "documents/<int:document_id>/file/", api_intake.DocumentFileView.as_view(), name="api_document_file"
    ),
    path(
        "entities/<int:entity_id>/documents/",
        api_intake.EntityDocumentsView.as_view(),
        name="api_entity_documents",
    ),
    path(
        "entities/<int:entity_id>/forwarding-address/",
        api_intake.ForwardingAddressView.as_view(),
        name="api_forwarding_address",
    ),
    path(
        "entities/<int:entity_id>/invoice-settings/",
        api_intake.InvoiceSettingsView.as_view(),
        name="api_invoice_settings",
    ),
    path(
        "entities/<int:entity_id>/coding-rules/",
        api_intake.CodingRulesView.as_view(),
        name="api_coding_rules",
    ),
    path(
        "entities/<int:entity_id>/coding-rules/<int:rule_id>/",
        api_intake.CodingRuleView.as_view(),
        name="api_coding_rule",
    ),
    *router.urls,
]
