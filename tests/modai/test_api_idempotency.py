"""``Idempotency-Key`` on creating API requests: a resent POST gets the first answer and runs once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.utils import timezone
from rest_framework.test import APIClient

from invoices.models import Document, DocumentArrival
from modai.api.idempotency import idempotency_finish
from organizations.models import ApiIdempotencyKey, User
from organizations.services import api_token_create
from organizations.tenancy import tenant_scope
from tests.factories import Tenant
from tests.invoices.pdfs import invoice_pdf

pytestmark = pytest.mark.django_db


def token_client(user: User) -> APIClient:
    _, token = api_token_create(user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def invite(client: APIClient, email: str, key: str | None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(
        "/api/v1/users/",
        {"email": email, "full_name": "Nadia Rahman", "organization_role": "member", "entity_roles": {}},
        format="json",
        **headers,
    )


def users_named(tenant: Tenant, email: str) -> int:
    return User.objects.filter(organization=tenant.organization, email=email).count()


def test_a_resent_create_gets_the_first_answer_and_runs_once(tenant: Tenant, other_tenant: Tenant) -> None:
    api = token_client(tenant.admin)
    first = invite(api, "nadia@acme.test", "invite-nadia-1")
    again = invite(api, "nadia@acme.test", "invite-nadia-1")

    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert users_named(tenant, "nadia@acme.test") == 1
    # Without the key the same request runs again, and is refused as a duplicate by the service.
    assert invite(api, "nadia@acme.test", None).status_code == 400

    # The key belongs to its user: the other organization's administrator runs their own request.
    outsider = token_client(other_tenant.admin)
    theirs = invite(outsider, "nadia@globex.test", "invite-nadia-1")
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs
    assert users_named(other_tenant, "nadia@globex.test") == 1
    assert users_named(other_tenant, "nadia@acme.test") == 0
    with tenant_scope(other_tenant.organization):
        assert list(ApiIdempotencyKey.objects.values_list("user_id", flat=True)) == [other_tenant.admin.pk]


def test_the_same_key_with_a_different_request_is_refused_and_changes_nothing(tenant: Tenant) -> None:
    api = token_client(tenant.admin)
    assert invite(api, "omar@acme.test", "key-2").status_code == 201
    refused = invite(api, "someone.else@acme.test", "key-2")
    assert refused.status_code == 422
    assert refused.json() == {"detail": "This Idempotency-Key was already used for a different request."}
    assert users_named(tenant, "someone.else@acme.test") == 0


def test_a_repeat_while_the_first_still_runs_is_asked_to_wait_and_an_abandoned_one_runs(
    tenant: Tenant,
) -> None:
    api = token_client(tenant.admin)
    assert invite(api, "ivy@acme.test", "key-3").status_code == 201
    with tenant_scope(tenant.organization):
        record = ApiIdempotencyKey.objects.get(key="key-3")
        ApiIdempotencyKey.objects.filter(pk=record.pk).update(status_code=None, body=b"", completed_at=None)
    busy = invite(api, "ivy@acme.test", "key-3")
    assert busy.status_code == 409
    assert busy.json()["detail"].startswith("A request with this Idempotency-Key is still being processed")

    # A first attempt that died long ago without an answer did not finish: the repeat runs.
    with tenant_scope(tenant.organization):
        ApiIdempotencyKey.objects.filter(pk=record.pk).update(
            created_at=timezone.now() - timedelta(minutes=6)
        )
    rerun = invite(api, "ivy@acme.test", "key-3")
    assert rerun.status_code == 400  # it ran: the user exists already, so the service refuses
    assert "Idempotent-Replayed" not in rerun
    assert users_named(tenant, "ivy@acme.test") == 1


def test_server_errors_are_not_kept_so_the_client_may_retry(tenant: Tenant) -> None:
    api = token_client(tenant.admin)
    assert invite(api, "lee@acme.test", "key-4").status_code == 201
    with tenant_scope(tenant.organization):
        record = ApiIdempotencyKey.objects.get(key="key-4")
        ApiIdempotencyKey.objects.filter(pk=record.pk).update(status_code=None)
        idempotency_finish(record=record, response=HttpResponse(status=503))
        assert not ApiIdempotencyKey.objects.filter(pk=record.pk).exists()


def test_keys_are_checked_and_refused_where_the_answer_holds_a_secret(tenant: Tenant) -> None:
    api = token_client(tenant.admin)
    too_long = invite(api, "max@acme.test", "k" * 256)
    assert too_long.status_code == 400
    assert too_long.json() == {"Idempotency-Key": ["Must be 1 to 255 printable ASCII characters."]}
    assert users_named(tenant, "max@acme.test") == 0

    token = api.post("/api/v1/tokens/", {"name": "ci"}, format="json", HTTP_IDEMPOTENCY_KEY="token-1")
    assert token.status_code == 400
    assert token.json() == {
        "Idempotency-Key": ["Not supported here: the answer holds a secret that is shown once."]
    }
    with tenant_scope(tenant.organization):
        assert not ApiIdempotencyKey.objects.exists()


def test_a_resent_upload_stores_one_arrival(
    tenant: Tenant, other_tenant: Tenant, django_capture_on_commit_callbacks
) -> None:
    api = token_client(tenant.user("ap_specialist"))
    url = f"/api/v1/entities/{tenant.entity.pk}/documents/"
    data = invoice_pdf(number="INV-77")

    def upload(name: str):
        return api.post(
            url,
            {"file": SimpleUploadedFile(name, data, content_type="application/pdf")},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="upload-77",
        )

    with django_capture_on_commit_callbacks(execute=True):
        first = upload("inv-77.pdf")
    again = upload("inv-77.pdf")
    assert first.status_code == 201 and again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    with tenant_scope(tenant.organization):
        assert Document.objects.count() == 1
        assert DocumentArrival.objects.count() == 1
    # A different file under the same key is a different request.
    assert upload("renamed.pdf").status_code == 422
    with tenant_scope(other_tenant.organization):
        assert not Document.objects.exists() and not ApiIdempotencyKey.objects.exists()
