"""Everything that changes Sandbox data after generation: admin edits, random churn, documents, payments.

Each change goes through the store (fresh change time) and tells ``notify(company_id, stream, ids)`` so the
webhook sender can announce it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import random
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from erp_connectors.providers.sandbox.store import Store

Notify = Callable[[str, str, list[str]], None]
STREAMS = ("vendors", "purchase_orders", "accounts", "employees", "items", "receipts", "dimensions")
CENT = Decimal("0.01")


class ChangeError(Exception):
    """A request the Sandbox refuses; ``status`` and ``code`` go into the HTTP error answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _record_require(store: Store, company_id: str, stream: str, record_id: str) -> dict[str, Any]:
    if stream not in STREAMS:
        raise ChangeError(404, "not_found", f"unknown stream {stream}")
    record = store.record_get(company_id, stream, record_id)
    if record is None:
        raise ChangeError(404, "not_found", f"{stream} record {record_id} does not exist")
    return record


def record_update(
    store: Store, notify: Notify, company_id: str, stream: str, record_id: str, changes: dict[str, Any]
) -> dict[str, Any]:
    """Merge ``changes`` into a live record (``custom`` merges key by key)."""
    with store.write_lock:
        record = _record_require(store, company_id, stream, record_id)
        for name, value in changes.items():
            if name in ("id", "updated_at"):
                continue
            if name == "custom" and isinstance(value, dict):
                record["custom"] = {**record.get("custom", {}), **value}
            else:
                record[name] = value
        store.record_save(company_id, stream, record)
    notify(company_id, stream, [record_id])
    return record


def record_active_set(
    store: Store, notify: Notify, company_id: str, stream: str, record_id: str, active: bool
) -> dict[str, Any]:
    return record_update(store, notify, company_id, stream, record_id, {"active": active})


def record_delete(store: Store, notify: Notify, company_id: str, stream: str, record_id: str) -> None:
    with store.write_lock:
        record = _record_require(store, company_id, stream, record_id)
        store.record_save(company_id, stream, record, deleted=True)
    notify(company_id, stream, [record_id])


def purchase_order_close(store: Store, notify: Notify, company_id: str, order_id: str) -> dict[str, Any]:
    return record_update(store, notify, company_id, "purchase_orders", order_id, {"status": "closed"})


def receipt_add(
    store: Store, notify: Notify, company_id: str, order_id: str, lines: list[dict[str, Any]] | None
) -> dict[str, Any]:
    """Receive goods against a PO: ``lines`` name PO line ids and quantities (default: all outstanding)."""
    with store.write_lock:
        order = _record_require(store, company_id, "purchase_orders", order_id)
        requested = {line["purchase_order_line_id"]: Decimal(str(line["quantity"])) for line in lines or []}
        number = store.company_document_number_next(company_id)
        receipt_id = f"R-N{number:06d}"
        receipt_lines = []
        for line in order["lines"]:
            outstanding = Decimal(line["quantity_ordered"]) - Decimal(line["quantity_received"])
            quantity = requested.get(line["id"], Decimal("0") if lines else outstanding)
            if quantity <= 0:
                continue
            line["quantity_received"] = str(Decimal(line["quantity_received"]) + quantity)
            receipt_lines.append(
                {
                    "id": f"{receipt_id}-{line['line_number']}",
                    "purchase_order_line_id": line["id"],
                    "quantity": str(quantity),
                    "item_id": line.get("item_id", ""),
                    "description": line.get("description", ""),
                }
            )
        if not receipt_lines:
            raise ChangeError(422, "nothing_to_receive", f"purchase order {order_id} has nothing to receive")
        receipt = {
            "id": receipt_id,
            "number": f"GR-N{number:06d}",
            "purchase_order_id": order_id,
            "vendor_id": order["vendor_id"],
            "receipt_date": datetime.now(UTC).date().isoformat(),
            "lines": receipt_lines,
        }
        store.record_save(company_id, "purchase_orders", order)
        store.record_save(company_id, "receipts", receipt)
    notify(company_id, "purchase_orders", [order_id])
    notify(company_id, "receipts", [receipt_id])
    return receipt


