import io
import json

import pypdf
import pytest

from invoices.extraction import (
    DocumentType,
    ExtractionSource,
    invoice_extract,
    pdf_embedded_files_remove,
)
from invoices.extraction.embedded_xml import EmbeddedXmlError, invoice_xml_read
from invoices.extraction.scoring import ScoreReport, document_score

from .documents import pdf_bytes_of, text_pdf

XML_FIXTURES = [
    "ferd10_4s4u_warenrechnung",
    "ferd23_projektabschluss",
    "ferd24_kleinunternehmer",
    "ferd24_steuerfreie_ig_lieferung",
    "ferd24_teilrechnung2",
    "fx107_f20220023",
    "fx10_aubonmoulin_dom",
    "mustang_re508_2020",
]
# Measured 1.000 on these eight documents; the floor leaves room for a changed reader, not for a bad one.
EMBEDDED_FLOOR = 0.97

UBL_INVOICE = """<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID>UBL-2024-7</cbc:ID>
  <cbc:IssueDate>2024-05-02</cbc:IssueDate>
  <cbc:DueDate>2024-06-01</cbc:DueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cac:OrderReference><cbc:ID>PO-991</cbc:ID></cac:OrderReference>
  <cac:AccountingSupplierParty><cac:Party>
    <cac:PartyName><cbc:Name>Noord Levering</cbc:Name></cac:PartyName>
    <cac:PartyTaxScheme><cbc:CompanyID>NL123456789B01</cbc:CompanyID></cac:PartyTaxScheme>
    <cac:PartyLegalEntity>
      <cbc:RegistrationName>Noord Levering B.V.</cbc:RegistrationName>
    </cac:PartyLegalEntity>
  </cac:Party></cac:AccountingSupplierParty>
  <cac:PaymentMeans>
    <cac:PayeeFinancialAccount><cbc:ID>NL91 ABNA 0417 1643 00</cbc:ID></cac:PayeeFinancialAccount>
  </cac:PaymentMeans>
  <cac:PaymentTerms><cbc:Note>30 dagen netto</cbc:Note></cac:PaymentTerms>
  <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">21.00</cbc:TaxAmount></cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="EUR">100.00</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">121.00</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="EUR">121.00</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  <cac:InvoiceLine>
    <cbc:ID>1</cbc:ID><cbc:InvoicedQuantity unitCode="C62">4</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>Pallet rental</cbc:Name></cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">25.00</cbc:PriceAmount></cac:Price>
  </cac:InvoiceLine>
</Invoice>
"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100">&lol2;
</rsm:CrossIndustryInvoice>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100">&xxe;
</rsm:CrossIndustryInvoice>"""


def _with_attachment(name: str, content: bytes) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(text_pdf(["INVOICE", "Invoice No: L-1"]))))
    writer.add_attachment(name, content)
    return pdf_bytes_of(writer)


@pytest.fixture(scope="module")
def embedded_results(fixture_folder):
    return {name: invoice_extract((fixture_folder / f"{name}.pdf").read_bytes()) for name in XML_FIXTURES}


def test_fixtures_with_xml_are_read_from_it(embedded_results):
    for name, result in embedded_results.items():
        assert result.source == ExtractionSource.EMBEDDED_XML, name
        assert result.to_schema_dict()["source"] == "embedded_xml"
        assert result.has_text_layer is True
        assert result.needs_manual_entry is False
        assert result.document_type.value == DocumentType.INVOICE


def test_embedded_path_accuracy_floor(embedded_results, fixture_folder):
    report = ScoreReport()
    for name, result in embedded_results.items():
        expected = json.loads((fixture_folder / f"{name}.expected.json").read_text(encoding="utf-8"))
        document_score(report, name, expected, result.to_schema_dict())
    assert report.overall >= EMBEDDED_FLOOR, report.table()


def test_embedded_values_exactly(embedded_results):
    result = embedded_results["mustang_re508_2020"].to_schema_dict()
    assert result["invoice_number"] == "RE-20201121/508"
    assert (result["invoice_date"], result["due_date"]) == ("2020-11-21", "2020-12-12")
    assert (result["subtotal"], result["tax"], result["total"]) == ("496.00", "75.04", "571.04")
    assert result["line_items"][2] == {
        "description": "Hot air „heiße Luft“ (litres)",
        "quantity": "800",
        "unit_price": "0.025",
        "amount": "20.00",
    }
    mustang = embedded_results["mustang_re508_2020"]
    assert (mustang.vendor_tax_id.value, mustang.vendor_iban.value) == (
        "DE136695976",
        "DE88200800000970375700",
    )
    assert mustang.invoice_number.confidence == 0.99


