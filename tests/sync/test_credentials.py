"""Credentials: encrypted at rest, rotated keys, rotated tokens stored at once, never shown or logged."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from erp_connectors.providers.sandbox.connector import SandboxConnector
from erp_connectors.records import Page, Stream
from erp_connectors.registry import register
from organizations.models import AuditEvent
from organizations.services import api_token_create
from organizations.tenancy import tenant_scope
from sync.credentials import CredentialsUnreadableError, credentials_decrypt
from sync.models import Integration, SyncRun, SyncRunStatus
from tests.factories import Tenant
from tests.sync.conftest import WEBHOOK_SECRET, integration_for
from tests.sync.helpers import refresh, sync_now


def test_credentials_are_encrypted_at_rest_and_kept_out_of_reprs(
    integration, tenant: Tenant, company
) -> None:
    stored = integration.credentials_encrypted
    assert company.api_key not in stored and WEBHOOK_SECRET not in stored
    assert credentials_decrypt(stored) == company.credentials(webhook_secret=WEBHOOK_SECRET)
    for shown in (repr(integration), str(integration)):
        assert company.api_key not in shown and stored not in shown


@pytest.mark.django_db
def test_rotate_credential_keys_reencrypts_every_organizations_integrations(
    settings, tenant: Tenant, other_tenant: Tenant, sandbox, capsys
) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CREDENTIAL_KEYS = [old_key]
    first = integration_for(tenant, sandbox.company_create("Rotate A"))
    second = integration_for(other_tenant, sandbox.company_create("Rotate B"))
    settings.CREDENTIAL_KEYS = [new_key, old_key]
    call_command("rotate_credential_keys")
    assert "Re-encrypted the credentials of 2 integration(s); 0 unreadable." in capsys.readouterr().out
    settings.CREDENTIAL_KEYS = [new_key]
    for integration, tenant_of in ((first, tenant), (second, other_tenant)):
        with tenant_scope(tenant_of.organization):
            token = Integration.objects.get(pk=integration.pk).credentials_encrypted
        assert credentials_decrypt(token)["api_key"].startswith("sbx_")
        settings.CREDENTIAL_KEYS = [old_key]
        with pytest.raises(CredentialsUnreadableError):
            credentials_decrypt(token)
        settings.CREDENTIAL_KEYS = [new_key]


@register
class RotatingSandboxConnector(SandboxConnector):
    """A Sandbox connector that, like an OAuth ERP, hands back a new refresh token as it works."""

    key = "rotating_sandbox"
    label = "Rotating Sandbox (tests)"
    stored_at_once: list[bool] = []

    def pull(self, stream: Stream, since) -> Iterator[Page]:
        number = int(self.credentials.get("refresh_token", "rt-0").split("-")[1]) + 1
        rotated = {**self.credentials, "refresh_token": f"rt-{number}"}
        self.on_credentials_rotated(rotated)  # type: ignore[misc]
        self.credentials = rotated
        with tenant_scope(self.settings["organization_id"]):
            held = Integration.objects.get(pk=self.settings["integration_id"]).credentials_encrypted
        type(self).stored_at_once.append(credentials_decrypt(held)["refresh_token"] == f"rt-{number}")
        yield from super().pull(stream, since)


@pytest.mark.django_db(transaction=True)
def test_rotated_tokens_are_stored_at_once_under_the_row_lock(integration, tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        Integration.objects.filter(pk=integration.pk).update(
            provider="rotating_sandbox",
            connector_settings={
                **integration.connector_settings,
                "organization_id": tenant.organization.pk,
                "integration_id": integration.pk,
            },
        )
    refresh(integration)
    RotatingSandboxConnector.stored_at_once.clear()
    run = sync_now(integration, streams=["vendors", "items"])
    assert run.status == SyncRunStatus.SUCCEEDED
    assert RotatingSandboxConnector.stored_at_once == [True, True]
    refresh(integration)
    assert credentials_decrypt(integration.credentials_encrypted)["refresh_token"] == "rt-2"


@pytest.mark.django_db
def test_credentials_never_appear_in_pages_api_responses_audit_or_logs(
    client: Client, integration, tenant: Tenant, sandbox, company, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # request lines too, though the product quiets them
    secrets = [company.api_key, WEBHOOK_SECRET]
    seen: list[str] = []
    client.force_login(tenant.admin)
    sync_now(integration, full=True)
    sandbox.knobs_set(company.id, denied_streams=["receipts"])
    sync_now(integration)
    sandbox.knobs_set(company.id, revoked=True)
    sync_now(integration)
    base = f"/settings/company/integrations/{integration.pk}"
    seen.append(
        client.post(f"{base}/reconnect/", {"api_key": "sbx_wrong"}, HTTP_HX_REQUEST="true").content.decode()
    )
    sandbox.knobs_reset(company.id)
    seen.append(
        client.post(
            f"{base}/reconnect/", {"api_key": company.api_key}, HTTP_HX_REQUEST="true"
        ).content.decode()
    )
    sync_now(integration)
    for url in (
        "/settings/company/integrations/",
        f"{base}/",
        "/sync/history/",
        "/sync/history/export.csv",
        "/",
        "/vendors/",
    ):
        seen.append(client.get(url).content.decode())
    _, key = api_token_create(user=tenant.admin, name="t")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    entity_base = f"/api/v1/entities/{tenant.entity.pk}"
    seen.append(api.get(f"{entity_base}/integrations/").content.decode())
    seen.append(api.post(f"{entity_base}/integrations/{integration.pk}/test/").content.decode())
    seen.append(api.get(f"{entity_base}/sync-runs/").content.decode())
    seen.append(
        api.post(
            f"{entity_base}/integrations/{integration.pk}/reconnect/",
            {"credentials": {"api_key": company.api_key}},
            format="json",
        ).content.decode()
    )
    with tenant_scope(tenant.organization):
        seen.append(
            json.dumps(list(AuditEvent.objects.values("before", "after", "metadata", "target_label")))
        )
        seen.append(json.dumps(list(SyncRun.objects.values("error"))))
        assert AuditEvent.objects.filter(action="integration.disconnected").count() == 1
    seen.append(caplog.text)
    assert "refused the credentials" in seen[0]  # the pages and logs did talk about the failure...
    assert len(caplog.records) > 20
    for secret in secrets:  # ...but never with a secret
        assert all(secret not in text for text in seen), secret
