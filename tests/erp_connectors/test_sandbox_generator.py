"""Generated Sandbox data: deterministic per seed, counts per scale, realistic identifiers."""

from __future__ import annotations

import collections
import hashlib
import json

from erp_connectors.providers.sandbox.generator import SCALES, company_data_generate
from erp_connectors.providers.sandbox.names import iban_is_valid


def _digest(scale: str, seed: int) -> str:
    digest = hashlib.sha256()
    for row in company_data_generate(SCALES[scale], seed):
        digest.update(
            f"{row.stream}|{row.id}|{row.changed_at}|{row.deleted}|{row.active}|{row.data}\n".encode()
        )
    return digest.hexdigest()


def _counts(rows) -> dict[tuple[str, str], int]:
    counter: collections.Counter = collections.Counter()
    for row in rows:
        state = "deleted" if row.deleted else "active" if row.active else "inactive"
        counter[(row.stream, state)] += 1
    return dict(counter)


def test_generation_is_deterministic_for_a_seed():
    assert _digest("small", 7) == _digest("small", 7)
    assert _digest("small", 7) != _digest("small", 8)


def test_small_scale_counts():
    assert _counts(company_data_generate(SCALES["small"], 3)) == {
        ("accounts", "active"): 117,
        ("accounts", "inactive"): 3,
        ("accounts", "deleted"): 1,
        ("dimensions", "active"): 50,
        ("dimensions", "deleted"): 1,
        ("employees", "active"): 48,
        ("employees", "inactive"): 2,
        ("employees", "deleted"): 1,
        ("items", "active"): 97,
        ("items", "inactive"): 3,
        ("items", "deleted"): 1,
        ("vendors", "active"): 194,
        ("vendors", "inactive"): 6,
        ("vendors", "deleted"): 1,
        ("purchase_orders", "active"): 100,
        ("purchase_orders", "deleted"): 1,
        ("receipts", "active"): 60,
        ("receipts", "deleted"): 1,
    }


def test_full_scale_has_the_required_counts():
    # Generation speed is measured by benchmarks/bench_sandbox_wire.py, not asserted here.
    rows = list(company_data_generate(SCALES["full"], 1))
    counts = _counts(rows)

    def live(stream: str) -> int:
        return counts.get((stream, "active"), 0) + counts.get((stream, "inactive"), 0)

    assert live("vendors") == 100_000
    assert counts[("vendors", "inactive")] == 3_030
    assert counts[("vendors", "deleted")] == 500
    assert live("purchase_orders") == 20_000
    assert live("receipts") == 20_000
    assert live("accounts") == 2_000
    assert live("employees") == 1_000
    assert live("items") == 10_000
    assert live("dimensions") == 5_000
    lines = sum(len(json.loads(row.data)["lines"]) for row in rows if row.stream == "purchase_orders")
    assert lines == 100_000
    dimension_types = {
        json.loads(row.data)["type"] for row in rows if row.stream == "dimensions" and not row.deleted
    }
    assert dimension_types == {"department", "cost_center", "project", "location", "class"}


def test_records_look_real_and_reference_each_other():
    rows = [row for row in company_data_generate(SCALES["small"], 5) if not row.deleted]
    by_stream: dict[str, dict[str, dict]] = collections.defaultdict(dict)
    for row in rows:
        by_stream[row.stream][row.id] = json.loads(row.data)
    vendors = list(by_stream["vendors"].values())
    ibans = [vendor["bank_account"] for vendor in vendors if vendor["address"]["country"] != "US"]
    assert ibans and all(iban_is_valid(iban) for iban in ibans)
    assert all("@" in vendor["email"] and vendor["tax_id"] and vendor["payment_terms"] for vendor in vendors)
    assert all(set(vendor["custom"]) == {"risk_rating", "default_cost_center"} for vendor in vendors)
    for order in by_stream["purchase_orders"].values():
        assert order["vendor_id"] in by_stream["vendors"]
        for line in order["lines"]:
            assert set(line["custom"]) == {"project_code"}
            assert line["item_id"] in by_stream["items"]
            assert line["account_id"] in by_stream["accounts"]
            assert all(value in by_stream["dimensions"] for value in line["dimensions"].values())
    order_lines = {
        line["id"]: line for order in by_stream["purchase_orders"].values() for line in order["lines"]
    }
    for receipt in by_stream["receipts"].values():
        for line in receipt["lines"]:
            assert line["quantity"] == order_lines[line["purchase_order_line_id"]]["quantity_received"]
    parents = {account["parent_id"] for account in by_stream["accounts"].values() if account["parent_id"]}
    assert parents <= set(by_stream["accounts"])
    assert all(not by_stream["accounts"][parent]["postable"] for parent in parents)
