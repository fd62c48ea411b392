"""API routes of the approvals room (included by modai.api.urls under /api/v1/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from approvals.api import people, trail, views

router = SimpleRouter()
router.register("approvals", views.MyApprovalViewSet, basename="approval")
router.register("audit-events", trail.AuditEventViewSet, basename="audit-event")
router.register("approver-groups", people.ApproverGroupViewSet, basename="approver-group")
router.register("delegations", people.DelegationViewSet, basename="delegation")
router.register(
    r"entities/(?P<entity_id>\d+)/approval-policy/versions",
    views.ApprovalPolicyVersionViewSet,
    basename="approval-policy-version",
)

urlpatterns = [
    path(
        "entities/<int:entity_id>/approval-policy/",
        views.ApprovalPolicyView.as_view(),
        name="api_approval_policy",
    ),
    path(
        "entities/<int:entity_id>/approval-policy/preview/",
        views.ApprovalPolicyPreviewView.as_view(),
        name="api_approval_policy_preview",
    ),
    path(
        "invoices/<int:invoice_id>/approval/",
        views.InvoiceApprovalView.as_view(),
        name="api_invoice_approval",
    ),
    path(
        "invoices/<int:invoice_id>/approval/recall/",
        views.InvoiceApprovalRecallView.as_view(),
        name="api_invoice_approval_recall",
    ),
    *router.urls,
]
