"""Web pages of the approvals room (included by modai.urls)."""

from django.urls import path

from approvals.views import audit_log, email_link, people, policy, queue

urlpatterns = [
    path("approvals/", queue.MyApprovalsView.as_view(), name="my_approvals"),
    path("approvals/<int:assignment_id>/", queue.ApprovalDecideView.as_view(), name="approval_decide"),
    path(
        "approvals/invoices/<int:invoice_id>/recall/",
        queue.InvoiceRecallView.as_view(),
        name="approval_recall",
    ),
    path("approvals/email/<str:token>/", email_link.EmailLinkView.as_view(), name="approval_email_link"),
    path("audit/", audit_log.AuditLogView.as_view(), name="audit_log"),
    path("audit/export.csv", audit_log.AuditLogExportView.as_view(), name="audit_log_export"),
    path("settings/approval-policy/", policy.ApprovalPolicyView.as_view(), name="settings_approval_policy"),
    path("settings/delegation/", people.DelegationView.as_view(), name="settings_delegation"),
    path(
        "settings/company/approver-groups/",
        people.ApproverGroupsView.as_view(),
        name="settings_approver_groups",
    ),
    path(
        "settings/company/approver-groups/<int:group_id>/",
        people.ApproverGroupDetailView.as_view(),
        name="settings_approver_group_detail",
    ),
]
