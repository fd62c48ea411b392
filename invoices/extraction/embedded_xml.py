"""Structured invoice data embedded in the PDF: Factur-X / ZUGFeRD (UN/CEFACT CII, versions 1 and 2) and UBL.

The XML is parsed with defusedxml (no DTDs, no entities, no network) and read by local element names, so
the CII 1.0 (`CrossIndustryDocument`) and 2.x (`CrossIndustryInvoice`) vocabularies and UBL Invoice and
CreditNote documents share one reader each.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import defusedxml.ElementTree as SafeElementTree
from defusedxml import DefusedXmlException

# Attachments larger than this are not invoice XML worth parsing.
MAX_XML_BYTES = 10 * 1024 * 1024
PREFERRED_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")
CREDIT_TYPE_CODES = frozenset({"381", "261", "262", "296", "308", "396", "420", "458", "532"})


class EmbeddedXmlError(Exception):
    """The attachment is not a readable CII or UBL invoice."""


@dataclass(frozen=True)
class XmlLine:
    description: str | None
    quantity: Decimal | None
    unit_price: Decimal | None
    amount: Decimal | None


@dataclass(frozen=True)
class XmlInvoice:
    """Values read from an embedded invoice XML; None where the XML has no such element."""

    syntax: str
    vendor_name: str | None
    vendor_tax_id: str | None
    vendor_iban: str | None
    invoice_number: str | None
    invoice_date: date | None
    due_date: date | None
    currency: str | None
    subtotal: Decimal | None
    tax: Decimal | None
    total: Decimal | None
    po_number: str | None
    payment_terms: str | None
    type_code: str | None
    lines: tuple[XmlLine, ...]

    @property
    def is_credit_note(self) -> bool:
        return self.type_code in CREDIT_TYPE_CODES or self.syntax == "ubl-creditnote"


def invoice_xml_choose(attachments: dict[str, list[bytes]]) -> tuple[str, bytes] | None:
    """The attachment most likely to be the invoice XML: a known Factur-X/ZUGFeRD name first, then any
    XML file whose root is a CII or UBL invoice."""
    candidates = [
        (name, content)
        for name, contents in attachments.items()
        for content in contents
        if name.lower().endswith(".xml") and len(content) <= MAX_XML_BYTES
    ]
    candidates.sort(key=lambda item: (item[0].lower() not in PREFERRED_NAMES, item[0].lower()))
    for name, content in candidates:
        if any(marker in content for marker in (b"CrossIndustry", b"urn:oasis:names:specification:ubl")):
            return name, content
    return None


def invoice_xml_read(content: bytes) -> XmlInvoice:
    """Read an embedded CII or UBL invoice; raises EmbeddedXmlError for anything else."""
    try:
        root = SafeElementTree.fromstring(
            content, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as error:
        raise EmbeddedXmlError(f"embedded XML could not be parsed: {error}") from error
    name = _local(root.tag)
    if name in ("CrossIndustryInvoice", "CrossIndustryDocument"):
        return _cii_read(root)
    if name in ("Invoice", "CreditNote"):
        return _ubl_read(root, name)
    raise EmbeddedXmlError(f"embedded XML is not an invoice (root element {name})")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(element: ElementTree.Element | None, path: str) -> str | None:
    if element is None:
        return None
    found = element.find(path)
    if found is None or found.text is None:
        return None
    return " ".join(found.text.split()) or None


def _amount(element: ElementTree.Element | None, path: str, currency: str | None = None) -> Decimal | None:
    if element is None:
        return None
    matches = element.findall(path)
    if currency:
        matches = [match for match in matches if match.get("currencyID") in (None, currency)] or matches
    for match in matches:
        if match.text:
            try:
                return Decimal(match.text.strip())
            except InvalidOperation:
                continue
    return None


def _date(text: str | None) -> date | None:
    if not text:
        return None
    text = text.strip()
    for pattern, length in (("%Y%m%d", 8), ("%Y-%m-%d", 10)):
        try:
            return datetime.strptime(text[:length], pattern).date()
        except ValueError:
            continue
    return None


def _cii_read(root: ElementTree.Element) -> XmlInvoice:
    header = root.find("{*}ExchangedDocument")
    if header is None:
        header = root.find("{*}HeaderExchangedDocument")
    agreement = root.find(".//{*}ApplicableHeaderTradeAgreement")
    if agreement is None:
        agreement = root.find(".//{*}ApplicableSupplyChainTradeAgreement")
    settlement = root.find(".//{*}ApplicableHeaderTradeSettlement")
    if settlement is None:
        settlement = root.find(".//{*}ApplicableSupplyChainTradeSettlement")
    if header is None or settlement is None:
        raise EmbeddedXmlError("embedded CII XML has no document header or settlement")
    seller = agreement.find("{*}SellerTradeParty") if agreement is not None else None
    summation = settlement.find("{*}SpecifiedTradeSettlementHeaderMonetarySummation")
    if summation is None:
        summation = settlement.find("{*}SpecifiedTradeSettlementMonetarySummation")
    currency = _text(settlement, "{*}InvoiceCurrencyCode")
    terms = settlement.find("{*}SpecifiedTradePaymentTerms")
    tax_id = None
    if seller is not None:
        registrations = seller.findall("{*}SpecifiedTaxRegistration/{*}ID")
        preferred = [item for item in registrations if item.get("schemeID") == "VA"] or registrations
        tax_id = " ".join((preferred[0].text or "").split()) or None if preferred else None
    order = _text(agreement, "{*}BuyerOrderReferencedDocument/{*}IssuerAssignedID") or _text(
        agreement, "{*}BuyerOrderReferencedDocument/{*}ID"
    )
    lines = []
    for line in root.findall(".//{*}IncludedSupplyChainTradeLineItem"):
        price = _amount(line, ".//{*}NetPriceProductTradePrice/{*}ChargeAmount")
        if price is None:
            price = _amount(line, ".//{*}GrossPriceProductTradePrice/{*}ChargeAmount")
        lines.append(
            XmlLine(
                _text(line, "{*}SpecifiedTradeProduct/{*}Name"),
                _amount(line, ".//{*}BilledQuantity"),
                price,
                _amount(line, ".//{*}LineTotalAmount"),
            )
        )
    return XmlInvoice(
        syntax="cii",
        vendor_name=_text(seller, "{*}Name"),
        vendor_tax_id=tax_id,
        vendor_iban=_iban_clean(
            _text(
                settlement,
                "{*}SpecifiedTradeSettlementPaymentMeans/{*}PayeePartyCreditorFinancialAccount/{*}IBANID",
            )
        ),
        invoice_number=_text(header, "{*}ID"),
        invoice_date=_date(_text(header, "{*}IssueDateTime/{*}DateTimeString")),
        due_date=_date(_text(terms, "{*}DueDateDateTime/{*}DateTimeString")),
        currency=currency,
        subtotal=_amount(summation, "{*}TaxBasisTotalAmount"),
        tax=_amount(summation, "{*}TaxTotalAmount", currency),
        total=_amount(summation, "{*}GrandTotalAmount"),
        po_number=order,
        payment_terms=_text(terms, "{*}Description"),
        type_code=_text(header, "{*}TypeCode"),
        lines=tuple(lines),
    )


def _iban_clean(value: str | None) -> str | None:
    return value.replace(" ", "") if value else None


def _ubl_read(root: ElementTree.Element, name: str) -> XmlInvoice:
    supplier = root.find("{*}AccountingSupplierParty/{*}Party")
    currency = _text(root, "{*}DocumentCurrencyCode")
    totals = root.find("{*}LegalMonetaryTotal")
    tax = None
    for tax_total in root.findall("{*}TaxTotal"):
        tax = _amount(tax_total, "{*}TaxAmount", currency)
        if tax is not None:
            break
    vendor = _text(supplier, "{*}PartyLegalEntity/{*}RegistrationName") or _text(
        supplier, "{*}PartyName/{*}Name"
    )
    line_tag, quantity_tag = (
        ("{*}CreditNoteLine", "{*}CreditedQuantity")
        if name == "CreditNote"
        else ("{*}InvoiceLine", "{*}InvoicedQuantity")
    )
    lines = tuple(
        XmlLine(
            _text(line, "{*}Item/{*}Name") or _text(line, "{*}Item/{*}Description"),
            _amount(line, quantity_tag),
            _amount(line, "{*}Price/{*}PriceAmount"),
            _amount(line, "{*}LineExtensionAmount"),
        )
        for line in root.findall(line_tag)
    )
    return XmlInvoice(
        syntax="ubl-creditnote" if name == "CreditNote" else "ubl",
        vendor_name=vendor,
        vendor_tax_id=_text(supplier, "{*}PartyTaxScheme/{*}CompanyID"),
        vendor_iban=_iban_clean(_text(root, "{*}PaymentMeans/{*}PayeeFinancialAccount/{*}ID")),
        invoice_number=_text(root, "{*}ID"),
        invoice_date=_date(_text(root, "{*}IssueDate")),
        due_date=_date(_text(root, "{*}DueDate") or _text(root, "{*}PaymentMeans/{*}PaymentDueDate")),
        currency=currency,
        subtotal=_amount(totals, "{*}TaxExclusiveAmount", currency),
        tax=tax,
        total=_amount(totals, "{*}TaxInclusiveAmount", currency),
        po_number=_text(root, "{*}OrderReference/{*}ID"),
        payment_terms=_text(root, "{*}PaymentTerms/{*}Note"),
        type_code=_text(root, "{*}InvoiceTypeCode") or _text(root, "{*}CreditNoteTypeCode"),
        lines=lines,
    )