def test_zugferd_1_vocabulary(embedded_results):
    result = embedded_results["ferd10_4s4u_warenrechnung"]
    assert (result.vendor_name.value, result.po_number.value) == ("MUSTERLIEFERANT GMBH", "B123456789")
    assert str(result.total.value) == "518.99"


def test_ubl_invoice_attachment_is_read():
    result = invoice_extract(_with_attachment("invoice.xml", UBL_INVOICE.encode()))
    assert result.source == ExtractionSource.EMBEDDED_XML
    schema = result.to_schema_dict()
    assert schema["vendor_name"] == "Noord Levering B.V."
    assert (schema["invoice_number"], schema["po_number"], schema["currency"]) == (
        "UBL-2024-7",
        "PO-991",
        "EUR",
    )
    assert (schema["subtotal"], schema["tax"], schema["total"]) == ("100.00", "21.00", "121.00")
    assert schema["line_items"] == [
        {"description": "Pallet rental", "quantity": "4", "unit_price": "25.00", "amount": "100.00"}
    ]
    assert (result.vendor_iban.value, result.payment_terms.value) == ("NL91ABNA0417164300", "30 dagen netto")


def test_ubl_credit_note_is_a_credit_memo():
    credit_note = (
        UBL_INVOICE.replace("<Invoice ", "<CreditNote ")
        .replace("</Invoice>", "</CreditNote>")
        .replace("Invoice-2", "CreditNote-2")
        .replace("InvoiceLine", "CreditNoteLine")
        .replace("InvoicedQuantity", "CreditedQuantity")
        .replace("InvoiceTypeCode>380</cbc:InvoiceTypeCode", "CreditNoteTypeCode>381</cbc:CreditNoteTypeCode")
    )
    result = invoice_extract(_with_attachment("creditnote.xml", credit_note.encode()))
    assert result.document_type.value == DocumentType.CREDIT_MEMO
    assert result.line_items[0].quantity.value == 4


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_xml_with_entities_is_refused_and_the_layout_is_read(payload):
    with pytest.raises(EmbeddedXmlError):
        invoice_xml_read(payload)
    result = invoice_extract(_with_attachment("factur-x.xml", payload))
    assert result.source == ExtractionSource.LAYOUT
    assert any("factur-x.xml: embedded XML could not be parsed" in warning for warning in result.warnings)
    assert result.invoice_number.value == "L-1"


def test_xml_that_is_not_an_invoice_is_ignored():
    result = invoice_extract(_with_attachment("notes.xml", b"<notes><note>hello</note></notes>"))
    assert result.source == ExtractionSource.LAYOUT


def test_layout_only_ignores_the_attachment(fixture_folder):
    result = invoice_extract((fixture_folder / "mustang_re508_2020.pdf").read_bytes(), layout_only=True)
    assert result.source == ExtractionSource.LAYOUT
    assert result.invoice_number.value == "RE-20201121/508"


def test_embedded_files_remove_keeps_the_pages_and_drops_the_xml(fixture_folder):
    original = (fixture_folder / "fx107_f20220023.pdf").read_bytes()
    stripped = pdf_embedded_files_remove(original)
    reader = pypdf.PdfReader(io.BytesIO(stripped))
    assert list(reader.attachments) == []
    assert b"/EmbeddedFile" not in stripped
    assert reader.pages[0].extract_text() == pypdf.PdfReader(io.BytesIO(original)).pages[0].extract_text()
    assert invoice_extract(stripped).source == ExtractionSource.LAYOUT


def test_xml_listed_only_as_an_associated_file_is_found(fixture_folder):
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(fixture_folder / "mustang_re508_2020.pdf"))
    del writer.root_object["/Names"]
    data = pdf_bytes_of(writer)
    assert list(pypdf.PdfReader(io.BytesIO(data)).attachments) == []
    result = invoice_extract(data)
    assert (result.source, result.invoice_number.value) == (ExtractionSource.EMBEDDED_XML, "RE-20201121/508")


def test_default_path_over_the_whole_dev_set(fixture_folder):
    from invoices.extraction.scoring import folder_score

    report = folder_score(fixture_folder, lambda path: invoice_extract(path.read_bytes()).to_schema_dict())
    assert report.documents == 10
    assert report.overall >= 0.97, report.table()
