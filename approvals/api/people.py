"""API: approver groups (organization administrators write) and delegations."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from approvals.api.serializers import (
    ApproverGroupSerializer,
    ApproverGroupWriteSerializer,
    DelegationSerializer,
    DelegationWriteSerializer,
)
from approvals.models import ApproverGroup, Delegation
from approvals.selectors import (
    approver_group_get,
    approver_group_list,
    delegation_get_for_user,
    delegation_list_for_user,
)
from approvals.services.delegations import delegation_cancel, delegation_create
from approvals.services.groups import approver_group_create, approver_group_delete, approver_group_update
from modai.api.base import TenantViewSet
from organizations.errors import NotFoundError, ServiceValidationError
from organizations.models import User
from organizations.permissions import Permission
from organizations.selectors import user_get


class ApproverGroupViewSet(TenantViewSet):
    """Named sets of approvers policy steps can ask. Readable by entity settings holders."""

    serializer_class = ApproverGroupSerializer
    permission = Permission.ENTITY_SETTINGS
    permissions_by_action = {
        "create": Permission.ORGANIZATION_MANAGE,
        "update": Permission.ORGANIZATION_MANAGE,
        "destroy": Permission.ORGANIZATION_MANAGE,
    }
    pagination_class = None

    def scoped_queryset(self) -> QuerySet[ApproverGroup]:
        return approver_group_list()

    @extend_schema(request=ApproverGroupWriteSerializer, responses={201: ApproverGroupSerializer})
    def create(self, request: Request) -> Response:
        write = ApproverGroupWriteSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        group = approver_group_create(
            actor=request.user,
            name=write.validated_data["name"],
            description=write.validated_data["description"],
            member_ids=write.validated_data["members"],
        )
        return Response(ApproverGroupSerializer(group).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ApproverGroupWriteSerializer, responses=ApproverGroupSerializer)
    def update(self, request: Request, pk: str) -> Response:
        group = approver_group_get(group_id=pk)
        write = ApproverGroupWriteSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        approver_group_update(
            actor=request.user,
            group=group,
            name=write.validated_data["name"],
            description=write.validated_data["description"],
            member_ids=write.validated_data["members"],
        )
        return Response(ApproverGroupSerializer(approver_group_get(group_id=pk)).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        approver_group_delete(actor=request.user, group=approver_group_get(group_id=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class DelegationViewSet(TenantViewSet):
    """Your delegations (given and received) that have not ended. DELETE cancels one you gave."""

    serializer_class = DelegationSerializer
    permission = None
    pagination_class = None

    def scoped_queryset(self) -> QuerySet[Delegation]:
        return delegation_list_for_user(user=self.request.user)

    @extend_schema(request=DelegationWriteSerializer, responses={201: DelegationSerializer})
    def create(self, request: Request) -> Response:
        write = DelegationWriteSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        delegator: User = request.user
        if write.validated_data["delegator"] not in (None, request.user.pk):
            self.access.require(Permission.ORGANIZATION_MANAGE)
            delegator = user_get(
                organization_id=self.access.organization_id, user_id=write.validated_data["delegator"]
            )
        try:
            delegate = user_get(
                organization_id=self.access.organization_id, user_id=write.validated_data["delegate"]
            )
        except NotFoundError:
            raise ServiceValidationError("Choose a person of your organization.", field="delegate") from None
        delegation = delegation_create(
            actor=request.user,
            delegator=delegator,
            delegate=delegate,
            starts_on=write.validated_data["starts_on"],
            ends_on=write.validated_data["ends_on"],
            note=write.validated_data["note"],
        )
        return Response(DelegationSerializer(delegation).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=DelegationSerializer)
    def destroy(self, request: Request, pk: str) -> Response:
        delegation = delegation_get_for_user(
            user=request.user, delegation_id=pk, manage_all=self.access.is_organization_administrator
        )
        delegation_cancel(actor=request.user, delegation=delegation)
        return Response(DelegationSerializer(delegation).data)
