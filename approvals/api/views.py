"""API: My approvals and decisions, an invoice's approval (timeline, submit, recall), policies."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from approvals.api.serializers import (
    ApprovalRequestSerializer,
    BulkApproveSerializer,
    CommentSerializer,
    DecisionWriteSerializer,
    PolicyVersionSerializer,
    PolicyWriteSerializer,
    PreviewWriteSerializer,
    QueueItemSerializer,
    plan_data,
)
from approvals.errors import ApprovalConflictError, DecisionNotAllowedError
from approvals.models import ApprovalAssignment, ApprovalPolicyVersion
from approvals.policy import PolicyDefinitionError, policy_parse
from approvals.selectors import (
    QueueRow,
    approval_assignment_get_for_user,
    approval_policy_preview,
    approval_policy_versions,
    approval_queue,
    approval_timeline,
    invoice_get_for_user,
)
from approvals.services.decisions import approval_bulk_approve, approval_decide, assignment_decision_blocker
from approvals.services.policies import (
    approval_policy_current,
    approval_policy_save,
    approval_policy_validate,
)
from approvals.services.submit import approval_recall
from modai.api.base import TenantAPIView, TenantReadOnlyViewSet, TenantViewSet
from organizations.errors import NotFoundError
from organizations.permissions import Permission


class ApprovalErrorsMixin:
    """Conflicts are 409 and refusals 403, each with the reason; policy problems list every field."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ApprovalConflictError):
            return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
        if isinstance(exc, DecisionNotAllowedError):
            return Response({"detail": exc.message}, status=status.HTTP_403_FORBIDDEN)
        if isinstance(exc, PolicyDefinitionError):
            errors = [{"path": path, "message": message} for path, message in exc.errors]
            return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)
        return super().handle_exception(exc)  # type: ignore[misc]


def _timeline_data(invoice: Any) -> list[dict[str, Any]]:
    return ApprovalRequestSerializer(approval_timeline(invoice=invoice), many=True).data


