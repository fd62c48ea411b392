"""Vendor resolution: which vendor of the entity's vendor master sent this invoice, and why.

Evidence is tried strongest first: the tax id printed on the invoice, its bank account (IBAN), the
domain of the address that emailed it, then a fuzzy match of the printed name (rapidfuzz). The first
that points at exactly one vendor wins; the reason says which. No match is not a failure: the invoice
gets a notice and the clerk picks the vendor.

``vendor_resolve`` is pure (an index in, a resolution out); ``vendor_index_load`` builds the index from
the database and keeps a few recent ones, keyed by the vendor table's state, so a batch of invoices for
one entity loads the vendor master once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Max, Q
from rapidfuzz import fuzz, process

from invoices.identifiers import (
    SHARED_MAIL_DOMAINS,
    bank_account_normalize,
    email_domain,
    tax_id_forms,
    tax_id_normalize,
    vendor_name_normalize,
)
from masterdata.models import Vendor

NAME_MATCH_FLOOR = 88.0
# Two names scoring within this many points of each other are ambiguous.
NAME_AMBIGUITY_MARGIN = 3.0


@dataclass(frozen=True)
class VendorRecord:
    id: int
    name: str
    external_id: str
    tax_id: str
    bank_account: str
    email: str
    active: bool


@dataclass(frozen=True)
class VendorEvidence:
    name: str = ""
    tax_id: str = ""
    bank_account: str = ""
    sender: str = ""


@dataclass(frozen=True)
class VendorResolution:
    vendor_id: int | None
    method: str  # tax_id | bank_account | email_domain | name | "" (none)
    confidence: float
    reason: str


@dataclass
class VendorIndex:
    records: dict[int, VendorRecord] = field(default_factory=dict)
    by_tax_id: dict[str, list[int]] = field(default_factory=dict)
    # Without the two-letter country prefix ("US12-3456789" also as "123456789").
    by_bare_tax_id: dict[str, list[int]] = field(default_factory=dict)
    by_bank_account: dict[str, list[int]] = field(default_factory=dict)
    by_domain: dict[str, list[int]] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)

    @classmethod
    def build(cls, records: Iterable[VendorRecord]) -> VendorIndex:
        index = cls()
        for record in records:
            index.records[record.id] = record
            normal = tax_id_normalize(record.tax_id)
            for form in tax_id_forms(record.tax_id):
                target = index.by_tax_id if form == normal else index.by_bare_tax_id
                target.setdefault(form, []).append(record.id)
            account = bank_account_normalize(record.bank_account)
            if len(account) >= 8:
                index.by_bank_account.setdefault(account, []).append(record.id)
            domain = email_domain(record.email)
            if domain and domain not in SHARED_MAIL_DOMAINS:
                index.by_domain.setdefault(domain, []).append(record.id)
            normalized = vendor_name_normalize(record.name)
            if normalized:
                index.names[record.id] = normalized
        return index


def _label(record: VendorRecord) -> str:
    return f"{record.name} ({record.external_id})" if record.external_id else record.name


def _one(index: VendorIndex, ids: list[int]) -> VendorRecord | None:
    """The single vendor among ``ids``; with several, the single active one; else None (ambiguous)."""
    unique = sorted(set(ids))
    if len(unique) == 1:
        return index.records[unique[0]]
    active = [vendor_id for vendor_id in unique if index.records[vendor_id].active]
    return index.records[active[0]] if len(active) == 1 else None


def vendor_resolve(evidence: VendorEvidence, index: VendorIndex) -> VendorResolution:
    ambiguous: list[str] = []
    forms = tax_id_forms(evidence.tax_id)
    normal = tax_id_normalize(evidence.tax_id)
    candidates = [(index.by_tax_id, normal), (index.by_bare_tax_id, normal)]
    candidates += [
        (table, form) for form in forms - {normal} for table in (index.by_tax_id, index.by_bare_tax_id)
    ]
    for table, form in candidates if forms else []:
        ids = table.get(form)
        if ids:
            record = _one(index, ids)
            if record is not None:
                return VendorResolution(
                    record.id, "tax_id", 0.99, f"Tax ID {evidence.tax_id} matches {_label(record)}."
                )
            ambiguous.append(f"tax ID {evidence.tax_id} is on {len(set(ids))} vendors")
            break
    account = bank_account_normalize(evidence.bank_account)
    if len(account) >= 8 and index.by_bank_account.get(account):
        record = _one(index, index.by_bank_account[account])
        if record is not None:
            return VendorResolution(
                record.id,
                "bank_account",
                0.97,
                f"Bank account {evidence.bank_account} matches {_label(record)}.",
            )
        ambiguous.append("the bank account is on several vendors")
    domain = email_domain(evidence.sender)
    if domain and domain not in SHARED_MAIL_DOMAINS and index.by_domain.get(domain):
        record = _one(index, index.by_domain[domain])
        if record is not None:
            return VendorResolution(
                record.id, "email_domain", 0.9, f"Sent from {domain}, the email domain of {_label(record)}."
            )
        ambiguous.append(f"{domain} is the email domain of several vendors")
    resolution = _by_name(evidence.name, index)
    if resolution is not None:
        return resolution
    printed = [
        f"{label} {value}"
        for label, value in (
            ("name", f"“{evidence.name}”" if evidence.name else ""),
            ("tax ID", evidence.tax_id),
            ("bank account", evidence.bank_account),
        )
        if value
    ]
    if ambiguous:
        return VendorResolution(None, "", 0.0, "No single vendor matches: " + "; ".join(ambiguous) + ".")
    if not printed:
        return VendorResolution(None, "", 0.0, "The document names no vendor; choose one.")
    return VendorResolution(
        None, "", 0.0, "No vendor in the vendor master matches the " + ", ".join(printed) + "."
    )


def _by_name(name: str, index: VendorIndex) -> VendorResolution | None:
    normalized = vendor_name_normalize(name)
    if not normalized or not index.names:
        return None
    best = process.extract(normalized, index.names, scorer=fuzz.token_sort_ratio, limit=3)
    if not best or best[0][1] < NAME_MATCH_FLOOR:
        return None
    _, top_score, top_id = best[0]
    rivals = [
        vendor_id
        for _, score, vendor_id in best[1:]
        if score >= top_score - NAME_AMBIGUITY_MARGIN and index.names[vendor_id] != index.names[top_id]
    ]
    record = index.records[top_id]
    if rivals:
        others = ", ".join(index.records[vendor_id].name for vendor_id in rivals)
        return VendorResolution(
            None, "", 0.0, f"The name “{name}” is close to several vendors: {record.name}, {others}."
        )
    duplicates = [vendor_id for vendor_id, other in index.names.items() if other == index.names[top_id]]
    if len(duplicates) > 1:
        chosen = _one(index, duplicates)
        if chosen is None:
            return VendorResolution(None, "", 0.0, f"Several vendors are named “{record.name}”.")
        record = chosen
    confidence = round(0.85 * top_score / 100, 3)
    return VendorResolution(
        record.id,
        "name",
        confidence,
        f"The name “{name}” matches {_label(record)} ({top_score:.0f}% similar).",
    )


_CACHE: OrderedDict[tuple[object, ...], VendorIndex] = OrderedDict()
_CACHE_SIZE = 8
_CACHE_LOCK = threading.Lock()


def vendor_index_load(*, entity_id: int) -> VendorIndex:
    """The entity's vendor index; rebuilt whenever a vendor is added, changed or (de)activated."""
    state = Vendor.objects.filter(entity_id=entity_id).aggregate(
        count=Count("id"), active=Count("id", filter=Q(active=True)), changed=Max("synced_at"), last=Max("id")
    )
    key = (entity_id, state["count"], state["active"], state["changed"], state["last"])
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
    rows = Vendor.objects.filter(entity_id=entity_id).values_list(
        "id", "name", "external_id", "tax_id", "bank_account", "email", "active"
    )
    index = VendorIndex.build(VendorRecord(*row) for row in rows.iterator(chunk_size=5000))
    with _CACHE_LOCK:
        _CACHE[key] = index
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return index
