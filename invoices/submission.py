"""Submission: Needs review -> Pending approval, once the invoice is complete and nothing blocks it.

The approval room takes over from Pending approval. It hooks in without this app importing it:
``settings.INVOICE_SUBMITTED_HOOKS`` lists dotted paths of callables, each called as
``hook(invoice=invoice, actor=actor)`` inside the submitting transaction, after the status change (to
start routing, say); ``actor`` is None when an entity's straight-through setting submitted a clean
invoice on arrival. A hook that raises undoes the submission.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from invoices.analysis import Analysis, invoice_analyze
from invoices.coding.services import coding_model_retrain_queue
from invoices.models import Invoice, InvoiceLine, InvoiceStatus
from invoices.status import invoice_status_change
from organizations.errors import ServiceValidationError
from organizations.models import User

SUBMITTABLE_FROM = frozenset({InvoiceStatus.NEEDS_REVIEW, InvoiceStatus.PROCESSING})


class InvoiceSubmitError(ServiceValidationError):
    """The invoice cannot be submitted yet; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


def invoice_submit_problems(*, invoice: Invoice, analysis: Analysis) -> list[str]:
    problems = []
    missing = [
        label
        for value, label in (
            (invoice.vendor_id, "vendor"),
            (invoice.invoice_number, "invoice number"),
            (invoice.invoice_date, "invoice date"),
            (invoice.currency, "currency"),
            (invoice.total, "total"),
        )
        if value in (None, "")
    ]
    if missing:
        problems.append("Missing " + ", ".join(missing) + ".")
    lines: tuple[InvoiceLine, ...] = analysis.lines
    if not lines:
        problems.append("The invoice has no lines.")
    uncoded = [str(line.line_number) for line in lines if line.gl_account_id is None]
    if uncoded:
        problems.append(f"Choose a GL account for line {', '.join(uncoded)}.")
    blocking = [notice for notice in analysis.blocking if notice.code != "missing_fields"]
    if blocking:
        problems.append(
            f"Resolve or dismiss {len(blocking)} error notice{'s' if len(blocking) != 1 else ''}: "
            + " ".join(notice.message for notice in blocking)
        )
    return problems


def invoice_submit(*, invoice: Invoice, actor: User | None, analysis: Analysis | None = None) -> Invoice:
    """Submit for approval. The checks run again first (a PO may have been billed meanwhile)."""
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status not in SUBMITTABLE_FROM:
            raise InvoiceSubmitError(
                [f"The invoice is {locked.get_status_display()}; only invoices in review can be submitted."]
            )
        if analysis is None:
            analysis = invoice_analyze(invoice=locked)
        problems = invoice_submit_problems(invoice=locked, analysis=analysis)
        if problems:
            raise InvoiceSubmitError(problems)
        invoice_status_change(
            invoice=locked,
            to=InvoiceStatus.PENDING_APPROVAL,
            actor=actor,
            expected_from=SUBMITTABLE_FROM,
            action="invoice.submitted",
            reason="" if actor is not None else "passed every check; submitted automatically",
            fields={"submitted_by": actor},
        )
        for path in settings.INVOICE_SUBMITTED_HOOKS:
            import_string(path)(invoice=locked, actor=actor)
        if actor is not None:
            coding_model_retrain_queue()
    invoice.refresh_from_db()
    return invoice
