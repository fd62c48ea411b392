"""What people do in Tryton while the connector is not looking, done over JSON-RPC for the tests.

All of it goes through the project's own ``TrytonClient`` logged in as the Tryton administrator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from erp_connectors.providers.tryton.client import TrytonClient


def wizard_run(
    client: TrytonClient,
    name: str,
    steps: Sequence[tuple[str, Mapping[str, Mapping[str, Any]]]],
    *,
    active_model: str = "",
    active_ids: Sequence[int] = (),
) -> list[Any]:
    """Run a wizard without a person: ``steps`` are (state to execute, {view state: values}).

    A wizard's defaults come back in the view but are not applied on the server, so they are merged
    under the values sent for the same view state.
    """
    context = dict(client.context)
    if active_model:
        context.update(active_model=active_model, active_id=active_ids[0], active_ids=list(active_ids))
    session_id, start_state, _end_state = client.call(f"wizard.{name}.create", context)
    results: list[Any] = []
    defaults: dict[str, dict[str, Any]] = {}
    try:
        view = client.call(f"wizard.{name}.execute", session_id, {}, start_state, context)
        results.append(view)
        for state, data in steps:
            if isinstance(view, dict) and "view" in view:
                defaults[view["view"]["state"]] = dict(view["view"].get("defaults") or {})
            merged = {}
            for view_state, values in data.items():
                combined = {**defaults.get(view_state, {}), **values}
                merged[view_state] = {key: value for key, value in combined.items() if "." not in key}
            view = client.call(f"wizard.{name}.execute", session_id, merged, state, context)
            results.append(view)
    finally:
        client.call(f"wizard.{name}.delete", session_id, context)
    return results


def record_id_of(client: TrytonClient, xml_id: str) -> int:
    """Database id of a record a module ships (``"product.uom_unit"``)."""
    module, name = xml_id.split(".", 1)
    return client.model_call("ir.model.data", "get_id", module, name)


def invoice_pay(
    client: TrytonClient, invoice_id: int, *, amount: Decimal, payment_method_id: int, on: dt.date
) -> None:
    """Pay ``amount`` of a posted invoice with the "Pay" wizard; a smaller amount stays open (partial)."""
    (invoice,) = client.read("account.invoice", [invoice_id], ["amount_to_pay"])
    start = {"start": {"payment_method": payment_method_id, "date": on, "amount": amount}}
    steps: list[tuple[str, Mapping[str, Mapping[str, Any]]]] = [("choice", start)]
    if amount < invoice["amount_to_pay"]:
        # The wizard then asks what to do with the rest: keep it open, as a clerk paying in parts would.
        steps.append(("pay", {**start, "ask": {"type": "partial"}}))
    wizard_run(client, "account.invoice.pay", steps, active_model="account.invoice", active_ids=[invoice_id])


def party_rename(client: TrytonClient, party_id: int, name: str) -> None:
    client.write("party.party", [party_id], {"name": name})


def party_deactivate(client: TrytonClient, party_id: int) -> None:
    client.write("party.party", [party_id], {"active": False})


def session_end(client: TrytonClient) -> None:
    """Log the client's session out behind its back, as an expiry would."""
    client.call("common.db.logout")


def supplier_create(client: TrytonClient, *, name: str, code: str, category_id: int) -> int:
    """A new party in the supplier category, as a buyer would add one."""
    return client.create(
        "party.party", [{"name": name, "code": code, "categories": [("add", [category_id])]}]
    )[0]


def party_delete(client: TrytonClient, party_id: int) -> None:
    client.delete("party.party", [party_id])
