"""Checks on an invoice, as findings with a severity. Pure: the facts a service gathered in, findings out.

Errors block submission until fixed or dismissed with a reason; warnings and info are for the clerk's
eye. Each finding has a key that stays the same while the finding does, so a dismissal survives a
re-run of the checks but a new finding (another duplicate, another line) is shown again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from invoices.matching.engine import LineMatch, MatchProblem

CHECKS_VERSION = "1.0"
ERROR, WARNING, INFO = "error", "warning", "info"
ROUNDING = Decimal("0.02")
NEAR_DUPLICATE_DAYS = 7

REQUIRED_FIELDS = (
    ("vendor", "vendor"),
    ("invoice_number", "invoice number"),
    ("invoice_date", "invoice date"),
    ("currency", "currency"),
    ("total", "total"),
)


@dataclass(frozen=True)
class LineFacts:
    line_number: int
    description: str
    quantity: Decimal | None
    unit_price: Decimal | None
    amount: Decimal
    match: LineMatch | None = None


@dataclass(frozen=True)
class OtherInvoice:
    id: int
    invoice_number: str
    status_label: str
    total: Decimal | None
    invoice_date: date | None


@dataclass(frozen=True)
class PurchaseOrderFacts:
    number: str
    status: str
    active: bool
    currency: str
    vendor_id: int | None


@dataclass(frozen=True)
class CheckFacts:
    kind_label: str = "Invoice"
    vendor_id: int | None = None
    vendor_label: str = ""
    vendor_active: bool = True
    vendor_reason: str = ""
    invoice_number: str = ""
    invoice_date: date | None = None
    currency: str = ""
    subtotal: Decimal | None = None
    tax: Decimal | None = None
    total: Decimal | None = None
    po_number: str = ""
    purchase_order: PurchaseOrderFacts | None = None
    lines: tuple[LineFacts, ...] = ()
    same_number: tuple[OtherInvoice, ...] = ()
    near_duplicates: tuple[OtherInvoice, ...] = ()
    needs_manual_entry: bool = False
    manual_entry_reason: str = ""
    extraction_warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    message: str
    line_number: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    discriminator: str = ""

    @property
    def key(self) -> str:
        return f"{self.code}:{self.line_number or ''}:{self.discriminator}"[:200]


def invoice_checks(facts: CheckFacts) -> tuple[Finding, ...]:
    findings: list[Finding] = []
    findings += _manual_entry(facts)
    findings += _required(facts)
    findings += _vendor(facts)
    findings += _duplicates(facts)
    findings += _totals(facts)
    findings += _purchase_order(facts)
    findings += _matching(facts)
    findings += [
        Finding("extraction_warning", INFO, f"Extraction: {warning}.", discriminator=warning[:80])
        for warning in facts.extraction_warnings
    ]
    return tuple(findings)


def _manual_entry(facts: CheckFacts) -> list[Finding]:
    if not facts.needs_manual_entry:
        return []
    reason = facts.manual_entry_reason or "the document could not be read"
    return [Finding("manual_entry_needed", WARNING, f"Enter the fields by hand: {reason}.")]


def _required(facts: CheckFacts) -> list[Finding]:
    values = {
        "vendor": facts.vendor_id,
        "invoice_number": facts.invoice_number,
        "invoice_date": facts.invoice_date,
        "currency": facts.currency,
        "total": facts.total,
    }
    missing = [label for name, label in REQUIRED_FIELDS if values[name] in (None, "")]
    if not missing:
        return []
    return [
        Finding(
            "missing_fields",
            ERROR,
            "Missing " + ", ".join(missing) + ".",
            data={"fields": missing},
            discriminator=",".join(missing),
        )
    ]


def _vendor(facts: CheckFacts) -> list[Finding]:
    if facts.vendor_id is None:
        return [Finding("unknown_vendor", WARNING, facts.vendor_reason or "The vendor is not known.")]
    if not facts.vendor_active:
        return [
            Finding(
                "inactive_vendor",
                ERROR,
                f"Vendor {facts.vendor_label} is inactive in the ERP; the ERP will refuse the bill.",
                discriminator=str(facts.vendor_id),
            )
        ]
    return []


def _duplicates(facts: CheckFacts) -> list[Finding]:
    findings = []
    for other in facts.same_number:
        findings.append(
            Finding(
                "duplicate_invoice",
                ERROR,
                f"Invoice number {facts.invoice_number} from this vendor is already on "
                f"{other.invoice_number or 'invoice'} #{other.id} ({other.status_label}).",
                data={"invoice_id": other.id},
                discriminator=str(other.id),
            )
        )
    for other in facts.near_duplicates:
        findings.append(
            Finding(
                "possible_duplicate",
                WARNING,
                f"Same vendor and amount {other.total} as {other.invoice_number or 'invoice'} #{other.id} "
                f"dated {other.invoice_date} ({other.status_label}): possibly the same invoice.",
                data={"invoice_id": other.id},
                discriminator=str(other.id),
            )
        )
    return findings


def _totals(facts: CheckFacts) -> list[Finding]:
    findings = []
    for line in facts.lines:
        if line.quantity is None or line.unit_price is None:
            continue
        expected = line.quantity * line.unit_price
        if abs(abs(expected) - abs(line.amount)) > ROUNDING:
            findings.append(
                Finding(
                    "line_amount_mismatch",
                    WARNING,
                    f"Line {line.line_number}: {_plain(line.quantity)} x {_plain(line.unit_price)} is "
                    f"{expected.quantize(Decimal('0.01'))}, not {line.amount}.",
                    line_number=line.line_number,
                    discriminator=f"{line.amount}",
                )
            )
    lines_total = sum((line.amount for line in facts.lines), Decimal("0"))
    tolerance = ROUNDING * max(1, len(facts.lines))
    if facts.lines and facts.subtotal is not None and abs(lines_total - facts.subtotal) > tolerance:
        findings.append(
            Finding(
                "totals_mismatch",
                ERROR,
                f"The lines add up to {lines_total}, but the subtotal is {facts.subtotal}.",
                discriminator=f"lines:{lines_total}:{facts.subtotal}",
            )
        )
    base = facts.subtotal if facts.subtotal is not None else (lines_total if facts.lines else None)
    if base is not None and facts.total is not None:
        expected_total = base + (facts.tax or Decimal("0"))
        if abs(expected_total - facts.total) > ROUNDING:
            what = "subtotal" if facts.subtotal is not None else "lines"
            findings.append(
                Finding(
                    "totals_mismatch",
                    ERROR,
                    f"The {what} ({base}) plus tax ({facts.tax or Decimal('0.00')}) make {expected_total}, "
                    f"but the total is {facts.total}.",
                    discriminator=f"total:{expected_total}:{facts.total}",
                )
            )
    return findings


def _purchase_order(facts: CheckFacts) -> list[Finding]:
    order = facts.purchase_order
    if order is None:
        if facts.po_number:
            return [
                Finding(
                    "purchase_order_not_found",
                    WARNING,
                    f"PO {facts.po_number} is not among this entity's purchase orders.",
                    discriminator=facts.po_number,
                )
            ]
        return []
    findings = []
    if order.status != "open" or not order.active:
        findings.append(
            Finding(
                "closed_purchase_order",
                ERROR,
                f"PO {order.number} is {order.status if order.active else 'inactive'}; it cannot be billed.",
                discriminator=order.number,
            )
        )
    if order.vendor_id is not None and facts.vendor_id is not None and order.vendor_id != facts.vendor_id:
        findings.append(
            Finding(
                "purchase_order_vendor_mismatch",
                WARNING,
                f"PO {order.number} belongs to another vendor.",
                discriminator=order.number,
            )
        )
    if order.currency and facts.currency and order.currency != facts.currency:
        findings.append(
            Finding(
                "purchase_order_currency_mismatch",
                WARNING,
                f"PO {order.number} is in {order.currency}, the invoice in {facts.currency}.",
                discriminator=order.number,
            )
        )
    return findings


_PROBLEM_CODES = {
    MatchProblem.PRICE: "price_variance",
    MatchProblem.OVER_ORDERED: "quantity_over_ordered",
    MatchProblem.OVER_RECEIVED: "quantity_over_received",
}


def _matching(facts: CheckFacts) -> list[Finding]:
    if facts.purchase_order is None:
        return []
    findings = []
    for line in facts.lines:
        match = line.match
        if match is None:
            continue
        if match.purchase_order_line_id is None:
            findings.append(
                Finding(
                    "line_not_on_purchase_order",
                    WARNING,
                    f"Line {line.line_number} ({line.description or 'no description'}) is not on PO "
                    f"{facts.purchase_order.number}.",
                    line_number=line.line_number,
                )
            )
            continue
        for problem, message in zip(match.problems, match.problem_messages, strict=True):
            findings.append(
                Finding(
                    _PROBLEM_CODES[problem],
                    ERROR,
                    f"Line {line.line_number}: {message}",
                    line_number=line.line_number,
                    data={"variance_amount": str(match.variance_amount)},
                    discriminator=f"{match.purchase_order_line_id}",
                )
            )
    return findings


def near_duplicate_window(invoice_date: date) -> tuple[date, date]:
    return invoice_date - timedelta(days=NEAR_DUPLICATE_DAYS), invoice_date + timedelta(
        days=NEAR_DUPLICATE_DAYS
    )


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")
