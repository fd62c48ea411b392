"""The hand-off of an approved invoice to the ERP push: the one sync service approvals may call.

``sync.outbox.push_delivery_create`` creates the outbox entry (unique idempotency key) in the
caller's transaction and queues the send on commit. It is called from the transaction of the final
approval that sets Approved, so an approval and its push entry commit together or not at all.
"""

from __future__ import annotations

from invoices.models import Invoice
from organizations.models import User
from sync.outbox import push_delivery_create


def push_delivery_queue(*, invoice: Invoice, actor: User | None) -> None:
    push_delivery_create(invoice=invoice, actor=actor)
