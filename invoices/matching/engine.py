"""Two- and three-way matching at line level. Pure: frozen facts in, a frozen result out; no database.

An invoice line is paired with a purchase-order line (kept when a person chose it, else found by
description, item and price), then compared:

* price: the invoice's unit price against the PO line's;
* quantity, two-way: what the line bills against what is left to bill of the ordered quantity;
* quantity, three-way: ... and against what is left to bill of the received quantity.

"Left to bill" subtracts what was billed before: the ERP's billed quantity, quantities approved here but
not yet posted, and other invoices in review or approval. That is how one PO is billed across several
invoices. A variance is within tolerance when it is inside the percentage and its money effect is not
above the absolute amount (when one is set).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from rapidfuzz import fuzz

ENGINE_VERSION = "1.0"
HUNDRED = Decimal("100")
CENT = Decimal("0.01")
# Pairs scoring below this are not paired automatically.
PAIRING_THRESHOLD = 0.55


class LineMatchStatus(StrEnum):
    MATCHED = "matched"
    VARIANCE = "variance"
    UNMATCHED = "unmatched"


class MatchKind(StrEnum):
    TWO_WAY = "two_way"
    THREE_WAY = "three_way"


class MatchProblem(StrEnum):
    PRICE = "price_variance"
    OVER_ORDERED = "quantity_over_ordered"
    OVER_RECEIVED = "quantity_over_received"


class OverallMatchStatus(StrEnum):
    NOT_APPLICABLE = "not_applicable"
    MATCHED = "matched"
    EXCEPTIONS = "exceptions"
    UNMATCHED = "unmatched"


@dataclass(frozen=True)
class Tolerances:
    quantity_percent: Decimal = Decimal("0")
    price_percent: Decimal = Decimal("0")
    amount: Decimal | None = None


@dataclass(frozen=True)
class PurchaseOrderLineFacts:
    id: int
    line_number: int
    description: str
    item_external_id: str
    unit_price: Decimal
    quantity_ordered: Decimal
    quantity_received: Decimal
    # Billed before this invoice: ERP billed + approved here, not posted + other invoices in flight.
    quantity_previously_billed: Decimal


@dataclass(frozen=True)
class InvoiceLineFacts:
    line_number: int
    description: str
    quantity: Decimal | None
    unit_price: Decimal | None
    amount: Decimal
    item_external_id: str = ""
    # Set when a person chose the PO line: kept as is.
    purchase_order_line_id: int | None = None


@dataclass(frozen=True)
class LineMatch:
    line_number: int
    status: LineMatchStatus
    purchase_order_line_id: int | None = None
    kind: MatchKind | None = None
    problems: tuple[MatchProblem, ...] = ()
    # One sentence per problem, in the same order.
    problem_messages: tuple[str, ...] = ()
    paired_by: str = ""
    purchase_order_unit_price: Decimal | None = None
    price_difference_percent: Decimal | None = None
    quantity_invoiced: Decimal | None = None
    quantity_ordered: Decimal | None = None
    quantity_received: Decimal | None = None
    quantity_previously_billed: Decimal | None = None
    quantity_available: Decimal | None = None
    variance_amount: Decimal = Decimal("0")
    message: str = ""

    def to_dict(self) -> dict[str, object]:
        def text(value: Decimal | None) -> str | None:
            return None if value is None else format(value.normalize(), "f")

        return {
            "status": self.status.value,
            "purchase_order_line_id": self.purchase_order_line_id,
            "kind": self.kind.value if self.kind else None,
            "problems": [problem.value for problem in self.problems],
            "problem_messages": list(self.problem_messages),
            "paired_by": self.paired_by,
            "purchase_order_unit_price": text(self.purchase_order_unit_price),
            "price_difference_percent": text(self.price_difference_percent),
            "quantity_invoiced": text(self.quantity_invoiced),
            "quantity_ordered": text(self.quantity_ordered),
            "quantity_received": text(self.quantity_received),
            "quantity_previously_billed": text(self.quantity_previously_billed),
            "quantity_available": text(self.quantity_available),
            "variance_amount": text(self.variance_amount),
            "message": self.message,
            "engine_version": ENGINE_VERSION,
        }


@dataclass(frozen=True)
class MatchResult:
    status: OverallMatchStatus
    lines: tuple[LineMatch, ...] = field(default_factory=tuple)

    def line(self, line_number: int) -> LineMatch | None:
        return next((line for line in self.lines if line.line_number == line_number), None)


def invoice_match(
    *,
    lines: Sequence[InvoiceLineFacts],
    purchase_order_lines: Sequence[PurchaseOrderLineFacts],
    tolerances: Tolerances,
    three_way: str = "item_lines",
    is_credit: bool = False,
) -> MatchResult:
    """Match ``lines`` against one purchase order's lines.

    ``three_way`` is "always", "item_lines" (three-way where the PO line has an item) or "never". Credit
    memos are checked for price only: they reduce what was billed, they cannot over-bill.
    """
    if not purchase_order_lines:
        return MatchResult(
            OverallMatchStatus.UNMATCHED,
            tuple(LineMatch(line.line_number, LineMatchStatus.UNMATCHED) for line in lines),
        )
    pairs = _pair(lines, purchase_order_lines)
    by_id = {po_line.id: po_line for po_line in purchase_order_lines}
    # Several lines of this invoice may bill the same PO line: each sees the ones before it.
    billed_here: dict[int, Decimal] = {}
    results = []
    for line in lines:
        paired = pairs.get(line.line_number)
        if paired is None:
            results.append(
                LineMatch(
                    line.line_number,
                    LineMatchStatus.UNMATCHED,
                    message="No purchase-order line matches this line.",
                )
            )
            continue
        po_line_id, paired_by = paired
        po_line = by_id[po_line_id]
        kind = _kind(po_line, three_way)
        earlier = billed_here.get(po_line.id, Decimal("0"))
        results.append(_line_compare(line, po_line, kind, paired_by, earlier, tolerances, is_credit))
        if not is_credit:
            billed_here[po_line.id] = earlier + _quantity_of(line, po_line)
    paired_count = sum(1 for result in results if result.purchase_order_line_id is not None)
    if paired_count == 0:
        status = OverallMatchStatus.UNMATCHED
    elif all(result.status == LineMatchStatus.MATCHED for result in results):
        status = OverallMatchStatus.MATCHED
    else:
        status = OverallMatchStatus.EXCEPTIONS
    return MatchResult(status, tuple(results))


def _kind(po_line: PurchaseOrderLineFacts, three_way: str) -> MatchKind:
    if three_way == "always" or (three_way == "item_lines" and po_line.item_external_id):
        return MatchKind.THREE_WAY
    return MatchKind.TWO_WAY


def _quantity_of(line: InvoiceLineFacts, po_line: PurchaseOrderLineFacts) -> Decimal:
    """The line's quantity, or for a line printed without one, its amount at the PO price."""
    if line.quantity is not None:
        return abs(line.quantity)
    if po_line.unit_price:
        return (abs(line.amount) / po_line.unit_price).quantize(Decimal("0.0001"))
    return Decimal("0")


