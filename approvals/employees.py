"""Employees synced from the ERP, seen as users for routing ("the submitter's manager").

The sync room links ``Employee.user`` by email during pulls; until it has (or when an email changed
since), these selectors fall back to matching the email against the organization's active users.
"""

from __future__ import annotations

from django.db.models import Q

from masterdata.models import Employee
from organizations.models import Entity, User


def employee_user_get(*, employee: Employee) -> User | None:
    """The active user an employee is, by the stored link or else by email (case-insensitive)."""
    if employee.user_id is not None:
        user = User.objects.filter(
            pk=employee.user_id, organization_id=employee.organization_id, is_active=True
        ).first()
        if user is not None:
            return user
    email = employee.email.strip()
    if not email:
        return None
    return User.objects.filter(
        organization_id=employee.organization_id, email__iexact=email, is_active=True
    ).first()


def employee_for_user(*, entity: Entity, user: User) -> Employee | None:
    """The entity's active employee record of ``user`` (linked, or with the same email)."""
    return (
        Employee.objects.filter(entity=entity, active=True)
        .filter(Q(user=user) | Q(user__isnull=True, email__iexact=user.email))
        .order_by("-user_id", "id")
        .first()
    )


def employee_manager_user(*, entity: Entity, user: User) -> User | None:
    """The user who is ``user``'s manager in the ERP's employee records of ``entity``, if any."""
    employee = employee_for_user(entity=entity, user=user)
    if employee is None:
        return None
    manager = employee.manager
    if manager is None and employee.manager_external_id:
        manager = Employee.objects.filter(entity=entity, external_id=employee.manager_external_id).first()
    if manager is None or not manager.active:
        return None
    return employee_user_get(employee=manager)
