"""The product end to end against a live Tryton: connect an entity, pull the seven data types, take in an
invoice for a Tryton purchase, match it three-way against the Tryton receipt, approve it, post it into
Tryton exactly once, pay it there and see it Paid here; then incremental syncs of supplier changes.

They run in file order on a Tryton of their own (``tryton_pristine``, a copy of the database as seeded):
the other Tryton tests bill the seeded purchases and add suppliers on the session's server, while these
assert exact counts and values against the seed. Timings go to the "Tryton timings" summary and to
``var/tryton/timings.txt``.
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

import sync.push
from approvals.models import ApprovalAssignment, Decision
from approvals.services.decisions import approval_decide
from approvals.services.submit import approval_submit
from invoices.models import Invoice, InvoiceStatus, MatchStatus
from masterdata.models import (
    DimensionType,
    DimensionValue,
    Employee,
    GLAccount,
    Item,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    Vendor,
)
from organizations.services import api_token_create
from organizations.tenancy import tenant_scope
from sync.credentials import credentials_decrypt
from sync.models import (
    Integration,
    IntegrationStatus,
    PushAttemptOutcome,
    PushDelivery,
    PushStatus,
    StreamStatus,
    SyncRun,
    SyncRunStatus,
    SyncTrigger,
)
from sync.payments import payment_status_pulls_dispatch
from sync.push import push_deliveries_sweep, push_delivery_send
from sync.services.runs import integrations_dispatch
from tests.factories import Tenant
from tests.invoices.pdfs import PdfInvoice, PdfLine, invoice_pdf
from tests.tryton.erp_actions import invoice_pay, party_deactivate, party_rename
from tests.tryton.fixtures import TIMINGS, PristineTryton, timings_write
from tests.tryton.seed import TrytonSeed

pytestmark = [pytest.mark.tryton, pytest.mark.django_db]

STREAMS = ("vendors", "purchase_orders", "accounts", "employees", "items", "receipts", "dimensions")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def token_client(user) -> APIClient:
    _, key = api_token_create(user=user, name="e2e")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def connect(tenant: Tenant, live: PristineTryton, run_on_commit) -> tuple[Integration, SyncRun, float]:
    """Connect the tenant's entity A to Tryton as an administrator does on the Integrations page's API:
    the credentials are checked live and stored encrypted, and the first (full) sync runs."""
    api = token_client(tenant.admin)
    started = time.perf_counter()
    with run_on_commit(execute=True):
        response = api.post(
            f"/api/v1/entities/{tenant.entity.pk}/integrations/",
            {"provider": "tryton", "credentials": live.credentials},
            format="json",
        )
    elapsed = time.perf_counter() - started
    assert response.status_code == 201, response.content
    assert "credentials" not in response.json()
    with tenant_scope(tenant.organization):
        integration = Integration.objects.get(pk=response.json()["id"])
        run = SyncRun.objects.get(integration=integration)
    return integration, run, elapsed


def stream_results(run: SyncRun) -> dict[str, tuple[str, int, int, int, int, int, int]]:
    return {
        result.stream: (
            result.status,
            result.fetched,
            result.created,
            result.updated,
            result.unchanged,
            result.deactivated,
            result.failed,
        )
        for result in run.stream_results.all()
    }


def other_organization_sees_nothing(other: Tenant, tenant: Tenant) -> None:
    with tenant_scope(other.organization):
        for model in (
            Integration,
            SyncRun,
            Vendor,
            PurchaseOrder,
            PurchaseOrderLine,
            GLAccount,
            Employee,
            Item,
            Receipt,
            ReceiptLine,
            DimensionType,
            DimensionValue,
            Invoice,
            PushDelivery,
        ):
            assert not model.objects.exists(), model.__name__
    outsider = token_client(other.admin)
    base = f"/api/v1/entities/{tenant.entity.pk}"
    for path in ("integrations/", "vendors/", "purchase-orders/", "receipts/", "sync-runs/"):
        assert outsider.get(f"{base}/{path}").status_code == 404, path


# -- 1. connect and pull the seven data types ---------------------------------------------------------


def test_connecting_an_entity_pulls_all_seven_data_types_as_seeded(
    tryton_pristine: PristineTryton, tenant: Tenant, other_tenant: Tenant, django_capture_on_commit_callbacks
) -> None:
    seed = tryton_pristine.seed
    integration, run, elapsed = connect(tenant, tryton_pristine, django_capture_on_commit_callbacks)
    TIMINGS["product e2e: connect and full pull"] = f"{elapsed:.2f} s"

    account_count = len(seed.accounts) + 1  # and the chart's unnumbered root
    with tenant_scope(tenant.organization):
        integration.refresh_from_db()
        run.refresh_from_db()
        assert (run.trigger, run.full, run.status, run.error) == (
            SyncTrigger.CONNECT,
            True,
            SyncRunStatus.SUCCEEDED,
            "",
        )
        succeeded = StreamStatus.SUCCEEDED
        assert stream_results(run) == {
            "vendors": (succeeded, 4, 4, 0, 0, 0, 0),
            "purchase_orders": (succeeded, 3, 3, 0, 0, 0, 0),
            "accounts": (succeeded, account_count, account_count, 0, 0, 0, 0),
            "employees": (succeeded, 3, 3, 0, 0, 0, 0),
            "items": (succeeded, 4, 4, 0, 0, 0, 0),
            "receipts": (succeeded, 2, 2, 0, 0, 0, 0),
            "dimensions": (succeeded, 4, 4, 0, 0, 0, 0),
        }
        assert integration.status == IntegrationStatus.CONNECTED
        assert integration.stream_access == dict.fromkeys(STREAMS, "readable")
        # Stored encrypted: the ciphertext does not show the password, the configured keys read it back.
        assert tryton_pristine.credentials["password"] not in integration.credentials_encrypted
        assert credentials_decrypt(integration.credentials_encrypted) == tryton_pristine.credentials
        masterdata_assert_as_seeded(tenant, seed)
    other_organization_sees_nothing(other_tenant, tenant)


def masterdata_assert_as_seeded(tenant: Tenant, seed: TrytonSeed) -> None:
    entity = tenant.entity
    suppliers = seed.suppliers
    assert {
        vendor.external_id: (
            vendor.name,
            vendor.code,
            vendor.active,
            vendor.tax_id,
            vendor.bank_account,
            vendor.email,
            vendor.payment_terms,
            vendor.city,
        )
        for vendor in Vendor.objects.filter(entity=entity)
    } == {
        str(suppliers["SUP-001"]): (
            "Paper & Co Ltd",
            "SUP-001",
            True,
            "BE0897290877",
            "DE89370400440532013000",
            "ap@paperco.example",
            "Net 30",
            "Boston",
        ),
        str(suppliers["SUP-002"]): (
            "Consulting Partners LLC",
            "SUP-002",
            True,
            "04-2103594",
            "",
            "billing@consulting.example",
            "",
            "San Francisco",
        ),
        str(suppliers["SUP-003"]): ("Spare Parts GmbH", "SUP-003", True, "", "", "", "", ""),
        str(suppliers["SUP-004"]): ("Dormant Supplies", "SUP-004", False, "", "", "", "", ""),
    }

    purchases, lines, products, accounts = seed.purchases, seed.purchase_lines, seed.products, seed.accounts
    assert {
        order.external_id: (order.number, order.vendor.external_id, order.status, order.currency, order.total)
        for order in PurchaseOrder.objects.filter(entity=entity).select_related("vendor")
    } == {
        str(purchases["paper"]): (
            str(purchases["paper"]),
            str(suppliers["SUP-001"]),
            "open",
            "USD",
            Decimal("635.00"),
        ),
        str(purchases["consulting"]): (
            str(purchases["consulting"]),
            str(suppliers["SUP-002"]),
            "open",
            "USD",
            Decimal("900.00"),
        ),
        str(purchases["toner"]): (
            str(purchases["toner"]),
            str(suppliers["SUP-001"]),
            "open",
            "USD",
            Decimal("330.00"),
        ),
    }
    analytic = seed.analytic_accounts
    assert {
        line.external_id: (
            line.purchase_order.external_id,
            line.line_number,
            line.quantity_ordered,
            line.quantity_received,
            line.quantity_billed,
            line.unit_price,
            line.item_external_id,
            line.account_external_id,
            line.dimensions,
        )
        for line in PurchaseOrderLine.objects.filter(entity=entity).select_related("purchase_order")
    } == {
        str(lines["paper"][0]): (
            str(purchases["paper"]),
            1,
            Decimal("10"),
            Decimal("8"),
            Decimal("0"),
            Decimal("25"),
            str(products["PAPER-A4"]),
            str(accounts["5.1.1"]),
            {"CC": str(analytic["CC100"]), "PRJ": str(analytic["PRJ-1"])},
        ),
        str(lines["paper"][1]): (
            str(purchases["paper"]),
            2,
            Decimal("4"),
            Decimal("0"),
            Decimal("0"),
            Decimal("90"),
            str(products["SRV-CONS"]),
            str(accounts["5.1.3"]),
            {},
        ),
        str(lines["consulting"][0]): (
            str(purchases["consulting"]),
            1,
            Decimal("10"),
            Decimal("0"),
            Decimal("0"),
            Decimal("90"),
            str(products["SRV-CONS"]),
            str(accounts["5.1.3"]),
            {},
        ),
        str(lines["toner"][0]): (
            str(purchases["toner"]),
            1,
            Decimal("5"),
            Decimal("5"),
            Decimal("0"),
            Decimal("60"),
            str(products["TONER-K"]),
            str(accounts["5.1.1"]),
            {"CC": str(analytic["CC200"])},
        ),
    }

    held_accounts = {account.number: account for account in GLAccount.objects.filter(entity=entity)}
    assert len(held_accounts) == len(accounts) + 1
    assert set(held_accounts) == {*accounts, ""}
    for number, (name, account_type, parent, postable) in {
        "2.1.1": ("Trade Payables", "liability", "2.1.0", True),
        "5.1.0": ("Expenses Classified By Nature", "expense", "5.0.0", False),
        "5.1.1": ("Merchandise, Material, Parts And Supplies", "expense", "5.1.0", True),
        "5.1.3": ("Services", "expense", "5.1.0", True),
    }.items():
        account = held_accounts[number]
        assert (
            account.external_id,
            account.name,
            account.account_type,
            account.postable,
            account.active,
        ) == (
            str(accounts[number]),
            name,
            account_type,
            postable,
            True,
        )
        assert account.parent.number == parent
    assert (
        not GLAccount.objects.filter(entity=entity, parent__isnull=True)
        .exclude(parent_external_id="")
        .exists()
    )

    employees = seed.employees
    assert {
        employee.external_id: (
            employee.name,
            employee.email,
            employee.manager.external_id if employee.manager else "",
            employee.active,
        )
        for employee in Employee.objects.filter(entity=entity).select_related("manager")
    } == {
        str(employees["Maria Manager"]): ("Maria Manager", "maria@modai-test.example", "", True),
        str(employees["Jane Approver"]): (
            "Jane Approver",
            "jane@modai-test.example",
            str(employees["Maria Manager"]),
            True,
        ),
        str(employees["Old Timer"]): ("Old Timer", "", "", False),
    }

    assert {
        item.external_id: (
            item.code,
            item.name,
            item.unit_price,
            item.expense_account_external_id,
            item.active,
        )
        for item in Item.objects.filter(entity=entity)
    } == {
        str(products["PAPER-A4"]): ("PAPER-A4", "A4 paper box", Decimal("25"), str(accounts["5.1.1"]), True),
        str(products["TONER-K"]): ("TONER-K", "Black toner", Decimal("60"), str(accounts["5.1.1"]), True),
        str(products["SRV-CONS"]): (
            "SRV-CONS",
            "Consulting hour",
            Decimal("90"),
            str(accounts["5.1.3"]),
            True,
        ),
        str(products["OLD-PEN"]): ("OLD-PEN", "Fountain pen", Decimal("5"), str(accounts["5.1.1"]), False),
    }

    shipments = seed.shipments
    assert {
        receipt.external_id: (receipt.number, receipt.purchase_order.external_id, receipt.receipt_date)
        for receipt in Receipt.objects.filter(entity=entity).select_related("purchase_order")
    } == {
        str(shipments["paper"]): (str(shipments["paper"]), str(purchases["paper"]), seed.today),
        str(shipments["toner"]): (str(shipments["toner"]), str(purchases["toner"]), seed.today),
    }
    assert sorted(
        (line.receipt.external_id, line.purchase_order_line.external_id, line.item_external_id, line.quantity)
        for line in ReceiptLine.objects.filter(entity=entity).select_related("receipt", "purchase_order_line")
    ) == sorted(
        [
            (str(shipments["paper"]), str(lines["paper"][0]), str(products["PAPER-A4"]), Decimal("8")),
            (str(shipments["toner"]), str(lines["toner"][0]), str(products["TONER-K"]), Decimal("5")),
        ]
    )

    assert sorted(DimensionType.objects.filter(entity=entity).values_list("code", "name")) == [
        ("CC", "Cost centers"),
        ("PRJ", "Projects"),
    ]
    assert {
        value.external_id: (value.dimension_type.code, value.code, value.name, value.active)
        for value in DimensionValue.objects.filter(entity=entity).select_related("dimension_type")
    } == {
        str(analytic["CC100"]): ("CC", "CC100", "Administration", True),
        str(analytic["CC200"]): ("CC", "CC200", "Warehouse", True),
        str(analytic["CC900"]): ("CC", "CC900", "Closed site", False),
        str(analytic["PRJ-1"]): ("PRJ", "PRJ-1", "ERP rollout", True),
    }


# -- 2. an invoice for a Tryton purchase, from intake to Paid -----------------------------------------


def paper_invoice_pdf(seed: TrytonSeed, number: str) -> bytes:
    """Paper & Co's invoice for the 8 A4 boxes received on delivery note DN-8841, with 10 % tax."""
    return invoice_pdf(
        PdfInvoice(
            vendor="Paper & Co Ltd",
            number=number,
            date=seed.today.isoformat(),
            due=(seed.today + dt.timedelta(days=30)).isoformat(),
            po_number=str(seed.purchases["paper"]),
            currency="USD",
            tax_id="BE0897290877",
            iban="DE89 3704 0044 0532 0130 00",
            tax="20.00",
            lines=(PdfLine("A4 paper box", "8", "25.00"),),
        )
    )


