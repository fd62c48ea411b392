"""Approval policies (versioned), approver groups, delegations, and the approval of each invoice.

A policy is edited per entity and saved as a new immutable :class:`ApprovalPolicyVersion`; its
``definition`` (rules, conditions, steps; see ``approvals.policy``) is read by the pure router. When an
invoice is submitted, the entity's current version is resolved into one :class:`ApprovalRequest` with
its :class:`ApprovalStep` rows and the concrete people asked in each (:class:`ApprovalAssignment`).
The request keeps its version: editing the policy later never changes an invoice in flight.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from invoices.models import Invoice
from organizations.models import Entity, User
from organizations.tenancy import TenantModel


class ApproverGroup(TenantModel):
    """A named set of people a policy step can ask (e.g. "Finance leads"). Organization-wide."""

    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="approver_group_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class ApproverGroupMember(TenantModel):
    group = models.ForeignKey(ApproverGroup, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["group_id", "user__full_name"]
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="approver_group_member_unique")]

    def __str__(self) -> str:
        return f"{self.user} in {self.group}"


class ApprovalPolicyVersion(TenantModel):
    """One saved state of an entity's approval policy. Never changed after it is written."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["entity_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "number"], name="approval_policy_version_unique")
        ]

    def __str__(self) -> str:
        return f"Approval policy v{self.number}"


class Delegation(TenantModel):
    """From ``starts_on`` to ``ends_on`` (inclusive), ``delegate`` may decide what ``delegator`` is asked."""

    delegator = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    delegate = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    starts_on = models.DateField()
    ends_on = models.DateField()
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="delegation_dates_ordered"),
            models.CheckConstraint(condition=~Q(delegate=F("delegator")), name="delegation_not_to_self"),
        ]

    def __str__(self) -> str:
        return f"{self.delegator} → {self.delegate} ({self.starts_on} to {self.ends_on})"

    def is_active_on(self, day: object) -> bool:
        return self.cancelled_at is None and self.starts_on <= day <= self.ends_on  # type: ignore[operator]


class RequestStatus(models.TextChoices):
    ACTIVE = "active", "In progress"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    CANCELLED = "cancelled", "Recalled"


class ApprovalRequest(TenantModel):
    """One round of approval of one invoice, under the policy version current when it was submitted."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="approval_requests")
    round = models.PositiveIntegerField()
    policy_version = models.ForeignKey(ApprovalPolicyVersion, on_delete=models.PROTECT, related_name="+")
    rule_name = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=RequestStatus.choices, default=RequestStatus.ACTIVE)
    submitted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When the submitter was emailed the outcome (approved, rejected, changes requested).
    outcome_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["invoice_id", "-round"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "round"], name="approval_request_unique_round"),
            # One approval in flight per invoice, whoever submits twice at the same moment.
            models.UniqueConstraint(
                fields=["invoice"], condition=Q(status="active"), name="approval_request_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"Approval of {self.invoice_id} (round {self.round})"


class StepMode(models.TextChoices):
    ANY = "any", "Any one approver"
    ALL = "all", "All approvers"


class StepStatus(models.TextChoices):
    PENDING = "pending", "Not started"
    ACTIVE = "active", "Waiting"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    CANCELLED = "cancelled", "Cancelled"


class ApprovalStep(TenantModel):
    """A step of a request: who is asked and whether one (Any) or all (All) of them must approve."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    mode = models.CharField(max_length=10, choices=StepMode.choices, default=StepMode.ANY)
    status = models.CharField(max_length=20, choices=StepStatus.choices, default=StepStatus.PENDING)
    activated_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    reminder_count = models.PositiveIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["request_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["request", "position"], name="approval_step_unique_position")
        ]
        indexes = [models.Index(fields=["status", "activated_at"], name="approval_step_status_idx")]

    def __str__(self) -> str:
        return f"Step {self.position}: {self.name}"


class Decision(models.TextChoices):
    APPROVE = "approved", "Approved"
    REJECT = "rejected", "Rejected"
    REQUEST_CHANGES = "changes_requested", "Changes requested"


class AssignmentSource(models.TextChoices):
    USER = "user", "Named"
    ROLE = "role", "Role"
    GROUP = "group", "Group"
    MANAGER = "manager", "Submitter's manager"
    ESCALATION = "escalation", "Escalation"


class ApprovalAssignment(TenantModel):
    """One person asked at one step, and what they (or their delegate) decided."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    step = models.ForeignKey(ApprovalStep, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=20, choices=AssignmentSource.choices)
    source_label = models.CharField(max_length=200, blank=True, help_text="e.g. the role or group name")
    decision = models.CharField(max_length=20, choices=Decision.choices, blank=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)
    channel = models.CharField(max_length=20, blank=True, help_text="web, email, api, bulk or auto")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["step_id", "id"]
        constraints = [models.UniqueConstraint(fields=["step", "user"], name="approval_assignment_unique")]
        indexes = [models.Index(fields=["user", "decision"], name="approval_assignment_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} at {self.step}"


class LinkPurpose(models.TextChoices):
    REQUEST = "request", "Approval requested"
    REMINDER = "reminder", "Reminder"
    ESCALATION = "escalation", "Escalation"


class ApprovalLink(TenantModel):
    """An emailed one-time decision link. Only the SHA-256 of its secret is stored, once it is sent.

    The URL's token is signed and names the organization and this row, so the server can enter the
    right tenant scope before reading anything (see ``approvals.services.links``).
    """

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    assignment = models.ForeignKey(ApprovalAssignment, on_delete=models.CASCADE, related_name="links")
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=20, choices=LinkPurpose.choices)
    secret_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} link for {self.recipient}"