class MyApprovalViewSet(ApprovalErrorsMixin, TenantViewSet):
    """What waits for your decision (yours, and what you decide for others under delegation)."""

    permission = Permission.INVOICE_APPROVE
    serializer_class = QueueItemSerializer
    pagination_class = None

    def scoped_queryset(self) -> QuerySet[ApprovalAssignment]:
        return ApprovalAssignment.objects.none()  # list and retrieve read through the queue selectors

    @extend_schema(responses=QueueItemSerializer(many=True))
    def list(self, request: Request) -> Response:
        rows = approval_queue(user=request.user, access=self.access)
        return Response(QueueItemSerializer(rows, many=True).data)

    @extend_schema(responses=QueueItemSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        assignment = approval_assignment_get_for_user(user=request.user, access=self.access, assignment_id=pk)
        invoice = assignment.step.request.invoice
        row = QueueRow(
            assignment=assignment,
            step=assignment.step,
            invoice=invoice,
            on_behalf_of=assignment.user if assignment.user_id != request.user.pk else None,
            blocker=assignment_decision_blocker(assignment=assignment, invoice=invoice, user=request.user),
        )
        return Response({**QueueItemSerializer(row).data, "approval": _timeline_data(invoice)})

    @extend_schema(
        request=DecisionWriteSerializer,
        responses={200: ApprovalRequestSerializer(many=True), 403: OpenApiResponse(), 409: OpenApiResponse()},
    )
    @action(detail=True, methods=["post"], url_path="decision")
    def decision(self, request: Request, pk: str) -> Response:
        """Approve, reject (comment required) or request changes (comment required)."""
        write = DecisionWriteSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        assignment = approval_decide(
            assignment_id=pk,
            user=request.user,
            decision=write.validated_data["decision"],
            comment=write.validated_data["comment"],
            channel="api",
        )
        return Response(_timeline_data(assignment.step.request.invoice))

    @extend_schema(request=BulkApproveSerializer, responses={200: OpenApiResponse()})
    @action(detail=False, methods=["post"], url_path="bulk-approve")
    def bulk_approve(self, request: Request) -> Response:
        """Approve each listed item you may approve; the rest come back with the reason."""
        write = BulkApproveSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        result = approval_bulk_approve(
            assignment_ids=write.validated_data["ids"],
            user=request.user,
            comment=write.validated_data["comment"],
        )
        return Response(
            {
                "approved": [assignment.pk for assignment in result.approved],
                "skipped": [{"id": item_id, "reason": reason} for item_id, reason in result.skipped],
            }
        )


class InvoiceApprovalView(ApprovalErrorsMixin, TenantAPIView):
    """An invoice's approval rounds with their steps and decisions."""

    permission = Permission.ENTITY_VIEW

    @extend_schema(responses=ApprovalRequestSerializer(many=True))
    def get(self, request: Request, invoice_id: int) -> Response:
        invoice = invoice_get_for_user(access=self.access, invoice_id=invoice_id)
        return Response(_timeline_data(invoice))


class InvoiceApprovalRecallView(ApprovalErrorsMixin, TenantAPIView):
    """Take the invoice back out of approval (Pending approval -> Needs review)."""

    permission = Permission.INVOICE_EDIT

    @extend_schema(request=CommentSerializer, responses=ApprovalRequestSerializer(many=True))
    def post(self, request: Request, invoice_id: int) -> Response:
        invoice = invoice_get_for_user(
            access=self.access, invoice_id=invoice_id, permission=Permission.INVOICE_EDIT
        )
        write = CommentSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        approval_recall(invoice=invoice, actor=request.user, comment=write.validated_data["comment"])
        return Response(_timeline_data(invoice))


class ApprovalPolicyView(ApprovalErrorsMixin, TenantAPIView):
    """The entity's current approval policy; PUT saves a new version."""

    permissions_by_action = {"get": Permission.ENTITY_VIEW, "put": Permission.ENTITY_SETTINGS}

    @extend_schema(responses=PolicyVersionSerializer)
    def get(self, request: Request, entity_id: int) -> Response:
        assert self.entity is not None
        current = approval_policy_current(entity=self.entity)
        if current is None:
            raise NotFoundError("no policy")
        return Response(PolicyVersionSerializer(current).data)

    @extend_schema(
        request=PolicyWriteSerializer, responses={200: PolicyVersionSerializer, 201: PolicyVersionSerializer}
    )
    def put(self, request: Request, entity_id: int) -> Response:
        assert self.entity is not None
        write = PolicyWriteSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        before = approval_policy_current(entity=self.entity)
        version = approval_policy_save(
            entity=self.entity,
            actor=request.user,
            definition=write.validated_data["definition"],
            note=write.validated_data["note"],
            based_on=write.validated_data["based_on"],
        )
        created = before is None or version.pk != before.pk
        return Response(PolicyVersionSerializer(version).data, status=201 if created else 200)


class ApprovalPolicyVersionViewSet(TenantReadOnlyViewSet):
    """Every saved version of the entity's policy, newest first."""

    serializer_class = PolicyVersionSerializer
    lookup_field = "number"
    pagination_class = None

    def scoped_queryset(self) -> QuerySet[ApprovalPolicyVersion]:
        assert self.entity is not None
        return approval_policy_versions(entity=self.entity)


class ApprovalPolicyPreviewView(ApprovalErrorsMixin, TenantAPIView):
    """Which steps and approvers an invoice would get, under the current or a proposed policy."""

    permission = Permission.ENTITY_SETTINGS

    @extend_schema(request=PreviewWriteSerializer, responses={200: OpenApiResponse()})
    def post(self, request: Request, entity_id: int) -> Response:
        assert self.entity is not None
        write = PreviewWriteSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        invoice = invoice_get_for_user(access=self.access, invoice_id=write.validated_data["invoice"])
        if invoice.entity_id != self.entity.pk:
            raise NotFoundError("invoice not found")
        if "definition" in write.validated_data:
            policy = approval_policy_validate(
                entity=self.entity, definition=write.validated_data["definition"]
            )
        else:
            current = approval_policy_current(entity=self.entity)
            if current is None:
                raise NotFoundError("no policy")
            policy = policy_parse(current.definition)
        plan, submitter = approval_policy_preview(
            entity=self.entity, policy=policy, invoice=invoice, viewer=request.user
        )
        return Response(plan_data(plan, submitter))
