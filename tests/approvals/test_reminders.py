"""Reminders and escalation from beat: due times from the request's policy version, once per due time."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from approvals.models import ApprovalLink, AssignmentSource, Decision, LinkPurpose
from approvals.services.decisions import approval_decide
from approvals.services.sweep import approval_steps_sweep
from approvals.tasks import approval_steps_sweep_dispatch
from invoices.models import Invoice, InvoiceStatus
from modai.celery import app as celery_app
from organizations.models import AuditEvent
from organizations.tenancy import tenant_scope
from tests.approvals.factories import (
    assignment_of,
    invoice_create,
    on_commit_run,
    person,
    policy_save,
    rule,
    step,
    submit,
)
from tests.factories import Tenant

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)


def sweep(hours_later: float):
    with on_commit_run():
        return approval_steps_sweep(now=timezone.now() + hours_later * HOUR)


def test_waiting_approvers_are_reminded_once_per_interval(tenant: Tenant, other_tenant: Tenant) -> None:
    approver = tenant.user("approver")
    with tenant_scope(tenant.organization):
        policy_save(tenant.entity, rule("All", step("One", person(approver))), reminder_hours=24)
        invoice = invoice_create(tenant.entity)
        submit(invoice, tenant.user("ap_specialist"))
        mail.outbox.clear()
        assert (sweep(23).reminded, len(mail.outbox)) == (0, 0)
        assert sweep(25).reminded == 1
        assert sweep(25).reminded == 0  # run twice: reminded once
        assert [message.to for message in mail.outbox] == [[approver.email]]
        assert mail.outbox[0].subject.startswith("Reminder: approve Invoice INV-")
        assert sweep(50).reminded == 1
        reminders = AuditEvent.objects.filter(action="approval.reminder_sent").order_by("id")
        assert [(event.metadata["reminder"], event.metadata["to"]) for event in reminders] == [
            (1, [str(approver)]),
            (2, [str(approver)]),
        ]
        approval_decide(
            assignment_id=assignment_of(invoice, approver).pk, user=approver, decision=Decision.APPROVE
        )
        assert sweep(200).reminded == 0
    with tenant_scope(other_tenant.organization):
        assert approval_steps_sweep(now=timezone.now() + 200 * HOUR).reminded == 0
        assert not AuditEvent.objects.filter(action="approval.reminder_sent").exists()


def test_late_steps_escalate_once_and_the_escalation_approver_completes_the_step(tenant: Tenant) -> None:
    approver, controller = tenant.user("approver"), tenant.user("controller")
    with tenant_scope(tenant.organization):
        policy_save(
            tenant.entity,
            rule("All", step("Both", person(approver), person(tenant.user("administrator")), mode="all")),
            reminder_hours=0,
            escalation_hours=48,
            escalate_to=[{"type": "role", "role": "controller"}],
        )
        invoice = invoice_create(tenant.entity)
        submit(invoice, tenant.user("ap_specialist"))
        mail.outbox.clear()
        assert sweep(47).escalated == 0
        assert sweep(49).escalated == 1
        assert sweep(60).escalated == 0
        escalation = assignment_of(invoice, controller)
        assert escalation.source == AssignmentSource.ESCALATION
        assert [message.to for message in mail.outbox] == [[controller.email]]
        assert mail.outbox[0].subject.startswith("Escalated: approve")
        assert ApprovalLink.objects.get(recipient=controller).purpose == LinkPurpose.ESCALATION
        event = AuditEvent.objects.get(action="approval.escalated")
        assert (event.metadata["to"], event.metadata["waiting_hours"]) == ([str(controller)], 48)
        # One escalation approver suffices even though the step needs all of its own approvers.
        approval_decide(assignment_id=escalation.pk, user=controller, decision=Decision.APPROVE)
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.APPROVED


def test_an_invoice_in_flight_keeps_its_reminder_times(tenant: Tenant) -> None:
    approver = tenant.user("approver")
    with tenant_scope(tenant.organization):
        policy_save(tenant.entity, rule("All", step("One", person(approver))), reminder_hours=10)
        invoice = invoice_create(tenant.entity)
        submit(invoice, tenant.user("ap_specialist"))
        policy_save(tenant.entity, rule("All", step("One", person(approver))), reminder_hours=100)
        assert sweep(11).reminded == 1


def test_beat_runs_the_sweep_for_every_organization(tenant: Tenant, other_tenant: Tenant) -> None:
    entry = celery_app.conf.beat_schedule["approvals-sweep"]
    assert entry["task"] == "approvals.approval_steps_sweep_dispatch"
    assert entry["options"]["expires"] < entry["schedule"]
    for each in (tenant, other_tenant):
        with tenant_scope(each.organization):
            policy_save(
                each.entity, rule("All", step("One", person(each.user("approver")))), reminder_hours=1
            )
            invoice = invoice_create(each.entity)
            submit(invoice, each.user("ap_specialist"))
            step_row = assignment_of(invoice, each.user("approver")).step
            step_row.activated_at = timezone.now() - 2 * HOUR
            step_row.save(update_fields=["activated_at"])
    mail.outbox.clear()
    with on_commit_run():
        assert approval_steps_sweep_dispatch.delay().get() >= 2
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [tenant.user("approver").email, other_tenant.user("approver").email]
    )
