"""Re-encrypt every integration's credentials with the newest key of CREDENTIAL_KEYS.

Rotation: put a new key first in CREDENTIAL_KEYS (keep the old ones after it), restart, run this
command, then drop the old keys. Walks organizations one at a time inside their tenant scope; each
integration is rewritten under its row lock, so a token the ERP rotates meanwhile is not lost.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from organizations.models import Organization
from organizations.tenancy import tenant_scope
from sync.credentials import CredentialsUnreadableError, credentials_reencrypt
from sync.models import Integration


class Command(BaseCommand):
    help = "Re-encrypt stored ERP credentials with the newest key in CREDENTIAL_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        rotated = failed = 0
        for organization_id in Organization.objects.order_by("id").values_list("id", flat=True):
            with tenant_scope(organization_id):
                for integration_id in Integration.objects.order_by("id").values_list("id", flat=True):
                    try:
                        with transaction.atomic():
                            integration = Integration.objects.select_for_update().get(pk=integration_id)
                            integration.credentials_encrypted = credentials_reencrypt(
                                integration.credentials_encrypted
                            )
                            integration.save(update_fields=["credentials_encrypted"])
                        rotated += 1
                    except CredentialsUnreadableError:
                        failed += 1
                        self.stderr.write(
                            f"integration {integration_id}: no configured key decrypts its credentials"
                        )
        self.stdout.write(f"Re-encrypted the credentials of {rotated} integration(s); {failed} unreadable.")
        if failed:
            raise SystemExit(1)