def _unit_price_of(line: InvoiceLineFacts) -> Decimal | None:
    if line.unit_price is not None:
        return abs(line.unit_price)
    if line.quantity:
        return abs(line.amount / line.quantity)
    return None


def _within(excess: Decimal, base: Decimal, percent: Decimal, money: Decimal, tolerances: Tolerances) -> bool:
    if excess <= 0:
        return True
    if base <= 0 or excess > base * percent / HUNDRED:
        return False
    return tolerances.amount is None or money <= tolerances.amount


def _line_compare(
    line: InvoiceLineFacts,
    po_line: PurchaseOrderLineFacts,
    kind: MatchKind,
    paired_by: str,
    billed_earlier_here: Decimal,
    tolerances: Tolerances,
    is_credit: bool,
) -> LineMatch:
    quantity = _quantity_of(line, po_line)
    unit_price = _unit_price_of(line)
    problems: list[MatchProblem] = []
    messages: list[str] = []
    variance = Decimal("0")

    difference_percent = None
    if unit_price is not None and po_line.unit_price:
        difference = unit_price - po_line.unit_price
        difference_percent = (difference / po_line.unit_price * HUNDRED).quantize(CENT)
        money = (abs(difference) * quantity).quantize(CENT)
        if not _within(abs(difference), po_line.unit_price, tolerances.price_percent, money, tolerances):
            problems.append(MatchProblem.PRICE)
            variance += money
            messages.append(
                f"Unit price {_plain(unit_price)} differs from the PO price {_plain(po_line.unit_price)} "
                f"by {_signed(difference_percent)}%."
            )

    previously = po_line.quantity_previously_billed + billed_earlier_here
    available_ordered = po_line.quantity_ordered - previously
    available_received = po_line.quantity_received - previously
    available = available_received if kind == MatchKind.THREE_WAY else available_ordered
    if not is_credit:
        over_ordered = quantity - available_ordered
        money = (max(over_ordered, Decimal("0")) * po_line.unit_price).quantize(CENT)
        if not _within(
            over_ordered, po_line.quantity_ordered, tolerances.quantity_percent, money, tolerances
        ):
            problems.append(MatchProblem.OVER_ORDERED)
            variance += money
            messages.append(
                f"Bills {_plain(quantity)} but only {_plain(max(available_ordered, Decimal('0')))} of the "
                f"{_plain(po_line.quantity_ordered)} ordered are left to bill."
            )
        if kind == MatchKind.THREE_WAY:
            over_received = quantity - available_received
            money = (max(over_received, Decimal("0")) * po_line.unit_price).quantize(CENT)
            if not _within(
                over_received, po_line.quantity_received, tolerances.quantity_percent, money, tolerances
            ):
                problems.append(MatchProblem.OVER_RECEIVED)
                variance += money
                messages.append(
                    f"Bills {_plain(quantity)} but only {_plain(max(available_received, Decimal('0')))} "
                    f"received are left to bill ({_plain(po_line.quantity_received)} received)."
                )
    return LineMatch(
        line.line_number,
        LineMatchStatus.VARIANCE if problems else LineMatchStatus.MATCHED,
        purchase_order_line_id=po_line.id,
        kind=kind,
        problems=tuple(problems),
        problem_messages=tuple(messages),
        paired_by=paired_by,
        purchase_order_unit_price=po_line.unit_price,
        price_difference_percent=difference_percent,
        quantity_invoiced=quantity,
        quantity_ordered=po_line.quantity_ordered,
        quantity_received=po_line.quantity_received,
        quantity_previously_billed=previously,
        quantity_available=available,
        variance_amount=variance,
        message=" ".join(messages) if messages else "Within tolerance.",
    )


