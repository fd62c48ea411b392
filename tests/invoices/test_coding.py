"""Coding suggestions: PO line, rules, item and vendor defaults, and the learned model fed by clerk edits."""

from __future__ import annotations

import pytest

from invoices.coding.learning import TrainingLine, coding_model_train, coding_predict
from invoices.coding.services import coding_model_retrain
from invoices.coding.suggest import LearnedModel, LineToCode, RuleFacts, SourceCoding, line_coding_suggest
from invoices.configuration import coding_rule_create
from invoices.models import CodingModel, Invoice
from invoices.services import invoice_line_update
from organizations.errors import ServiceValidationError
from organizations.models import AuditEvent
from organizations.tenancy import tenant_scope
from tests.factories import Tenant
from tests.invoices.factories import (
    dimension_make,
    gl_account_make,
    invoice_from_pdf,
    item_make,
    purchase_order_make,
    vendor_make,
)
from tests.invoices.pdfs import PdfLine, invoice_pdf


def suggest(line: LineToCode, rules=(), model=None):
    return line_coding_suggest(line=line, rules=list(rules), model=model)


def test_sources_are_ranked_po_line_rule_item_learned_vendor() -> None:
    rule = RuleFacts(1, "Paper to supplies", None, "paper", "GL-RULE", {"department": "OPS"})
    model = LearnedModel(
        version=3,
        payload=coding_model_train([TrainingLine(1, 7, "A4 paper box", "GL-LEARNED", {}) for _ in range(3)]),
    )
    line = LineToCode(
        entity_id=1,
        description="Printer paper A4 box",
        vendor_id=7,
        purchase_order_line=SourceCoding("PO PO-1 line 2", "GL-PO", {"department": "SALES"}),
        item=SourceCoding("item PAPER", "GL-ITEM"),
        vendor=SourceCoding("Northwind", "GL-VENDOR", {"project": "P1"}),
    )
    ranked = suggest(line, [rule], model)
    assert [(s.value, s.source) for s in ranked.gl_account] == [
        ("GL-PO", "po_line"),
        ("GL-RULE", "rule"),
        ("GL-ITEM", "item"),
        ("GL-LEARNED", "learned"),
        ("GL-VENDOR", "vendor"),
    ]
    assert [s.reason for s in ranked.gl_account[:3]] == [
        "From PO PO-1 line 2.",
        "Coding rule “Paper to supplies”.",
        "Default of item PAPER.",
    ]
    assert ranked.applicable("gl_account").value == "GL-PO"
    assert ranked.applicable("department").value == "SALES"
    assert ranked.applicable("project").value == "P1"
    without_po = suggest(
        LineToCode(1, "Printer paper A4 box", 7, vendor=SourceCoding("Northwind", "GL-VENDOR")), [rule], model
    )
    assert [s.source for s in without_po.gl_account] == ["rule", "learned", "vendor"]
    other_vendor = suggest(
        LineToCode(1, "Consulting hours", 8, vendor=SourceCoding("Contoso", "GL-VENDOR")), [rule], model
    )
    assert [s.source for s in other_vendor.gl_account] == ["vendor"]


def test_the_learned_model_grows_surer_with_evidence_and_keeps_entities_apart() -> None:
    lines = [TrainingLine(1, 7, "Ergonomic office chair", "GL-6100", {"department": "OPS"})]
    payload = coding_model_train(lines)
    once = coding_predict(
        payload, entity_id=1, target="gl_account", description="Office chairs", vendor_id=7, version=1
    )
    assert (once.value, once.confidence, once.evidence) == ("GL-6100", 0.667, 1)
    assert (
        once.reason == "Learned from 1 earlier line from this vendor with “office” coded this way (model v1)."
    )
    payload = coding_model_train(lines * 3 + [TrainingLine(1, 9, "Consulting hours", "GL-7000", {})])
    thrice = coding_predict(
        payload, entity_id=1, target="gl_account", description="Office chairs", vendor_id=7, version=2
    )
    assert (thrice.value, thrice.evidence) == ("GL-6100", 3)
    assert thrice.confidence > 0.8
    department = coding_predict(
        payload, entity_id=1, target="dimension:department", description="office", vendor_id=None, version=2
    )
    assert department.value == "OPS"
    assert (
        coding_predict(
            payload, entity_id=2, target="gl_account", description="Office chairs", vendor_id=7, version=2
        )
        is None
    )
    assert (
        coding_predict(
            payload,
            entity_id=1,
            target="gl_account",
            description="Unrelated words",
            vendor_id=None,
            version=2,
        )
        is None
    )


