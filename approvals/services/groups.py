"""Approver groups: named sets of people that policy steps ask."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction

from approvals.models import ApprovalPolicyVersion, ApproverGroup, ApproverGroupMember
from approvals.policy import policy_parse
from organizations.audit import audit_record
from organizations.errors import ServiceValidationError
from organizations.models import Entity, User
from organizations.tenancy import require_organization_id


def _members_resolve(member_ids: Iterable[int]) -> list[User]:
    wanted = {int(member_id) for member_id in member_ids}
    users = list(
        User.objects.filter(pk__in=wanted, organization_id=require_organization_id()).order_by("full_name")
    )
    if len(users) != len(wanted):
        raise ServiceValidationError("A member is not a user of this organization.", field="members")
    return users


def _name_clean(name: str) -> str:
    name = name.strip()
    if not name:
        raise ServiceValidationError("Give the group a name.", field="name")
    if len(name) > 100:
        raise ServiceValidationError("At most 100 characters.", field="name")
    return name


def _member_names(group: ApproverGroup) -> list[str]:
    return sorted(
        str(member.user) for member in ApproverGroupMember.objects.filter(group=group).select_related("user")
    )


def approver_group_create(
    *, actor: User | None, name: str, description: str = "", member_ids: Iterable[int] = ()
) -> ApproverGroup:
    name = _name_clean(name)
    members = _members_resolve(member_ids)
    try:
        with transaction.atomic():
            group = ApproverGroup.objects.create(name=name, description=description.strip()[:300])
            ApproverGroupMember.objects.bulk_create(
                ApproverGroupMember(group=group, user=user) for user in members
            )
            audit_record(
                action="approver_group.created",
                actor=actor,
                target=group,
                after={"name": group.name, "members": _member_names(group)},
            )
    except IntegrityError:
        raise ServiceValidationError(f"A group named {name} already exists.", field="name") from None
    return group


def approver_group_update(
    *, actor: User, group: ApproverGroup, name: str, description: str, member_ids: Iterable[int]
) -> ApproverGroup:
    name = _name_clean(name)
    members = _members_resolve(member_ids)
    try:
        with transaction.atomic():
            locked = ApproverGroup.objects.select_for_update().get(pk=group.pk)
            before = {
                "name": locked.name,
                "description": locked.description,
                "members": _member_names(locked),
            }
            locked.name, locked.description = name, description.strip()[:300]
            locked.save(update_fields=["name", "description"])
            keep = {user.pk for user in members}
            ApproverGroupMember.objects.filter(group=locked).exclude(user_id__in=keep).delete()
            existing = set(ApproverGroupMember.objects.filter(group=locked).values_list("user_id", flat=True))
            ApproverGroupMember.objects.bulk_create(
                ApproverGroupMember(group=locked, user=user) for user in members if user.pk not in existing
            )
            after = {"name": locked.name, "description": locked.description, "members": _member_names(locked)}
            if before != after:
                audit_record(
                    action="approver_group.updated",
                    actor=actor,
                    target=locked,
                    before={key: value for key, value in before.items() if after[key] != value},
                    after={key: value for key, value in after.items() if before[key] != value},
                )
    except IntegrityError:
        raise ServiceValidationError(f"A group named {name} already exists.", field="name") from None
    group.name, group.description = locked.name, locked.description
    return group


def approver_group_used_by(*, group: ApproverGroup) -> list[Entity]:
    """Entities whose current policy asks this group."""
    latest: dict[int, ApprovalPolicyVersion] = {}
    for version in ApprovalPolicyVersion.objects.select_related("entity").order_by("entity_id", "-number"):
        latest.setdefault(version.entity_id, version)
    return [
        version.entity
        for version in latest.values()
        if str(group.pk) in policy_parse(version.definition).referenced("group")
    ]


def approver_group_delete(*, actor: User, group: ApproverGroup) -> None:
    using = approver_group_used_by(group=group)
    if using:
        names = ", ".join(entity.name for entity in using)
        raise ServiceValidationError(
            f"The approval policy of {names} asks this group; change the policy before deleting it."
        )
    with transaction.atomic():
        audit_record(
            action="approver_group.deleted",
            actor=actor,
            target=group,
            before={"name": group.name, "members": _member_names(group)},
        )
        group.delete()