def _pair(
    lines: Sequence[InvoiceLineFacts], purchase_order_lines: Sequence[PurchaseOrderLineFacts]
) -> dict[int, tuple[int, str]]:
    """invoice line number -> (PO line id, how it was paired). Chosen pairs are kept; the rest greedily."""
    known = {po_line.id for po_line in purchase_order_lines}
    pairs: dict[int, tuple[int, str]] = {}
    for line in lines:
        if line.purchase_order_line_id in known:
            pairs[line.line_number] = (line.purchase_order_line_id, "person")  # type: ignore[assignment]
    open_lines = [line for line in lines if line.line_number not in pairs]
    taken = {po_line_id for po_line_id, _ in pairs.values()}
    free = [po_line for po_line in purchase_order_lines if po_line.id not in taken]
    if len(open_lines) == 1 and len(free) == 1 and not pairs:
        pairs[open_lines[0].line_number] = (free[0].id, "only line")
        return pairs
    scored = sorted(
        (
            (_pair_score(line, po_line), -line.line_number, -po_line.line_number, line, po_line)
            for line in open_lines
            for po_line in free
        ),
        key=lambda entry: entry[:3],
        reverse=True,
    )
    for score, _, _, line, po_line in scored:
        if score < PAIRING_THRESHOLD:
            break
        if line.line_number in pairs or po_line.id in taken:
            continue
        pairs[line.line_number] = (po_line.id, "item" if _same_item(line, po_line) else "description")
        taken.add(po_line.id)
    return pairs


def _same_item(line: InvoiceLineFacts, po_line: PurchaseOrderLineFacts) -> bool:
    return bool(line.item_external_id) and line.item_external_id == po_line.item_external_id


def _pair_score(line: InvoiceLineFacts, po_line: PurchaseOrderLineFacts) -> float:
    if _same_item(line, po_line):
        return 1.0
    text = fuzz.token_set_ratio(line.description.lower(), po_line.description.lower()) / 100
    unit_price = _unit_price_of(line)
    price = 0.0
    if unit_price is not None and po_line.unit_price:
        price = max(0.0, 1 - float(abs(unit_price - po_line.unit_price) / po_line.unit_price))
    return 0.75 * text + 0.25 * price


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _signed(value: Decimal) -> str:
    return f"+{_plain(value)}" if value > 0 else _plain(value)
