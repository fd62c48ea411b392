"""Canonical records -> rows for the mirror, with the integration's field mappings applied.

A row is a dict of ``masterdata`` column values (see ``masterdata.upserts.specs``). Field mapping puts
an ERP custom field on a standard field, or on a dimension type: the value (an ERP id or code of a value
of that type) becomes the record's default dimension (vendors) or line dimension (PO lines).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from erp_connectors import records
from sync.models import FieldMapping, MappingTargetKind


@dataclass(frozen=True)
class MappableRecordType:
    label: str
    stream: str
    fields: dict[str, str]  # standard field -> label
    dimension_field: str = ""  # the row key holding dimension type -> value id, when it has one


MAPPABLE: dict[str, MappableRecordType] = {
    "vendors": MappableRecordType(
        "Vendors",
        "vendors",
        {
            "code": "Vendor code",
            "email": "Email",
            "phone": "Phone",
            "contact_name": "Contact name",
            "tax_id": "Tax id",
            "bank_account": "Bank account",
            "payment_terms": "Payment terms",
            "currency": "Currency",
            "default_account_external_id": "Default GL account (ERP id)",
        },
        dimension_field="default_dimensions",
    ),
    "purchase_orders": MappableRecordType("Purchase orders", "purchase_orders", {"currency": "Currency"}),
    "purchase_order_lines": MappableRecordType(
        "Purchase order lines",
        "purchase_orders",
        {
            "description": "Description",
            "item_external_id": "Item (ERP id)",
            "account_external_id": "GL account (ERP id)",
        },
        dimension_field="dimensions",
    ),
    "items": MappableRecordType(
        "Items",
        "items",
        {
            "description": "Description",
            "unit_of_measure": "Unit of measure",
            "expense_account_external_id": "Expense account (ERP id)",
        },
    ),
    "employees": MappableRecordType("Employees", "employees", {"email": "Email", "department": "Department"}),
}

DimensionLookup = Callable[[str], Mapping[str, str]]


class FieldMap:
    """An integration's mappings, applied to rows as they are built.

    ``dimension_lookup(type_code)`` returns that type's value ids keyed by both ERP id and code; it is
    asked at most once per type.
    """

    def __init__(self, mappings: Iterable[FieldMapping], dimension_lookup: DimensionLookup) -> None:
        self._by_type: dict[str, list[tuple[str, str, str]]] = {}
        for mapping in mappings:
            self._by_type.setdefault(mapping.record_type, []).append(
                (mapping.source_field, mapping.target_kind, mapping.target)
            )
        self._dimension_lookup = dimension_lookup
        self._dimensions: dict[str, Mapping[str, str]] = {}

    def apply(self, record_type: str, row: dict[str, Any], custom_fields: Mapping[str, str]) -> None:
        for source, kind, target in self._by_type.get(record_type, ()):
            value = custom_fields.get(source, "")
            if not value:
                continue
            if kind == MappingTargetKind.FIELD:
                row[target] = value
                continue
            if target not in self._dimensions:
                self._dimensions[target] = self._dimension_lookup(target)
            value_id = self._dimensions[target].get(value)
            key = MAPPABLE[record_type].dimension_field
            if value_id and key:
                row[key] = {**row[key], target: value_id}


def _vendor(record: records.Vendor, field_map: FieldMap) -> dict[str, Any]:
    address = record.address
    row = {
        "external_id": record.external_id,
        "active": record.active,
        "erp_updated_at": record.updated_at,
        "name": record.name,
        "code": record.code,
        "email": record.email,
        "phone": record.phone,
        "contact_name": record.contact_name,
        "tax_id": record.tax_id,
        "bank_account": record.bank_account,
        "payment_terms": record.payment_terms,
        "currency": record.currency,
        "address_line1": address.line1,
        "address_line2": address.line2,
        "city": address.city,
        "postal_code": address.postal_code,
        "region": address.region,
        "country": address.country,
        "default_account_external_id": record.default_account_external_id,
        "default_dimensions": {},
        "custom_fields": dict(record.custom_fields),
    }
    field_map.apply("vendors", row, record.custom_fields)
    return row


def _purchase_order(record: records.PurchaseOrder, field_map: FieldMap) -> dict[str, Any]:
    lines = []
    for line in record.lines:
        line_row = {
            "external_id": line.external_id,
            "line_number": line.line_number,
            "description": line.description,
            "item_external_id": line.item_external_id,
            "account_external_id": line.account_external_id,
            "quantity_ordered": line.quantity_ordered,
            "quantity_received": line.quantity_received,
            "quantity_billed": line.quantity_billed,
            "unit_price": line.unit_price,
            "amount": line.amount,
            "dimensions": dict(line.dimensions),
            "custom_fields": dict(line.custom_fields),
        }
        field_map.apply("purchase_order_lines", line_row, line.custom_fields)
        lines.append(line_row)
    row = {
        "external_id": record.external_id,
        "active": True,
        "erp_updated_at": record.updated_at,
        "number": record.number,
        "vendor_external_id": record.vendor_external_id,
        "status": record.status.value,
        "currency": record.currency,
        "order_date": record.order_date,
        "total": record.total,
        "custom_fields": dict(record.custom_fields),
        "lines": lines,
    }
    field_map.apply("purchase_orders", row, record.custom_fields)
    return row


def _account(record: records.Account, field_map: FieldMap) -> dict[str, Any]:
    return {
        "external_id": record.external_id,
        "active": record.active,
        "erp_updated_at": record.updated_at,
        "number": record.number,
        "name": record.name,
        "account_type": record.account_type.value,
        "parent_external_id": record.parent_external_id,
        "postable": record.postable,
        "custom_fields": dict(record.custom_fields),
    }


def _employee(record: records.Employee, field_map: FieldMap) -> dict[str, Any]:
    row = {
        "external_id": record.external_id,
        "active": record.active,
        "erp_updated_at": record.updated_at,
        "name": record.name,
        "email": record.email,
        "manager_external_id": record.manager_external_id,
        "department": record.department,
        "custom_fields": dict(record.custom_fields),
    }
    field_map.apply("employees", row, record.custom_fields)
    return row


def _item(record: records.Item, field_map: FieldMap) -> dict[str, Any]:
    row = {
        "external_id": record.external_id,
        "active": record.active,
        "erp_updated_at": record.updated_at,
        "code": record.code,
        "name": record.name,
        "description": record.description,
        "unit_price": record.unit_price,
        "unit_of_measure": record.unit_of_measure,
        "expense_account_external_id": record.expense_account_external_id,
        "custom_fields": dict(record.custom_fields),
    }
    field_map.apply("items", row, record.custom_fields)
    return row


def _receipt(record: records.Receipt, field_map: FieldMap) -> dict[str, Any]:
    return {
        "external_id": record.external_id,
        "active": True,
        "erp_updated_at": record.updated_at,
        "number": record.number,
        "purchase_order_external_id": record.purchase_order_external_id,
        "vendor_external_id": record.vendor_external_id,
        "receipt_date": record.receipt_date,
        "custom_fields": dict(record.custom_fields),
        "lines": [
            {
                "external_id": line.external_id,
                "purchase_order_line_external_id": line.purchase_order_line_external_id,
                "item_external_id": line.item_external_id,
                "description": line.description,
                "quantity": line.quantity,
            }
            for line in record.lines
        ],
    }


def _dimension_value(record: records.DimensionValue, field_map: FieldMap) -> dict[str, Any]:
    return {
        "external_id": record.external_id,
        "active": record.active,
        "erp_updated_at": record.updated_at,
        "dimension_type": record.dimension_type,
        "dimension_type_name": record.dimension_type_name,
        "code": record.code,
        "name": record.name,
        "parent_external_id": record.parent_external_id,
        "custom_fields": dict(record.custom_fields),
    }


ROW_BUILDERS: dict[str, Callable[[Any, FieldMap], dict[str, Any]]] = {
    records.Stream.VENDORS: _vendor,
    records.Stream.PURCHASE_ORDERS: _purchase_order,
    records.Stream.ACCOUNTS: _account,
    records.Stream.EMPLOYEES: _employee,
    records.Stream.ITEMS: _item,
    records.Stream.RECEIPTS: _receipt,
    records.Stream.DIMENSIONS: _dimension_value,
}


def rows_build(stream: str, page_records: Iterable[records.PulledRecord], field_map: FieldMap) -> list[dict]:
    build = ROW_BUILDERS[stream]
    return [build(record, field_map) for record in page_records]
