"""Supplier invoices and credit notes pushed to Tryton, found again, and their payment status.

Tryton has one supplier document, ``account.invoice`` with ``type = "in"``; a credit note is one with
negative quantities (numbered from the credit-note sequence). What goes where:

- ``reference``: the supplier's own invoice or credit number (Tryton warns on a duplicate per party);
- ``description``: **our reference**, searched by ``find_posted``; ``comment``: the memo;
- lines: ``origin = "purchase.line,<id>"`` links a line to its purchase line (Tryton's billed quantity
  and the purchase's invoice state follow it), ``stock_moves`` to the received moves, and
  ``analytic_accounts`` carry the dimensions.

Tryton knows no idempotency key, so exactly-once comes from ``find_posted``. A push creates the draft,
checks that Tryton computes the approved total, then validates and posts it. When Tryton refuses, the
draft is removed again, so that the retry after the user's fix starts clean; a draft left behind by a
push that died half-way is removed by the next attempt for the same reference.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from erp_connectors.errors import ConnectorError, RejectedError
from erp_connectors.providers.tryton import mapping
from erp_connectors.providers.tryton.client import Record, TrytonClient
from erp_connectors.providers.tryton.queries import (
    ALL_RECORDS,
    Scope,
    expense_accounts_by_category,
    rows_by_id,
    rows_paged,
    watermark_after,
)
from erp_connectors.records import (
    Attachment,
    Bill,
    PayableLine,
    PaymentPage,
    PostedDocument,
    PostedKind,
    VendorCredit,
)

INVOICE = "account.invoice"
POSTED_STATES = ("posted", "paid", "cancelled")
PAYMENT_FIELDS = (
    "state",
    "total_amount",
    "amount_to_pay",
    "reconciled",
    "description",
    "sequence_type_cache",
)


def posted_document_map(row: Record) -> PostedDocument:
    return PostedDocument(
        external_id=str(row["id"]),
        reference=mapping.text(row.get("description")),
        kind=mapping.posted_kind(row),
        number=mapping.text(row.get("number")),
        status=mapping.text(row.get("state")),
    )


def document_find(client: TrytonClient, scope: Scope, reference: str) -> PostedDocument | None:
    """Our posted (or later paid or cancelled) supplier document carrying ``reference``."""
    rows = client.search_read(
        INVOICE,
        [
            ("company", "=", scope.company_id),
            ("type", "=", "in"),
            ("description", "=", reference),
            ("state", "in", list(POSTED_STATES)),
        ],
        ["number", "state", "description", "total_amount", "sequence_type_cache"],
        order=[("id", "ASC")],
        limit=1,
    )
    return posted_document_map(rows[0]) if rows else None


def _drafts_remove(client: TrytonClient, invoice_ids: Sequence[int]) -> None:
    """Remove unposted invoices of a failed push: a validated one goes back to draft first."""
    if not invoice_ids:
        return
    # The original refusal matters more than a failed clean-up, which the next attempt repeats.
    with contextlib.suppress(ConnectorError):
        validated = client.search(INVOICE, [("id", "in", list(invoice_ids)), ("state", "=", "validated")])
        if validated:
            client.button(INVOICE, "draft", validated)
        client.delete(INVOICE, invoice_ids)


def _id_of(value: str, what: str) -> int:
    if not value.isdigit():
        raise RejectedError(f"{what} {value!r} is not a Tryton id", field=what)
    return int(value)


class DocumentWriter:
    """Builds and posts one supplier document. Reads what Tryton's form would fill in by itself:
    RPC creates run no on-change logic (journal, payable account, address, taxes)."""

    def __init__(self, client: TrytonClient, scope: Scope, journal_code: str = "") -> None:
        self.client = client
        self.scope = scope
        self.journal_code = journal_code

    def push(
        self,
        *,
        kind: PostedKind,
        reference: str,
        vendor_external_id: str,
        supplier_number: str,
        document_date: dt.date,
        currency: str,
        lines: Sequence[PayableLine],
        tax: Decimal,
        total: Decimal,
        memo: str,
        due_date: dt.date | None = None,
        attachment: Attachment | None = None,
    ) -> PostedDocument:
        client = self.client
        found = document_find(client, self.scope, reference)
        if found is not None:
            return found
        leftovers = client.search(
            INVOICE,
            [
                ("company", "=", self.scope.company_id),
                ("type", "=", "in"),
                ("description", "=", reference),
                ("state", "in", ["draft", "validated"]),
            ],
        )
        _drafts_remove(client, leftovers)
        sign = -1 if kind == PostedKind.VENDOR_CREDIT else 1
        values = self._header(vendor_external_id, supplier_number, document_date, currency, due_date)
        values.update(description=reference, comment=memo)
        values["lines"] = [("create", self._lines(lines, sign, taxed=tax != 0))]
        (invoice_id,) = client.create(INVOICE, [values])
        try:
            (draft,) = client.read(INVOICE, [invoice_id], ["total_amount"])
            if draft["total_amount"] != total * sign:
                raise RejectedError(
                    f"Tryton computes a total of {abs(draft['total_amount'])} {currency} for this document, "
                    f"the approved document says {total} {currency}",
                    code="total_mismatch",
                )
            if attachment is not None:
                self._attach(invoice_id, attachment)  # before posting: a retry finds it complete
            client.button(INVOICE, "validate_invoice", [invoice_id])
            client.button(INVOICE, "post", [invoice_id])
        except RejectedError:
            _drafts_remove(client, [invoice_id])
            raise
        (posted,) = client.read(
            INVOICE, [invoice_id], ["number", "state", "description", "total_amount", "sequence_type_cache"]
        )
        return posted_document_map(posted)

    def _header(
        self,
        vendor: str,
        supplier_number: str,
        document_date: dt.date,
        currency: str,
        due_date: dt.date | None,
    ) -> dict[str, Any]:
        client = self.client
        party_id = _id_of(vendor, "vendor")
        parties = client.read(
            "party.party",
            [party_id],
            ["name", "active", "account_payable", "supplier_payment_term"],
            context=ALL_RECORDS,
        )
        if not parties:
            raise RejectedError(f"vendor {vendor} does not exist in Tryton", field="vendor")
        if not parties[0].get("active"):
            # Tryton would take it: an archived party is still a valid invoice party there.
            raise RejectedError(f"vendor {parties[0]['name']} is archived in Tryton", field="vendor")
        party = parties[0]
        currencies = client.search("currency.currency", [("code", "=", currency)], limit=1)
        if not currencies:
            raise RejectedError(f"currency {currency} does not exist in Tryton", field="currency")
        payable = party.get("account_payable")
        if not payable:
            (configuration,) = client.read("account.configuration", [1], ["default_account_payable"])
            payable = configuration.get("default_account_payable")
        journal_domain: list[Any] = [("type", "=", "expense")]
        if self.journal_code:
            journal_domain.append(("code", "=", self.journal_code))
        journals = client.search("account.journal", journal_domain, order=[("code", "ASC")], limit=1)
        if not journals:
            raise RejectedError("Tryton has no expense journal for supplier invoices", field="journal")
        addresses = client.search_read(
            "party.address",
            [("party", "=", party_id)],
            ["invoice"],
            order=[("sequence", "ASC"), ("id", "ASC")],
        )
        addresses.sort(key=lambda address: not address.get("invoice"))
        values: dict[str, Any] = {
            "type": "in",
            "company": self.scope.company_id,
            "party": party_id,
            "invoice_address": addresses[0]["id"] if addresses else None,
            "currency": currencies[0],
            "account": payable,
            "journal": journals[0],
            "invoice_date": document_date,
            "reference": supplier_number,
        }
        if due_date is not None:
            # No payment term: the whole amount falls due on the payment term date, the bill's due date.
            values.update(payment_term=None, payment_term_date=due_date)
        else:
            values["payment_term"] = party.get("supplier_payment_term")
        return values

    def _lines(self, lines: Sequence[PayableLine], sign: int, *, taxed: bool) -> list[dict[str, Any]]:
        """Tryton computes the taxes: a line gets its purchase line's or its product's supplier taxes,
        unless the approved document has no tax, or has per-line taxes and none on this line."""
        client = self.client
        lines_carry_tax = any(line.tax_amount for line in lines)
        purchase_line_ids = [
            _id_of(line.purchase_order_line_external_id, "purchase order line")
            for line in lines
            if line.purchase_order_line_external_id
        ]
        purchase_lines = {
            row["id"]: row
            for row in client.read("purchase.line", purchase_line_ids, ["product", "unit", "taxes"])
        }
        product_ids = {_id_of(line.item_external_id, "item") for line in lines if line.item_external_id}
        product_ids.update(row["product"] for row in purchase_lines.values() if row.get("product"))
        products = {
            row["id"]: row
            for row in client.read(
                "product.product",
                sorted(product_ids),
                ["default_uom", "account_category.supplier_taxes_used", "account_category"],
                context=ALL_RECORDS,
            )
        }
        dimension_ids = sorted(
            {_id_of(value, "dimension value") for line in lines for value in line.dimensions.values()}
        )
        dimension_values = rows_by_id(
            client.read(
                "analytic_account.account", dimension_ids, ["root", "state", "name"], context=ALL_RECORDS
            )
        )
        expense_accounts = expense_accounts_by_category(client, self.scope)
        result = []
        for number, line in enumerate(lines, start=1):
            purchase_line = purchase_lines.get(int(line.purchase_order_line_external_id or 0))
            if line.purchase_order_line_external_id and purchase_line is None:
                missing = line.purchase_order_line_external_id
                raise RejectedError(
                    f"line {number}: purchase order line {missing} is not in Tryton",
                    field="purchase_order_line",
                )
            product_id = int(line.item_external_id) if line.item_external_id else None
            if product_id is None and purchase_line is not None:
                product_id = purchase_line.get("product")
            product = products.get(product_id) if product_id else None
            account = int(line.account_external_id) if line.account_external_id.isdigit() else None
            if account is None and product is not None and product.get("account_category"):
                account = expense_accounts.get(product["account_category"])
            if account is None:
                raise RejectedError(f"line {number} has no expense account", field="account")
            values: dict[str, Any] = {
                "type": "line",
                "quantity": float(line.quantity) * sign,
                "unit_price": mapping.decimal_compact(line.unit_price),
                "account": account,
                "description": line.description,
            }
            if product is not None:
                values["product"] = product["id"]
                values["unit"] = (purchase_line or {}).get("unit") or product.get("default_uom")
            if purchase_line is not None:
                values["origin"] = f"purchase.line,{purchase_line['id']}"
                taxes = purchase_line.get("taxes") or []
            elif product is not None:
                taxes = mapping.nested(product, "account_category").get("supplier_taxes_used") or []
            else:
                taxes = []
            if not taxed or (lines_carry_tax and not line.tax_amount):
                taxes = []
            values["taxes"] = [("add", list(taxes))]
            if line.receipt_line_external_id:
                values["stock_moves"] = [("add", [_id_of(line.receipt_line_external_id, "receipt line")])]
            if line.dimensions:
                entries = []
                for dimension_type, value in line.dimensions.items():
                    dimension = dimension_values.get(int(value))
                    # Tryton itself accepts entries on a closed analytic account.
                    if dimension is None or dimension.get("state") != "opened":
                        what = f"{dimension['name']} is not open" if dimension else f"{value} does not exist"
                        raise RejectedError(
                            f"line {number}: {dimension_type} value {what} in Tryton", field="dimensions"
                        )
                    entries.append({"root": dimension["root"], "account": dimension["id"]})
                values["analytic_accounts"] = [("create", entries)]
            result.append(values)
        return result

    def _attach(self, invoice_id: int, attachment: Attachment) -> None:
        self.client.create(
            "ir.attachment",
            [
                {
                    "name": attachment.filename,
                    "resource": f"{INVOICE},{invoice_id}",
                    "type": "data",
                    "data": attachment.content,
                }
            ],
        )


def bill_push(writer: DocumentWriter, bill: Bill) -> PostedDocument:
    return writer.push(
        kind=PostedKind.BILL,
        reference=bill.reference,
        vendor_external_id=bill.vendor_external_id,
        supplier_number=bill.invoice_number,
        document_date=bill.invoice_date,
        currency=bill.currency,
        lines=bill.lines,
        tax=bill.tax,
        total=bill.total,
        memo=bill.memo,
        due_date=bill.due_date,
        attachment=bill.attachment,
    )


def vendor_credit_push(writer: DocumentWriter, credit: VendorCredit) -> PostedDocument:
    memo = credit.memo
    if credit.original_invoice_number:
        memo = f"{memo}\nCredits invoice {credit.original_invoice_number}".strip()
    return writer.push(
        kind=PostedKind.VENDOR_CREDIT,
        reference=credit.reference,
        vendor_external_id=credit.vendor_external_id,
        supplier_number=credit.credit_number,
        document_date=credit.credit_date,
        currency=credit.currency,
        lines=credit.lines,
        tax=credit.tax,
        total=credit.total,
        memo=memo,
        attachment=credit.attachment,
    )


def payment_statuses_pull(
    client: TrytonClient, scope: Scope, since: dt.datetime | None, *, page_size: int, overlap: dt.timedelta
) -> Iterator[PaymentPage]:
    """Payment status of posted supplier documents whose invoice changed since ``since``.

    Paying, part-paying and cancelling all write the invoice (its state or its payment lines), so
    its ``last_modified_at`` moves; pages are cut like the pulls (see :func:`queries.rows_paged`).
    """
    base: list[Any] = [
        ("company", "=", scope.company_id),
        ("type", "=", "in"),
        ("state", "in", list(POSTED_STATES)),
    ]
    if since is not None:
        base.append(("last_modified_at", ">=", since - overlap))
    empty = True
    for rows in rows_paged(client, INVOICE, base, PAYMENT_FIELDS, page_size=page_size):
        empty = False
        statuses = tuple(mapping.payment_status_map(row) for row in rows)
        yield PaymentPage(statuses=statuses, watermark=watermark_after(rows, since))
    if empty:
        yield PaymentPage(statuses=(), watermark=since)
