"""Telling the submitter how their invoice's approval ended (approved, rejected, changes requested)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from approvals.models import ApprovalRequest, RequestStatus
from organizations.tenancy import require_organization_id

NOTIFIED = (RequestStatus.APPROVED, RequestStatus.REJECTED, RequestStatus.CHANGES_REQUESTED)


def approval_outcome_queue(*, request: ApprovalRequest) -> None:
    """Email the submitter after the transaction commits (nothing when the request did not end)."""
    if request.status not in NOTIFIED or request.submitted_by_id is None:
        return
    from approvals.tasks import approval_outcome_send

    organization_id, request_id = require_organization_id(), request.pk
    transaction.on_commit(
        lambda: approval_outcome_send.delay(organization_id=organization_id, request_id=request_id)
    )


def approval_outcome_send(*, request_id: int) -> bool:
    """Send the outcome email once; the row stays locked while the mail is handed over."""
    with transaction.atomic():
        request = (
            ApprovalRequest.objects.select_for_update(of=("self",))
            .select_related("submitted_by", "invoice__vendor", "entity")
            .filter(pk=request_id)
            .first()
        )
        if request is None or request.outcome_notified_at is not None or request.status not in NOTIFIED:
            return False
        submitter = request.submitted_by
        if submitter is None or not submitter.is_active:
            return False
        decisions = [
            assignment
            for step in request.steps.order_by("position")
            for assignment in step.assignments.exclude(decision="")
            .exclude(channel="auto")
            .select_related("decided_by")
        ]
        # Nothing to tell when nobody decided (a rule without steps) or the submitter decided last.
        if not decisions or decisions[-1].decided_by_id == submitter.pk:
            return False
        request.outcome_notified_at = timezone.now()
        request.save(update_fields=["outcome_notified_at"])
        context = {
            "request": request,
            "invoice": request.invoice,
            "submitter": submitter,
            "decisions": decisions,
            "entity": request.entity,
            "base_url": settings.PUBLIC_BASE_URL,
        }
        subject = render_to_string("approvals/email_outcome_subject.txt", context).strip()
        send_mail(
            subject, render_to_string("approvals/email_outcome_body.txt", context), None, [submitter.email]
        )
    return True
