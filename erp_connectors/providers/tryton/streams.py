"""The seven pulled data types: which Tryton model, which rows, which fields, and how pages are cut.

Incremental pulls use ``last_modified_at`` (Tryton's ``coalesce(write_date, create_date)``, searchable
and sortable): a record comes back when it, or a related row whose change counts as its own (a
purchase's lines and their moves, a party's addresses...), changed at or after ``since`` minus the
overlap window. Pages are sorted by the record's own ``last_modified_at`` then id and cut with a keyset
on that pair, so rows changed while a pull runs are neither skipped nor stuck; a page's watermark is
the last record's own change time (never earlier than ``since``), which is safe because every row
still to come sorts after it. Archived rows are read too (``active_test`` off) and come back inactive.
Deletes leave no trace in Tryton: ``list_ids`` gives the live ids for the reconciliation pass.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

from erp_connectors.errors import BadRecordError
from erp_connectors.providers.tryton import mapping
from erp_connectors.providers.tryton.client import Record, TrytonClient
from erp_connectors.providers.tryton.queries import (
    ALL_RECORDS,
    KEYSET_ORDER,
    Scope,
    changed_since_domain,
    expense_accounts_by_category,
    ids_of,
    rows_by_id,
    rows_paged,
    watermark_after,
)
from erp_connectors.records import Page, PulledRecord, RecordFailure, RemoteStamp, Stream

FETCH_CHUNK = 500


class StreamReader(abc.ABC):
    """One data type. Subclasses name the model, domain and fields, load related rows and map."""

    stream: ClassVar[Stream]
    model: ClassVar[str]
    fields: ClassVar[tuple[str, ...]]
    # Relations whose rows' changes count as a change of the record itself.
    related: ClassVar[tuple[str, ...]] = ()

    def domain(self, client: TrytonClient, scope: Scope) -> list[Any]:
        return [("company", "=", scope.company_id)]

    def related_load(self, client: TrytonClient, rows: Sequence[Record], scope: Scope) -> Any:
        """Read in batches what mapping ``rows`` needs; returned to ``record_map``."""
        return None

    @abc.abstractmethod
    def record_map(self, row: Record, related: Any) -> PulledRecord: ...

    # -- shared mechanics ----------------------------------------------------------------------

    def rows_read(
        self,
        client: TrytonClient,
        domain: list[Any],
        *,
        limit: int | None,
        fields: Iterable[str] | None = None,
    ) -> list[Record]:
        names = list(dict.fromkeys([*(fields or self.fields), "last_modified_at"]))
        return client.search_read(
            self.model, domain, names, order=KEYSET_ORDER, limit=limit, context=ALL_RECORDS
        )

    def page_build(
        self, client: TrytonClient, rows: Sequence[Record], scope: Scope, watermark: dt.datetime | None
    ) -> Page:
        related = self.related_load(client, rows, scope) if rows else None
        records: list[PulledRecord] = []
        failures: list[RecordFailure] = []
        for row in rows:
            try:
                records.append(self.record_map(row, related))
            except BadRecordError as error:
                failures.append(RecordFailure(external_id=error.external_id, reason=error.message))
            except (KeyError, TypeError, ValueError, AttributeError) as error:
                failures.append(
                    RecordFailure(external_id=str(row.get("id")), reason=f"cannot map: {error!r}")
                )
        return Page(stream=self.stream, records=tuple(records), watermark=watermark, failures=tuple(failures))

    def pages(
        self,
        client: TrytonClient,
        scope: Scope,
        since: dt.datetime | None,
        *,
        page_size: int,
        overlap: dt.timedelta,
    ) -> Iterator[Page]:
        domain = self.domain(client, scope)
        if since is not None:
            domain = [*domain, changed_since_domain(since - overlap, self.related)]
        empty = True
        for rows in rows_paged(client, self.model, domain, self.fields, page_size=page_size):
            empty = False
            yield self.page_build(client, rows, scope, watermark_after(rows, since))
        if empty:
            yield Page(stream=self.stream, records=(), watermark=since)

    def fetch(self, client: TrytonClient, scope: Scope, external_ids: Iterable[str]) -> Page:
        wanted = list(dict.fromkeys(external_ids))
        ids = [int(value) for value in wanted if value.isdigit()]
        rows: list[Record] = []
        for start in range(0, len(ids), FETCH_CHUNK):
            chunk = ids[start : start + FETCH_CHUNK]
            rows.extend(
                self.rows_read(client, [*self.domain(client, scope), ("id", "in", chunk)], limit=None)
            )
        found = {str(row["id"]) for row in rows}
        page = self.page_build(client, rows, scope, None)
        missing = tuple(value for value in wanted if value not in found)
        return Page(
            stream=self.stream, records=page.records, failures=page.failures, deleted_external_ids=missing
        )

    def stamps(self, client: TrytonClient, scope: Scope, *, page_size: int) -> Iterator[RemoteStamp]:
        for rows in rows_paged(client, self.model, self.domain(client, scope), ["id"], page_size=page_size):
            for row in rows:
                yield RemoteStamp(external_id=str(row["id"]), updated_at=mapping.changed_at(row))

    def probe(self, client: TrytonClient, scope: Scope) -> None:
        """Read one row: raises when the integration user may not read this stream."""
        self.rows_read(client, self.domain(client, scope), limit=1, fields=["id"])


class VendorReader(StreamReader):
    """Suppliers are parties in the vendor category (setting ``vendor_category``, default "Suppliers")
    or any of its subcategories: Tryton has no supplier flag and any party can be bought from. With
    the setting empty, every party is a vendor."""

    stream = Stream.VENDORS
    model = "party.party"
    fields = (
        "code",
        "name",
        "active",
        "email",
        "phone",
        "tax_identifier.code",
        "supplier_payment_term.name",
        "supplier_currency.code",
        "addresses",
        "bank_accounts",
        "addresses.last_modified_at",
        "contact_mechanisms.last_modified_at",
        "identifiers.last_modified_at",
    )
    related = ("addresses", "contact_mechanisms", "identifiers")

    def domain(self, client: TrytonClient, scope: Scope) -> list[Any]:
        if not scope.vendor_category:
            return []
        if scope.vendor_category_ids is None:
            roots = client.search(
                "party.category", [("name", "=", scope.vendor_category)], context=ALL_RECORDS
            )
            children = client.search("party.category", [("parent", "child_of", roots)], context=ALL_RECORDS)
            scope.vendor_category_ids = list(dict.fromkeys([*roots, *children]))
        return [("categories", "in", scope.vendor_category_ids)]

    def related_load(self, client: TrytonClient, rows: Sequence[Record], scope: Scope) -> Any:
        addresses = client.read(
            "party.address",
            ids_of(rows, "addresses"),
            [
                "party",
                "sequence",
                "invoice",
                "street",
                "city",
                "postal_code",
                "subdivision.code",
                "country.code",
            ],
            context=ALL_RECORDS,
        )
        accounts = client.read(
            "bank.account",
            ids_of(rows, "bank_accounts"),
            ["active", "numbers.number", "numbers.number_compact", "numbers.type", "numbers.sequence"],
        )
        return rows_by_id(addresses), rows_by_id(accounts)

    def record_map(self, row: Record, related: Any) -> PulledRecord:
        addresses, accounts = related
        party_addresses = [addresses[i] for i in row.get("addresses") or [] if i in addresses]
        # The invoice address when one is marked, else the first by sequence.
        party_addresses.sort(key=lambda address: (not address.get("invoice"), address.get("sequence") or 0))
        numbers = [
            number
            for account_id in row.get("bank_accounts") or []
            if account_id in accounts and accounts[account_id].get("active", True)
            for number in mapping.nested_list(accounts[account_id], "numbers")
        ]
        return mapping.vendor_map(
            row,
            address=party_addresses[0] if party_addresses else None,
            bank_account_number=mapping.bank_account_number_pick(numbers),
        )


class PurchaseOrderReader(StreamReader):
    """Confirmed purchases and later states; drafts and quotations are not orders yet."""

    stream = Stream.PURCHASE_ORDERS
    model = "purchase.purchase"
    fields = (
        "number",
        "reference",
        "party",
        "purchase_date",
        "currency.code",
        "state",
        "invoice_method",
        "invoice_state",
        "shipment_state",
        "total_amount",
        "lines",
    )
    related = ("lines", "lines.moves", "lines.invoice_lines")

    def domain(self, client: TrytonClient, scope: Scope) -> list[Any]:
        return [
            ("company", "=", scope.company_id),
            ("state", "in", ["confirmed", "processing", "done", "cancelled"]),
        ]

    def related_load(self, client: TrytonClient, rows: Sequence[Record], scope: Scope) -> Any:
        lines = client.read(
            "purchase.line",
            ids_of(rows, "lines"),
            [
                "type",
                "product",
                "description",
                "quantity",
                "unit_price",
                "amount",
                "moves",
                "invoice_lines",
                "analytic_accounts",
                "last_modified_at",
            ],
        )
        moves = client.read(
            "stock.move",
            ids_of(lines, "moves"),
            ["state", "quantity", "from_location.type", "to_location.type", "last_modified_at"],
        )
        invoice_lines = client.read(
            "account.invoice.line",
            ids_of(lines, "invoice_lines"),
            ["quantity", "invoice.state", "last_modified_at"],
        )
        entries = client.read(
            "analytic.account.entry",
            ids_of(lines, "analytic_accounts"),
            ["account", "root.code", "root.name"],
        )
        products = client.read(
            "product.product", ids_of(lines, "product"), ["account_category"], context=ALL_RECORDS
        )
        categories = expense_accounts_by_category(client, scope)
        expense_accounts = {
            product["id"]: categories.get(product["account_category"])
            for product in products
            if product.get("account_category")
        }
        return (
            rows_by_id(lines),
            rows_by_id(moves),
            rows_by_id(invoice_lines),
            rows_by_id(entries),
            expense_accounts,
        )

    def record_map(self, row: Record, related: Any) -> PulledRecord:
        lines, moves, invoice_lines, entries, expense_accounts = related
        return mapping.purchase_order_map(
            row,
            lines=[lines[i] for i in row.get("lines") or [] if i in lines],
            moves=moves,
            invoice_lines=invoice_lines,
            analytic_entries=entries,
            expense_accounts=expense_accounts,
        )


class AccountReader(StreamReader):
    stream = Stream.ACCOUNTS
    model = "account.account"
    fields = ("code", "name", "type", "type.name", "parent", "closed", "active", "left", "right")

    def related_load(self, client: TrytonClient, rows: Sequence[Record], scope: Scope) -> Any:
        types = rows_by_id(
            client.search_read(
                "account.account.type",
                [("company", "=", scope.company_id)],
                ["name", "parent", "statement", "assets", "payable", "receivable", "expense", "revenue"],
            )
        )
        accounts = client.search_read(
            "account.account",
            [("company", "=", scope.company_id)],
            ["name", "parent", "type", "left"],
            context=ALL_RECORDS,
        )
        return types, rows_by_id(accounts)

    def record_map(self, row: Record, related: Any) -> PulledRecord:
        types, accounts = related
        if row.get("type"):
            account_type = mapping.account_type_classify(row["type"], types)
        else:
            account_type = mapping.heading_account_classify(row, accounts, types)
        return mapping.account_map(row, account_type=account_type)


class EmployeeReader(StreamReader):
    stream = Stream.EMPLOYEES
    model = "company.employee"
    fields = (
        "party.name",
        "party.email",
        "party.last_modified_at",
        "supervisor",
        "active",
        "start_date",
        "end_date",
    )
    related = ("party", "party.contact_mechanisms")

    def record_map(self, row: Record, related: Any) -> PulledRecord:
        return mapping.employee_map(row)


class ItemReader(StreamReader):
    """Products (variants) with their template's name and state; not bound to a company."""

    stream = Stream.ITEMS
    model = "product.product"
    fields = (
        "code",
        "name",
        "description",
        "default_uom.symbol",
        "cost_price",
        "account_category",
        "active",
        "type",
        "purchasable",
        "template.active",
        "template.last_modified_at",
    )
    related = ("template",)

    def domain(self, client: TrytonClient, scope: Scope) -> list[Any]:
        return []

    def related_load(self, client: TrytonClient, rows: Sequence[Record], scope: Scope) -> Any:
        return expense_accounts_by_category(client, scope)

    def record_map(self, row: Record, related: Any) -> PulledRecord:
        category = row.get("account_category")
        return mapping.item_map(row, expense_account=related.get(category) if category else None)