def random_changes(
    store: Store, notify: Notify, company_id: str, *, count: int, seed: int
) -> list[dict[str, str]]:
    """Make ``count`` plausible changes chosen by ``seed``; return what was changed.

    Master-data edits (rename, deactivate, reactivate, item price, PO close, delete) and, once bills
    exist, payments of open bills (``stream`` "payments").
    """
    rng = random.Random(f"sandbox-changes:{seed}")
    done: list[dict[str, str]] = []
    kinds = ("rename", "rename", "deactivate", "reactivate", "price", "close", "delete")
    streams = {"rename": "vendors", "deactivate": "vendors", "reactivate": "vendors", "price": "items"}
    for _ in range(count):
        kind = rng.choice(kinds)
        open_bills = store.document_ids_open(company_id, "bill")
        if open_bills and rng.random() < 0.25:
            # Payments happen over time: a quarter of the changes pay an open bill, half of them in part.
            bill_id = rng.choice(open_bills)
            document = store.document_get(company_id, bill_id) or {}
            outstanding = Decimal(document["total"]) - Decimal(document["amount_paid"])
            amount = (outstanding / 2).quantize(CENT) if rng.random() < 0.5 and outstanding > CENT else None
            document_settle(store, company_id, bill_id, amount=amount)
            done.append({"stream": "payments", "id": bill_id, "change": "pay"})
            continue
        stream = streams.get(kind, "purchase_orders" if kind == "close" else "vendors")
        candidates = store.record_ids_sample(company_id, stream, active_only=kind != "reactivate")
        if not candidates:
            continue
        record_id = rng.choice(candidates)
        if kind == "rename":
            record = store.record_get(company_id, stream, record_id) or {}
            change: dict[str, Any] = {"name": f"{record.get('name', '')} ({rng.randrange(2, 99)})"}
            record_update(store, notify, company_id, stream, record_id, change)
        elif kind in ("deactivate", "reactivate"):
            record_active_set(store, notify, company_id, stream, record_id, kind == "reactivate")
        elif kind == "price":
            price = str(Decimal(rng.uniform(1, 500)).quantize(CENT))
            record_update(store, notify, company_id, stream, record_id, {"unit_price": price})
        elif kind == "close":
            purchase_order_close(store, notify, company_id, record_id)
        else:
            record_delete(store, notify, company_id, stream, record_id)
        done.append({"stream": stream, "id": record_id, "change": kind})
    return done


# Documents -----------------------------------------------------------------------------------------


def _decimal(value: Any, name: str) -> Decimal:
    try:
        return Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, ValueError):
        raise ChangeError(400, "invalid_request", f"{name} must be a decimal amount") from None


