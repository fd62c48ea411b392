"""API shapes of approvals and audit events (read-side; writes go through services)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from approvals.models import (
    ApprovalAssignment,
    ApprovalPolicyVersion,
    ApprovalRequest,
    ApprovalStep,
    ApproverGroup,
    Decision,
    Delegation,
)
from approvals.routing import ApprovalPlan
from invoices.models import Invoice
from organizations.models import AuditEvent, User


class PersonSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="full_name")

    class Meta:
        model = User
        fields = ["id", "name", "email"]


class InvoiceBriefSerializer(serializers.ModelSerializer):
    vendor = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = [
            "id",
            "entity",
            "kind",
            "status",
            "invoice_number",
            "vendor",
            "currency",
            "total",
            "due_date",
        ]

    def get_vendor(self, invoice: Invoice) -> str:
        return invoice.vendor.name if invoice.vendor_id and invoice.vendor else invoice.vendor_name


class AssignmentSerializer(serializers.ModelSerializer):
    user = PersonSerializer()
    decided_by = PersonSerializer(allow_null=True)

    class Meta:
        model = ApprovalAssignment
        fields = [
            "id",
            "user",
            "source",
            "source_label",
            "decision",
            "decided_by",
            "decided_at",
            "comment",
            "channel",
        ]


class StepSerializer(serializers.ModelSerializer):
    assignments = AssignmentSerializer(many=True)

    class Meta:
        model = ApprovalStep
        fields = [
            "position",
            "name",
            "mode",
            "status",
            "activated_at",
            "finished_at",
            "reminded_at",
            "escalated_at",
            "assignments",
        ]


class ApprovalRequestSerializer(serializers.ModelSerializer):
    policy_version = serializers.IntegerField(source="policy_version.number")
    submitted_by = PersonSerializer(allow_null=True)
    steps = StepSerializer(many=True)

    class Meta:
        model = ApprovalRequest
        fields = [
            "id",
            "round",
            "status",
            "policy_version",
            "rule_name",
            "submitted_by",
            "created_at",
            "finished_at",
            "steps",
        ]


class QueueItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="assignment.pk")
    invoice = InvoiceBriefSerializer()
    step = serializers.SerializerMethodField()
    on_behalf_of = PersonSerializer(allow_null=True)
    can_approve = serializers.BooleanField()
    blocker = serializers.CharField()

    def get_step(self, row: Any) -> dict[str, Any]:
        step = row.step
        return {
            "position": step.position,
            "name": step.name,
            "mode": step.mode,
            "waiting_since": step.activated_at,
        }


class DecisionWriteSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class BulkApproveSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=500)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class PolicyVersionSerializer(serializers.ModelSerializer):
    created_by = PersonSerializer(allow_null=True)

    class Meta:
        model = ApprovalPolicyVersion
        fields = ["number", "definition", "note", "created_by", "created_at"]


class PolicyWriteSerializer(serializers.Serializer):
    definition = serializers.JSONField(help_text="rules, reminder_hours, escalation_hours, escalate_to")
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
    based_on = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The version you edited; refused if newer exists.",
    )


class PreviewWriteSerializer(serializers.Serializer):
    invoice = serializers.IntegerField()
    definition = serializers.JSONField(required=False, help_text="Default: the current policy.")


def plan_data(plan: ApprovalPlan, submitter: User | None) -> dict[str, Any]:
    return {
        "rule": plan.rule_name or None,
        "approves_automatically": plan.approves_automatically,
        "problems": plan.problems,
        "as_submitted_by": PersonSerializer(submitter).data if submitter else None,
        "steps": [
            {
                "position": step.position,
                "name": step.name,
                "mode": step.mode,
                "approvers": [
                    {
                        **PersonSerializer(approver.user).data,
                        "source": approver.source,
                        "already_approved_at_step": approver.repeated_from_step,
                    }
                    for approver in step.approvers
                ],
                "left_out": [{"who": who, "why": why} for who, why in step.left_out],
            }
            for step in plan.steps
        ],
    }


class AuditEventSerializer(serializers.ModelSerializer):
    entity = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "entity",
            "actor",
            "actor_label",
            "action",
            "target_type",
            "target_id",
            "target_label",
            "before",
            "after",
            "metadata",
        ]

    def get_entity(self, event: AuditEvent) -> dict[str, Any] | None:
        return {"id": event.entity.pk, "code": event.entity.code} if event.entity is not None else None


class ApproverGroupSerializer(serializers.ModelSerializer):
    members = serializers.SerializerMethodField()

    class Meta:
        model = ApproverGroup
        fields = ["id", "name", "description", "members", "created_at"]

    def get_members(self, group: ApproverGroup) -> list[dict[str, Any]]:
        return [PersonSerializer(member.user).data for member in group.members.all()]


class ApproverGroupWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    members = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)


class DelegationSerializer(serializers.ModelSerializer):
    delegator = PersonSerializer()
    delegate = PersonSerializer()

    class Meta:
        model = Delegation
        fields = ["id", "delegator", "delegate", "starts_on", "ends_on", "note", "created_at", "cancelled_at"]


class DelegationWriteSerializer(serializers.Serializer):
    delegate = serializers.IntegerField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    delegator = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Organization administrators only: whose approvals.",
    )
