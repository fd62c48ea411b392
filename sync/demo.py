"""The demo's ERP: each demo entity connected to its own company on the bundled Sandbox ERP.

The Sandbox's data file lives in the data folder (``var/sandbox.sqlite3``); `make run` serves it on
``SANDBOX_PORT``. Companies are created here, directly in that file, so seeding works before the server
runs; the first sync is queued at once and runs as soon as the worker starts. Idempotent: an entity
that already has an integration is left alone.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.urls import reverse

from erp_connectors.providers.sandbox.changes import record_update
from erp_connectors.providers.sandbox.store import Store
from organizations.models import Entity, User
from sync.models import Integration, SyncTrigger
from sync.services.integrations import integration_connect
from sync.services.runs import sync_run_request

# entity code -> Sandbox scale and seed
DEMO_COMPANIES = {"US01": ("medium", 1), "EU01": ("small", 2)}


def sandbox_store() -> Store:
    path = Path(settings.DATA_DIR) / "sandbox.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    return Store(str(path))


def demo_integrations_seed(*, entities: dict[str, Entity], people: list[User]) -> list[str]:
    """Connect the demo entities to Sandbox companies; return a line per entity for the printout."""
    store: Store | None = None
    lines = []
    for code, (scale, seed) in DEMO_COMPANIES.items():
        entity = entities.get(code)
        if entity is None:
            continue
        if Integration.objects.filter(entity=entity).exists():
            lines.append(f"{entity.name}: connected to the Sandbox ERP at {settings.SANDBOX_URL}")
            continue
        store = store or sandbox_store()
        api_key = f"sbx_demo_{code.lower()}_{secrets.token_urlsafe(12)}"
        company_id, _ = store.company_create(
            name=f"{entity.name} (Sandbox)", scale=scale, seed=seed, api_key=api_key
        )
        webhook_secret = secrets.token_urlsafe(24)
        integration = integration_connect(
            actor=None,
            entity=entity,
            provider="sandbox",
            credentials={
                "base_url": settings.SANDBOX_URL,
                "api_key": api_key,
                "webhook_secret": webhook_secret,
            },
            verify=False,
            start_sync=False,
        )
        webhook_path = reverse(
            "erp_webhook",
            kwargs={"organization_id": entity.organization_id, "webhook_id": integration.webhook_id},
        )
        store.company_webhook_set(company_id, settings.PUBLIC_BASE_URL + webhook_path, webhook_secret)
        # A few ERP employees are the demo's people, so approval routing and the People page link them.
        for number, person in enumerate(people, start=1):
            record_update(
                store, lambda *_: None, company_id, "employees", f"E-{number:05d}", {"email": person.email}
            )
        sync_run_request(integration=integration, trigger=SyncTrigger.CONNECT, full=True)
        lines.append(f"{entity.name}: connected to a {scale} Sandbox ERP company at {settings.SANDBOX_URL}")
    return lines


class SandboxPaymentError(Exception):
    """The document cannot be paid in the demo's Sandbox (not posted there, already settled...)."""


def sandbox_document_settle(
    *, invoice_number: str, amount: str | None = None, void: bool = False
) -> list[str]:
    """Pay (``amount``, default the rest), apply or void the posted document of an invoice in the
    demo's Sandbox ERP, as someone in the ERP would, then pull payment status at once.

    Finds the invoice by its number or id across organizations (each in its own tenant scope).
    Returns lines to print. Used by ``manage.py sandbox_pay``.
    """
    from django.db.models import Q

    from erp_connectors.providers.sandbox.changes import ChangeError, document_settle
    from invoices.models import Invoice
    from organizations.models import Organization
    from organizations.tenancy import tenant_scope
    from sync.credentials import credentials_decrypt
    from sync.models import PushDelivery
    from sync.payments import payment_status_pull

    matches = Q(invoice_number=invoice_number) | Q(erp_number=invoice_number)
    if invoice_number.isdigit():
        matches |= Q(pk=int(invoice_number))
    for organization_id in Organization.objects.order_by("id").values_list("id", flat=True):
        with tenant_scope(organization_id):
            invoice = Invoice.objects.filter(matches).exclude(erp_external_id="").order_by("-id").first()
            if invoice is None:
                continue
            delivery = PushDelivery.objects.select_related("integration").get(invoice=invoice)
            integration = delivery.integration
            if integration is None or integration.provider != "sandbox":
                raise SandboxPaymentError(f"{invoice} was not posted to a Sandbox ERP.")
            api_key = credentials_decrypt(integration.credentials_encrypted).get("api_key", "")
            store = sandbox_store()
            company = store.company_get_by_api_key(api_key)
            if company is None:
                raise SandboxPaymentError(
                    f"The demo Sandbox ({store.path}) does not hold {invoice}'s company."
                )
            try:
                document = document_settle(
                    store, company.id, invoice.erp_external_id, amount=amount, void=void
                )
            except ChangeError as error:
                raise SandboxPaymentError(f"The Sandbox refused: {error}") from None
            summary = payment_status_pull(integration=integration)
            invoice.refresh_from_db()
            return [
                f"{invoice} ({invoice.erp_external_id}) in the Sandbox: {document['state']}, "
                f"paid {document['amount_paid']} of {document['total']}",
                f"payment status pulled: {summary.updated} invoice(s) changed; {invoice} is now "
                f"{invoice.get_status_display()}",
            ]
    raise SandboxPaymentError(f"No posted invoice {invoice_number!r} was found.")
