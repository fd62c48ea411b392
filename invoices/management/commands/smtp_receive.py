"""`manage.py smtp_receive [--host H] [--port P]`: the SMTP service for forwarding addresses."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from invoices.intake.smtp import smtp_controller


class Command(BaseCommand):
    help = "Receive invoice email for the entities' forwarding addresses over SMTP."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=settings.INBOUND_SMTP_HOST)
        parser.add_argument("--port", type=int, default=settings.INBOUND_SMTP_PORT)

    def handle(self, *args: Any, host: str, port: int, **options: Any) -> None:
        stopping = threading.Event()
        signal.signal(signal.SIGINT, lambda *_: stopping.set())
        signal.signal(signal.SIGTERM, lambda *_: stopping.set())
        controller = smtp_controller(host=host, port=port)
        controller.start()
        self.stdout.write(
            f"Receiving mail for *@{settings.INBOUND_EMAIL_DOMAIN} on {host}:{port} (Ctrl-C stops)",
            ending="\n",
        )
        self.stdout.flush()
        try:
            stopping.wait()
        finally:
            controller.stop()
