"""Vendor resolution: tax id, bank account, sender domain, fuzzy name; the reason; unknown is a notice."""

from __future__ import annotations

import pytest

from invoices.identifiers import invoice_number_normalize, tax_id_forms, vendor_name_normalize
from invoices.models import Invoice
from invoices.vendors import VendorEvidence, VendorIndex, VendorRecord, vendor_resolve
from organizations.tenancy import tenant_scope
from tests.factories import Tenant
from tests.invoices.factories import invoice_from_pdf, vendor_make
from tests.invoices.pdfs import invoice_pdf


def record(pk: int, name: str, **fields: object) -> VendorRecord:
    values = {"external_id": f"V{pk}", "tax_id": "", "bank_account": "", "email": "", "active": True} | fields
    return VendorRecord(pk, name, **values)  # type: ignore[arg-type]


INDEX = VendorIndex.build(
    [
        record(1, "Northwind Office Supply Inc.", tax_id="US 12-3456789", email="ar@northwind.example"),
        record(2, "Contoso GmbH", tax_id="DE987654321", bank_account="DE89 3704 0044 0532 0130 00"),
        record(3, "Fabrikam Ltd", email="billing@fabrikam.example"),
        record(4, "Fabrikam Services Ltd", email="billing@fabrikam.example"),
        record(5, "Old Contoso GmbH", tax_id="DE987654321", active=False),
        record(6, "Litware Consulting LLC", email="ap@gmail.com"),
        record(7, "Adatum Corporation"),
        record(8, "Adatum Corp."),
    ]
)


@pytest.mark.parametrize(
    ("evidence", "vendor_id", "method", "reason"),
    [
        (
            VendorEvidence(name="Something Else", tax_id="12-3456789"),
            1,
            "tax_id",
            "Tax ID 12-3456789 matches Northwind Office Supply Inc. (V1).",
        ),
        (
            # Two vendors carry the tax id, one of them inactive: the active one wins.
            VendorEvidence(tax_id="DE 987 654 321"),
            2,
            "tax_id",
            "Tax ID DE 987 654 321 matches Contoso GmbH (V2).",
        ),
        (
            VendorEvidence(name="Unknown", bank_account="DE89370400440532013000"),
            2,
            "bank_account",
            "Bank account DE89370400440532013000 matches Contoso GmbH (V2).",
        ),
        (
            VendorEvidence(sender="Northwind AR <invoices@NORTHWIND.example>"),
            1,
            "email_domain",
            "Sent from northwind.example, the email domain of Northwind Office Supply Inc. (V1).",
        ),
        (
            VendorEvidence(name="NORTHWIND OFFICE SUPPLY, INC"),
            1,
            "name",
            "The name “NORTHWIND OFFICE SUPPLY, INC” matches Northwind Office Supply Inc. (V1) (100% similar).",
        ),
        (
            VendorEvidence(name="Northwind Ofice Supplies"),
            1,
            "name",
            "The name “Northwind Ofice Supplies” matches Northwind Office Supply Inc. (V1) (89% similar).",
        ),
    ],
)
def test_evidence_is_tried_strongest_first(evidence, vendor_id, method, reason) -> None:
    resolution = vendor_resolve(evidence, INDEX)
    assert (resolution.vendor_id, resolution.method, resolution.reason) == (vendor_id, method, reason)
    assert 0.75 <= resolution.confidence <= 0.99


@pytest.mark.parametrize(
    ("evidence", "reason"),
    [
        (
            VendorEvidence(sender="billing@fabrikam.example"),
            "No single vendor matches: fabrikam.example is the email domain of several vendors.",
        ),
        (
            # A shared mail domain says nothing about the vendor.
            VendorEvidence(name="Zeta", sender="someone@gmail.com"),
            "No vendor in the vendor master matches the name “Zeta”.",
        ),
        (
            VendorEvidence(name="Adatum Corporation Inc"),
            "Several vendors are named “Adatum Corporation”.",
        ),
        (
            VendorEvidence(
                name="Blue Yonder Airlines", tax_id="FR999", bank_account="FR7630006000011234567890189"
            ),
            "No vendor in the vendor master matches the name “Blue Yonder Airlines”, tax ID FR999, "
            "bank account FR7630006000011234567890189.",
        ),
        (VendorEvidence(), "The document names no vendor; choose one."),
    ],
)
def test_no_single_vendor_gives_no_match_and_says_why(evidence, reason) -> None:
    resolution = vendor_resolve(evidence, INDEX)
    assert (resolution.vendor_id, resolution.reason) == (None, reason)


def test_identifier_normal_forms() -> None:
    assert [
        invoice_number_normalize(value)
        for value in ("INV-1048", "1048", "Invoice No. 001048", "inv 1048", "RE-2024/17")
    ] == [
        "1048",
        "1048",
        "1048",
        "1048",
        "202417",
    ]
    assert tax_id_forms("US12-3456789") == {"US123456789", "123456789"}
    assert vendor_name_normalize("Contoso Deutschland GmbH & Co. KG") == "contoso deutschland"


@pytest.mark.django_db
def test_processing_resolves_the_vendor_and_an_unknown_vendor_is_a_notice(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    with tenant_scope(other_tenant.organization):
        vendor_make(other_tenant.entity, tax_id="12-3456789")  # another organization's vendor never matches
    with tenant_scope(tenant.organization):
        unknown = invoice_from_pdf(tenant.entity, invoice_pdf(number="A-1"))
        assert unknown.vendor_id is None
        assert unknown.vendor_match_reason == (
            "No vendor in the vendor master matches the name “Northwind Office Supply Inc.”, tax ID 12-3456789."
        )
        notice = unknown.notices.get(code="unknown_vendor")
        assert (notice.severity, notice.message) == ("warning", unknown.vendor_match_reason)

        vendor = vendor_make(tenant.entity, "Northwind Office Supply", tax_id="US12-3456789")
        known = invoice_from_pdf(tenant.entity, invoice_pdf(number="A-2"))
        assert (known.vendor_id, known.vendor_match_confidence) == (vendor.pk, 0.99)
        assert (
            known.vendor_match_reason
            == f"Tax ID 12-3456789 matches Northwind Office Supply ({vendor.external_id})."
        )
        assert not known.notices.filter(code="unknown_vendor").exists()
        assert Invoice.objects.filter(vendor=vendor).count() == 1