@pytest.mark.django_db
def test_clerk_coding_is_audited_and_teaches_the_next_invoice(
    tenant: Tenant, other_tenant: Tenant, run_on_commit
) -> None:
    clerk = tenant.user("ap_specialist")
    with tenant_scope(tenant.organization):
        vendor = vendor_make(tenant.entity, tax_id="12-3456789", default_account_external_id="GL-6000")
        default = gl_account_make(tenant.entity, "6000", "General expenses")
        furniture = gl_account_make(tenant.entity, "6150", "Furniture")
        supplies = gl_account_make(tenant.entity, "6100", "Office supplies")
        dimension_make(tenant.entity, "department", {"OPS": "Operations", "SALES": "Sales"})
        first = invoice_from_pdf(tenant.entity, invoice_pdf(number="N-1"))
        chairs, paper = first.lines.order_by("line_number")
        assert (chairs.gl_account_id, chairs.coding_suggestions["gl_account"][0]["source"]) == (
            default.pk,
            "vendor",
        )
        assert (
            chairs.coding_suggestions["gl_account"][0]["reason"]
            == "Default of vendor Northwind Office Supply Inc.."
        )
        with run_on_commit():
            invoice_line_update(
                invoice=first,
                line=chairs,
                actor=clerk,
                changes={"gl_account": furniture.pk, "dimensions": {"department": "OPS"}},
            )
            invoice_line_update(
                invoice=first, line=paper, actor=clerk, changes={"gl_account": str(supplies.pk)}
            )
        event = AuditEvent.objects.filter(action="invoice.line_coded").order_by("id").first()
        assert (event.actor_id, event.target_id, event.before, event.after, event.metadata) == (
            clerk.pk,
            str(first.pk),
            {"gl_account": "6000 General expenses", "dimensions": {}},
            {"gl_account": "6150 Furniture", "dimensions": {"department": "OPS"}},
            {"line": 1, "description": "Office chairs ergonomic"},
        )
        chairs.refresh_from_db()
        assert (chairs.coded_by_id, chairs.gl_account_id) == (clerk.pk, furniture.pk)
        assert clerk in Invoice.objects.get(pk=first.pk).edited_by.all()
        model = CodingModel.objects.get()
        assert (model.version, model.training_lines) == (1, 2)
        assert coding_model_retrain() is None  # same training data: no new version

        second = invoice_from_pdf(
            tenant.entity,
            invoice_pdf(
                number="N-2",
                lines=(
                    PdfLine("Ergonomic office chairs, black", "3", "150.00"),
                    PdfLine("Paper A4 box", "5", "4.50"),
                ),
            ),
        )
        chairs2, paper2 = second.lines.order_by("line_number")
        best = chairs2.coding_suggestions["gl_account"][0]
        assert (chairs2.gl_account_id, best["source"], best["label"]) == (
            furniture.pk,
            "learned",
            "6150 Furniture",
        )
        assert best["reason"].startswith("Learned from 1 earlier line from this vendor with")
        assert chairs2.dimensions == {"department": "OPS"}
        assert paper2.gl_account_id == supplies.pk
        # The person's coding stays when the analysis runs again.
        invoice_line_update(
            invoice=first, line=chairs, actor=clerk, changes={"description": "Office chairs, ergonomic"}
        )
        chairs.refresh_from_db()
        assert chairs.gl_account_id == furniture.pk
        with pytest.raises(ServiceValidationError, match="Unknown value NOPE for dimension department"):
            invoice_line_update(
                invoice=first, line=chairs, actor=clerk, changes={"dimensions": {"department": "NOPE"}}
            )
    with tenant_scope(other_tenant.organization):
        assert not CodingModel.objects.exists()
        vendor_make(other_tenant.entity, tax_id="12-3456789")
        gl_account_make(other_tenant.entity, "6150", "Furniture")
        theirs = invoice_from_pdf(other_tenant.entity, invoice_pdf(number="N-1"))
        assert [line.gl_account_id for line in theirs.lines.all()] == [None, None]
    assert vendor.pk


@pytest.mark.django_db
def test_po_line_item_and_rule_coding_in_processing(tenant: Tenant) -> None:
    with tenant_scope(tenant.organization):
        vendor = vendor_make(tenant.entity, tax_id="12-3456789")
        equipment = gl_account_make(tenant.entity, "1500", "Equipment", account_type="asset")
        supplies = gl_account_make(tenant.entity, "6100", "Office supplies")
        dimension_make(tenant.entity, "department", {"OPS": "Operations"})
        item_make(tenant.entity, "CHAIR", "Chair", expense_account_external_id=equipment.external_id)
        purchase_order_make(
            tenant.entity,
            "PO-5",
            vendor,
            [
                {
                    "description": "Office chairs ergonomic",
                    "quantity_ordered": 2,
                    "unit_price": "150",
                    "item_external_id": "IT-CHAIR",
                },
                {
                    "description": "Printer paper A4 box",
                    "quantity_ordered": 10,
                    "unit_price": "4.50",
                    "account_external_id": supplies.external_id,
                    "dimensions": {"department": "OPS"},
                },
            ],
        )
        with pytest.raises(ServiceValidationError, match="A rule needs a vendor or words"):
            coding_rule_create(
                entity=tenant.entity, actor=tenant.admin, name="Empty", gl_account_id=supplies.pk
            )
        invoice = invoice_from_pdf(tenant.entity, invoice_pdf(po_number="PO-5"))
        chairs, paper = invoice.lines.order_by("line_number")
        assert (
            chairs.gl_account_id,
            chairs.coding_suggestions["gl_account"][0]["source"],
            chairs.item.code,
        ) == (
            equipment.pk,
            "item",
            "CHAIR",
        )
        assert (
            paper.gl_account_id,
            paper.dimensions,
            paper.coding_suggestions["gl_account"][0]["confidence"],
        ) == (
            supplies.pk,
            {"department": "OPS"},
            0.98,
        )
        coding_rule_create(
            entity=tenant.entity,
            actor=tenant.admin,
            name="Chairs are supplies",
            description_contains="chair",
            gl_account_id=supplies.pk,
        )
        assert AuditEvent.objects.filter(action="coding_rule.created").count() == 1
        again = invoice_from_pdf(tenant.entity, invoice_pdf(number="R-2", date="2026-05-01", po_number=""))
        assert [
            line.coding_suggestions["gl_account"][0]["source"]
            if line.coding_suggestions["gl_account"]
            else None
            for line in again.lines.order_by("line_number")
        ] == ["rule", None]