def _date(value: Any, name: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ChangeError(400, "invalid_request", f"{name} must be an ISO date") from None


def _document_validate(store: Store, company_id: str, kind: str, payload: dict[str, Any], knobs: Any) -> None:
    for name in ("reference", "vendor_id", "number", "date", "currency", "lines", "total"):
        if not payload.get(name):
            raise ChangeError(400, "invalid_request", f"{name} is required")
    document_date = _date(payload["date"], "date")
    if knobs.closed_before and document_date < date.fromisoformat(knobs.closed_before):
        raise ChangeError(
            422,
            "period_closed",
            f"Posting period of {document_date.isoformat()} is closed "
            f"(books closed before {knobs.closed_before})",
        )
    vendor_id = payload["vendor_id"]
    vendor = store.record_get(company_id, "vendors", vendor_id)
    if vendor is None:
        raise ChangeError(422, "vendor_unknown", f"Vendor {vendor_id} does not exist")
    if not vendor.get("active", True):
        raise ChangeError(422, "vendor_inactive", f"Vendor {vendor_id} ({vendor['name']}) is inactive")
    order_id = payload.get("purchase_order_id") or ""
    if order_id:
        order = store.record_get(company_id, "purchase_orders", order_id)
        if order is None:
            raise ChangeError(422, "purchase_order_unknown", f"Purchase order {order_id} does not exist")
        if order["status"] != "open":
            raise ChangeError(
                422, "purchase_order_closed", f"Purchase order {order['number']} is {order['status']}"
            )
    subtotal = Decimal("0")
    for position, line in enumerate(payload["lines"], start=1):
        subtotal += _decimal(line.get("amount", "0"), f"line {position} amount")
        account_id = line.get("account_id") or ""
        if account_id:
            account = store.record_get(company_id, "accounts", account_id)
            if account is None:
                raise ChangeError(
                    422, "account_unknown", f"Line {position}: account {account_id} does not exist"
                )
            if not account.get("active", True) or not account.get("postable", True):
                raise ChangeError(
                    422, "account_inactive", f"Line {position}: account {account['number']} is not postable"
                )
        elif not line.get("item_id"):
            raise ChangeError(422, "account_missing", f"Line {position}: an account or an item is required")
        item_id = line.get("item_id") or ""
        if item_id and store.record_get(company_id, "items", item_id) is None:
            raise ChangeError(422, "item_unknown", f"Line {position}: item {item_id} does not exist")
        for type_code, value_id in (line.get("dimensions") or {}).items():
            value = store.record_get(company_id, "dimensions", value_id)
            if value is None or value.get("type") != type_code or not value.get("active", True):
                raise ChangeError(
                    422,
                    "dimension_unknown",
                    f"Line {position}: {type_code} value {value_id} is unknown or inactive",
                )
    tax = _decimal(payload.get("tax", "0"), "tax")
    if _decimal(payload["total"], "total") != subtotal + tax:
        raise ChangeError(
            422, "totals_mismatch", f"Total {payload['total']} is not lines {subtotal} plus tax {tax}"
        )


def document_create(
    store: Store, company_id: str, kind: str, payload: dict[str, Any], *, idempotency_key: str, knobs: Any
) -> tuple[dict[str, Any], bool]:
    """Validate and create a bill or vendor credit; return it and whether it was a replay of the key."""
    request_hash = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    with store.write_lock:
        if idempotency_key:
            existing = store.document_get_by_key(company_id, idempotency_key)
            if existing is not None:
                if existing[0] != request_hash:
                    raise ChangeError(
                        409,
                        "idempotency_key_reused",
                        "Idempotency-Key was already used for a different request",
                    )
                return existing[1], True
        _document_validate(store, company_id, kind, payload, knobs)
        attachment = payload.get("attachment")
        content = b""
        if attachment:
            try:
                content = base64.b64decode(attachment["content_base64"], validate=True)
            except (KeyError, TypeError, binascii.Error):
                raise ChangeError(
                    400, "invalid_request", "attachment content_base64 is not valid base64"
                ) from None
        number = store.company_document_number_next(company_id)
        prefix, number_prefix = ("BILL", "AP") if kind == "bill" else ("VC", "CN")
        total = _decimal(payload["total"], "total")
        document = {
            "id": f"{prefix}-{number:06d}",
            "kind": kind,
            "number": f"{number_prefix}-{number:06d}",
            "reference": payload["reference"],
            "vendor_id": payload["vendor_id"],
            "vendor_document_number": payload["number"],
            "date": payload["date"],
            "due_date": payload.get("due_date") or "",
            "currency": payload["currency"],
            "purchase_order_id": payload.get("purchase_order_id") or "",
            "memo": payload.get("memo") or "",
            "lines": payload["lines"],
            "subtotal": str(_decimal(payload.get("subtotal", total), "subtotal")),
            "tax": str(_decimal(payload.get("tax", "0"), "tax")),
            "total": str(total),
            "amount_paid": "0.00",
            "state": "unpaid",
            "paid_on": "",
            "attachment": None,
        }
        if attachment:
            digest = store.attachment_save(
                company_id,
                document["id"],
                attachment.get("filename", "document.pdf"),
                attachment.get("content_type", "application/pdf"),
                content,
            )
            document["attachment"] = {
                "filename": attachment.get("filename", ""),
                "sha256": digest,
                "size": len(content),
            }
        store.document_save(company_id, document, idempotency_key=idempotency_key, request_hash=request_hash)
    return document, False


def document_settle(
    store: Store, company_id: str, document_id: str, *, amount: Any = None, void: bool = False
) -> dict[str, Any]:
    """Pay a bill or apply a credit (``amount``, default the rest), or void the document."""
    with store.write_lock:
        document = store.document_get(company_id, document_id)
        if document is None:
            raise ChangeError(404, "not_found", f"document {document_id} does not exist")
        if document["state"] == "voided":
            raise ChangeError(422, "document_voided", f"document {document_id} is voided")
        if void:
            document["state"] = "voided"
        else:
            total, paid = Decimal(document["total"]), Decimal(document["amount_paid"])
            payment = total - paid if amount is None else _decimal(amount, "amount")
            if payment <= 0 or paid + payment > total:
                raise ChangeError(422, "invalid_amount", f"amount must be between 0.01 and {total - paid}")
            paid += payment
            document["amount_paid"] = str(paid)
            document["state"] = "paid" if paid == total else "partially_paid"
            if paid == total:
                document["paid_on"] = datetime.now(UTC).date().isoformat()
        store.document_save(company_id, document)
    return document


def payment_status_json(document: dict[str, Any]) -> dict[str, Any]:
    total, paid = Decimal(document["total"]), Decimal(document["amount_paid"])
    return {
        "document_id": document["id"],
        "kind": document["kind"],
        "reference": document["reference"],
        "state": document["state"],
        "amount_paid": str(paid),
        "amount_due": "0.00" if document["state"] == "voided" else str(total - paid),
        "paid_on": document["paid_on"],
        "updated_at": document["updated_at"],
    }
