from __future__ import annotations

from celery import shared_task

from organizations.tenancy import tenant_task


@shared_task(
    name="organizations.user_invitation_send", autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
@tenant_task
def user_invitation_send(*, organization_id: int, user_id: int) -> None:
    from organizations.services import user_invitation_send as send

    send(user_id=user_id, organization_id=organization_id)