def test_an_invoice_for_a_tryton_purchase_is_matched_approved_posted_once_and_paid(
    tryton_pristine: PristineTryton,
    tenant: Tenant,
    other_tenant: Tenant,
    django_capture_on_commit_callbacks,
    settings,
    monkeypatch,
) -> None:
    run_on_commit = django_capture_on_commit_callbacks
    seed = tryton_pristine.seed
    integration, _, _ = connect(tenant, tryton_pristine, run_on_commit)
    started = time.perf_counter()

    clerk = token_client(tenant.user("ap_specialist"))
    with run_on_commit(execute=True):
        response = clerk.post(
            f"/api/v1/entities/{tenant.entity.pk}/documents/",
            {
                "file": SimpleUploadedFile(
                    "paperco-0042.pdf", paper_invoice_pdf(seed, "PAPERCO-0042"), "application/pdf"
                )
            },
            format="multipart",
        )
    assert response.status_code == 201, response.content
    with tenant_scope(tenant.organization):
        invoice = Invoice.objects.select_related("vendor", "purchase_order").get()
        assert (invoice.status, invoice.invoice_number, invoice.total, invoice.tax) == (
            InvoiceStatus.NEEDS_REVIEW,
            "PAPERCO-0042",
            Decimal("220.00"),
            Decimal("20.00"),
        )
        assert (invoice.vendor.external_id, invoice.vendor_match_reason) == (
            str(seed.suppliers["SUP-001"]),
            f"Tax ID BE0897290877 matches Paper & Co Ltd ({seed.suppliers['SUP-001']}).",
        )
        assert invoice.purchase_order.external_id == str(seed.purchases["paper"])
        assert invoice.match_status == MatchStatus.MATCHED
        (line,) = invoice.lines.select_related("purchase_order_line", "gl_account")
        assert (line.description, line.quantity, line.unit_price, line.amount) == (
            "A4 paper box",
            Decimal("8"),
            Decimal("25"),
            Decimal("200.00"),
        )
        assert line.purchase_order_line.external_id == str(seed.purchase_lines["paper"][0])
        assert (line.match["status"], line.match["kind"]) == ("matched", "three_way")
        assert line.gl_account.external_id == str(seed.accounts["5.1.1"])
        assert line.dimensions == {
            "CC": str(seed.analytic_accounts["CC100"]),
            "PRJ": str(seed.analytic_accounts["PRJ-1"]),
        }

        request = approval_submit(invoice=invoice, actor=tenant.user("ap_specialist"))
        approver = tenant.user("approver")
        assignment = ApprovalAssignment.objects.get(step__request=request, user=approver)

        # The approval queues the send; the worker posts the bill into Tryton and then dies before it
        # can record the answer. Its lease runs out at once here (PUSH_LEASE_SECONDS = 0).
        settings.PUSH_LEASE_SECONDS = 0
        with monkeypatch.context() as patch, pytest.raises(WorkerStoppedError):
            patch.setattr(sync.push, "_finish", worker_stops)
            with run_on_commit(execute=True):
                approval_decide(assignment_id=assignment.pk, user=approver, decision=Decision.APPROVE)
        delivery = PushDelivery.objects.get(invoice=invoice)
        assert (delivery.status, delivery.integration_id, delivery.attempts) == (
            PushStatus.SENDING,
            integration.pk,
            1,
        )
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.POSTING
        assert len(tryton_bills(tryton_pristine, delivery.reference)) == 1

        # The beat's sweeper finds the delivery held by a dead worker; the next attempt asks Tryton
        # for our reference first, finds the bill and records it instead of posting it again.
        with run_on_commit(execute=True):
            assert push_deliveries_sweep() == 1
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (PushStatus.DELIVERED, 2)
        assert list(delivery.attempts_made.order_by("number").values_list("number", "outcome")) == [
            (1, PushAttemptOutcome.INTERRUPTED),
            (2, PushAttemptOutcome.FOUND),
        ]
        # Sending a delivered document again does nothing.
        assert push_delivery_send(delivery_id=delivery.pk).attempts == 2
        invoice.refresh_from_db()
        assert (invoice.status, invoice.erp_external_id, invoice.erp_number) == (
            InvoiceStatus.POSTED,
            delivery.erp_external_id,
            delivery.erp_number,
        )

    (bill,) = tryton_bills(tryton_pristine, delivery.reference)
    assert str(bill["id"]) == delivery.erp_external_id
    assert (bill["state"], bill["number"], bill["reference"], bill["party"], bill["invoice_date"]) == (
        "posted",
        delivery.erp_number,
        "PAPERCO-0042",
        seed.suppliers["SUP-001"],
        seed.today,
    )
    assert (bill["untaxed_amount"], bill["tax_amount"], bill["total_amount"]) == (
        Decimal("200.00"),
        Decimal("20.00"),
        Decimal("220.00"),
    )
    admin = tryton_pristine.admin
    (bill_line,) = admin.read(
        "account.invoice.line",
        bill["lines"],
        ["origin", "quantity", "unit_price", "account", "stock_moves", "analytic_accounts"],
    )
    with tenant_scope(tenant.organization):
        receipt_move = ReceiptLine.objects.get(purchase_order_line=line.purchase_order_line).external_id
    assert (
        bill_line["origin"],
        bill_line["quantity"],
        bill_line["unit_price"],
        bill_line["account"],
        bill_line["stock_moves"],
    ) == (
        f"purchase.line,{seed.purchase_lines['paper'][0]}",
        8.0,
        Decimal("25"),
        seed.accounts["5.1.1"],
        [int(receipt_move)],
    )
    analytic = admin.read("analytic.account.entry", bill_line["analytic_accounts"], ["account"])
    assert sorted(entry["account"] for entry in analytic) == sorted(
        [seed.analytic_accounts["CC100"], seed.analytic_accounts["PRJ-1"]]
    )

    # Paid in Tryton; the beat's payment status pull brings it back.
    invoice_pay(
        tryton_pristine.admin,
        int(delivery.erp_external_id),
        amount=Decimal("220.00"),
        payment_method_id=seed.payment_method,
        on=seed.today,
    )
    assert payment_status_pulls_dispatch() == 1
    with tenant_scope(tenant.organization):
        invoice.refresh_from_db()
        assert (invoice.status, invoice.amount_paid, invoice.paid_on) == (
            InvoiceStatus.PAID,
            Decimal("220.00"),
            seed.today,
        )
    TIMINGS["product e2e: upload to Paid"] = f"{time.perf_counter() - started:.2f} s"
    timings_write()
    assert [row["state"] for row in tryton_bills(tryton_pristine, delivery.reference)] == ["paid"]

    # "Sync now": Tryton's billed quantity on the purchase line now counts the posted bill.
    with run_on_commit(execute=True):
        response = token_client(tenant.admin).post(
            f"/api/v1/entities/{tenant.entity.pk}/integrations/{integration.pk}/sync/",
            {"data_types": ["purchase_orders"]},
            format="json",
        )
    assert response.status_code == 202, response.content
    with tenant_scope(tenant.organization):
        paper_line = PurchaseOrderLine.objects.get(external_id=str(seed.purchase_lines["paper"][0]))
        assert (paper_line.quantity_received, paper_line.quantity_billed) == (Decimal("8"), Decimal("8"))
    assert token_client(other_tenant.admin).get(f"/api/v1/invoices/{invoice.pk}/").status_code == 404
    other_organization_sees_nothing(other_tenant, tenant)


