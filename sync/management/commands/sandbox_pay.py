"""Pay, apply or void a posted invoice in the demo's Sandbox ERP, then pull its payment status.

python manage.py sandbox_pay INV-1048              # pay the rest
python manage.py sandbox_pay INV-1048 --amount 50  # a partial payment
python manage.py sandbox_pay CN-77 --amount 10     # apply part of a vendor credit
python manage.py sandbox_pay INV-1048 --void
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sync.demo import SandboxPaymentError, sandbox_document_settle


class Command(BaseCommand):
    help = "Pay (or apply, or void) a posted invoice in the demo Sandbox ERP and pull its payment status."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("invoice", help="The invoice number (or its id, or the ERP's document number).")
        parser.add_argument("--amount", default=None, help="Amount to pay or apply (default: the rest).")
        parser.add_argument("--void", action="store_true", help="Void the document instead.")

    def handle(self, *args: Any, invoice: str, amount: str | None, void: bool, **options: Any) -> None:
        try:
            lines = sandbox_document_settle(invoice_number=invoice, amount=amount, void=void)
        except SandboxPaymentError as error:
            raise CommandError(str(error)) from None
        for line in lines:
            self.stdout.write(line)