class ReceiptReader(StreamReader):
    """Supplier shipments once received (``received`` or ``done``); lines are the moves from the supplier."""

    stream = Stream.RECEIPTS
    model = "stock.shipment.in"
    fields = ("number", "reference", "supplier", "effective_date", "state", "moves")
    related = ("moves",)

    def domain(self, client: TrytonClient, scope: Scope) -> list[Any]:
        return [("company", "=", scope.company_id), ("state", "in", ["received", "done"])]

    def related_load(self, client: TrytonClient, rows: Sequence[Record], scope: Scope) -> Any:
        moves = client.read(
            "stock.move",
            ids_of(rows, "moves"),
            [
                "origin",
                "product",
                "product.rec_name",
                "quantity",
                "state",
                "from_location.type",
                "last_modified_at",
            ],
        )
        line_ids = [
            int(line_id)
            for move in moves
            if (line_id := mapping.reference_id(move.get("origin"), "purchase.line"))
        ]
        purchase_lines = client.read("purchase.line", list(dict.fromkeys(line_ids)), ["purchase"])
        return rows_by_id(moves), {line["id"]: line["purchase"] for line in purchase_lines}

    def record_map(self, row: Record, related: Any) -> PulledRecord:
        moves, purchase_of_line = related
        shipment_moves = [moves[i] for i in row.get("moves") or [] if i in moves]
        return mapping.receipt_map(row, moves=shipment_moves, purchase_of_line=purchase_of_line)


class DimensionReader(StreamReader):
    """Analytic accounts: each root is a dimension type, the accounts below it are its values."""

    stream = Stream.DIMENSIONS
    model = "analytic_account.account"
    fields = (
        "name",
        "code",
        "type",
        "state",
        "active",
        "parent",
        "root",
        "root.code",
        "root.name",
        "root.last_modified_at",
    )
    related = ("root",)

    def domain(self, client: TrytonClient, scope: Scope) -> list[Any]:
        return [("company", "=", scope.company_id), ("type", "!=", "root")]

    def record_map(self, row: Record, related: Any) -> PulledRecord:
        return mapping.dimension_value_map(row)


READERS: Mapping[Stream, StreamReader] = {
    reader.stream: reader
    for reader in (
        VendorReader(),
        PurchaseOrderReader(),
        AccountReader(),
        EmployeeReader(),
        ItemReader(),
        ReceiptReader(),
        DimensionReader(),
    )
}