class WorkerStoppedError(Exception):
    """The push worker died after the ERP call, before it recorded the answer."""


def worker_stops(*args, **kwargs) -> None:
    raise WorkerStoppedError


def tryton_bills(tryton: PristineTryton, reference: str) -> list[dict]:
    """The supplier invoices in Tryton carrying our reference, in any state."""
    return tryton.admin.search_read(
        "account.invoice",
        [("type", "=", "in"), ("description", "=", reference)],
        [
            "state",
            "number",
            "reference",
            "party",
            "invoice_date",
            "untaxed_amount",
            "tax_amount",
            "total_amount",
            "lines",
        ],
    )


# -- 3. incremental syncs ----------------------------------------------------------------------------


def test_a_supplier_changed_or_deactivated_in_tryton_shows_up_after_the_next_scheduled_sync(
    tryton_pristine: PristineTryton, tenant: Tenant, other_tenant: Tenant, django_capture_on_commit_callbacks
) -> None:
    seed, admin = tryton_pristine.seed, tryton_pristine.admin
    integration, _, _ = connect(tenant, tryton_pristine, django_capture_on_commit_callbacks)
    renamed, archived = str(seed.suppliers["SUP-002"]), str(seed.suppliers["SUP-003"])

    party_rename(admin, seed.suppliers["SUP-002"], "Consulting Partners Group LLC")
    party_deactivate(admin, seed.suppliers["SUP-003"])
    with tenant_scope(tenant.organization):
        # The integration is due (its interval passed): the beat's dispatch queues and runs its sync.
        Integration.objects.filter(pk=integration.pk).update(
            next_sync_at=timezone.now() - dt.timedelta(seconds=1)
        )
    started = time.perf_counter()
    with django_capture_on_commit_callbacks(execute=True):
        assert integrations_dispatch() == 1
    TIMINGS["product e2e: incremental sync"] = f"{time.perf_counter() - started:.2f} s"
    timings_write()

    with tenant_scope(tenant.organization):
        run = SyncRun.objects.get(integration=integration, trigger=SyncTrigger.SCHEDULE)
        assert (run.status, run.full) == (SyncRunStatus.SUCCEEDED, False)
        vendors = {vendor.external_id: (vendor.name, vendor.active) for vendor in Vendor.objects.all()}
        assert vendors == {
            str(seed.suppliers["SUP-001"]): ("Paper & Co Ltd", True),
            renamed: ("Consulting Partners Group LLC", True),
            archived: ("Spare Parts GmbH", False),
            str(seed.suppliers["SUP-004"]): ("Dormant Supplies", False),
        }
        result = run.stream_results.get(stream="vendors")
        assert (result.status, result.updated, result.deactivated, result.failed) == (
            StreamStatus.SUCCEEDED,
            1,
            1,
            0,
        )
    other_organization_sees_nothing(other_tenant, tenant)
