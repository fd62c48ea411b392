"""API endpoints: the signed-in user, entities, users and roles, API tokens."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from modai.api.base import TenantAPIView, TenantReadOnlyViewSet, TenantViewSet
from organizations.models import ApiToken, Entity, EntityRoleName, OrganizationRole, User
from organizations.permissions import Permission
from organizations.selectors import api_token_list, entity_list_for_user, user_get, user_list
from organizations.services import api_token_create, api_token_revoke, user_invite, user_roles_update


class EntitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Entity
        fields = ["id", "name", "code", "legal_name", "country", "currency"]


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    organization = serializers.DictField()
    organization_role = serializers.CharField()
    entities = serializers.ListField(child=serializers.DictField())


class MeView(TenantAPIView):
    permission = None

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        user = request.user
        entities = []
        for entity in Entity.objects.filter(id__in=self.access.all_entity_ids).order_by("name"):
            entities.append(
                {
                    "id": entity.pk,
                    "name": entity.name,
                    "code": entity.code,
                    "roles": sorted(self.access.entity_roles.get(entity.pk, ())),
                    "permissions": sorted(p.value for p in self.access.entity_permissions(entity.pk)),
                }
            )
        return Response(
            {
                "id": user.pk,
                "email": user.email,
                "full_name": user.full_name,
                "organization": {"id": user.organization_id, "name": user.organization.name},
                "organization_role": self.access.organization_role,
                "entities": entities,
            }
        )


class EntityViewSet(TenantReadOnlyViewSet):
    serializer_class = EntitySerializer
    permission = None  # listing shows only the entities the user can view

    def scoped_queryset(self) -> QuerySet[Entity]:
        return entity_list_for_user(access=self.access)


class UserSerializer(serializers.ModelSerializer):
    organization_role = serializers.SerializerMethodField()
    entity_roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "is_active", "organization_role", "entity_roles"]

    def get_organization_role(self, user: User) -> str:
        return self.context["roles"].get(user.pk, ("", {}))[0]

    def get_entity_roles(self, user: User) -> dict[str, list[str]]:
        return {
            str(key): sorted(value) for key, value in self.context["roles"].get(user.pk, ("", {}))[1].items()
        }


class UserWriteSerializer(serializers.Serializer):
    email = serializers.EmailField(required=False)
    full_name = serializers.CharField(required=False, max_length=200)
    organization_role = serializers.ChoiceField(choices=OrganizationRole.choices)
    entity_roles = serializers.DictField(
        child=serializers.ListField(child=serializers.ChoiceField(choices=EntityRoleName.choices)),
        help_text="entity id -> list of roles",
    )

    def entity_role_sets(self) -> dict[int, set[str]]:
        result: dict[int, set[str]] = {}
        for key, roles in self.validated_data["entity_roles"].items():
            if not str(key).isdigit():
                raise serializers.ValidationError({"entity_roles": ["Keys must be entity ids."]})
            result[int(key)] = set(roles)
        return result


class UserViewSet(TenantViewSet):
    """Users and roles of the organization (organization Administrators only)."""

    serializer_class = UserSerializer
    permission = Permission.ORGANIZATION_MANAGE

    def scoped_queryset(self) -> QuerySet[User]:
        return User.objects.filter(organization_id=self.access.organization_id).order_by("id")

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if hasattr(self, "access"):
            context["roles"] = {
                row.user.pk: (row.organization_role, row.entity_roles)
                for row in user_list(organization_id=self.access.organization_id)
            }
        return context

    @extend_schema(request=UserWriteSerializer, responses={201: UserSerializer})
    def create(self, request: Request) -> Response:
        write = UserWriteSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        if not write.validated_data.get("email") or not write.validated_data.get("full_name"):
            raise serializers.ValidationError({"email": ["Email and full_name are required."]})
        user = user_invite(
            actor=request.user,
            email=write.validated_data["email"],
            full_name=write.validated_data["full_name"],
            organization_role=write.validated_data["organization_role"],
            entity_roles=write.entity_role_sets(),
        )
        return Response(self.get_serializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UserWriteSerializer, responses=UserSerializer)
    @action(detail=True, methods=["put"], url_path="roles")
    def roles(self, request: Request, pk: str) -> Response:
        user = user_get(organization_id=self.access.organization_id, user_id=pk)
        write = UserWriteSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        user_roles_update(
            actor=request.user,
            user=user,
            organization_role=write.validated_data["organization_role"],
            entity_roles=write.entity_role_sets(),
        )
        return Response(self.get_serializer(user).data)


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    key = serializers.CharField(read_only=True, help_text="Shown once; store it now.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]


class ApiTokenViewSet(TenantViewSet):
    """The signed-in user's own API tokens."""

    serializer_class = ApiTokenSerializer
    permission = None
    idempotency_supported = False  # the answer carries the new key, which is never stored

    def scoped_queryset(self) -> QuerySet[ApiToken]:
        return api_token_list(user=self.request.user)

    @extend_schema(request=ApiTokenSerializer, responses={201: ApiTokenCreatedSerializer})
    def create(self, request: Request) -> Response:
        serializer = ApiTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, key = api_token_create(user=request.user, name=serializer.validated_data["name"])
        data = ApiTokenSerializer(token).data | {"key": key}
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=ApiTokenSerializer)
    def destroy(self, request: Request, pk: str) -> Response:
        token = self.get_object()
        api_token_revoke(actor=request.user, token=token)
        return Response(ApiTokenSerializer(token).data)
