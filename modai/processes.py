"""The processes `make run` starts together: the Sandbox ERP, web, Celery worker and beat, and the SMTP
service that receives invoice email.

Each spec is an argv run from the project folder with the current Python; ``run_product`` supervises
them. Add a process by appending to :func:`product_processes`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    argv: list[str]


def product_processes(*, host: str, port: int, worker_concurrency: int = 2) -> list[ProcessSpec]:
    python = sys.executable
    return [
        ProcessSpec(
            "sandbox",
            [
                python,
                "-m",
                "erp_connectors.providers.sandbox",
                "serve",
                "--db",
                str(settings.DATA_DIR / "sandbox.sqlite3"),
                "--host",
                "127.0.0.1",
                "--port",
                str(settings.SANDBOX_PORT),
                "--no-default-company",
            ],
        ),
        ProcessSpec(
            "web",
            [
                python,
                "-m",
                "gunicorn",
                "modai.wsgi:application",
                "--bind",
                f"{host}:{port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--access-logfile",
                "-",
                "--graceful-timeout",
                "5",
                "--no-control-socket",
            ],
        ),
        ProcessSpec(
            "worker",
            [
                python,
                "-m",
                "celery",
                "-A",
                "modai",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                str(worker_concurrency),
                "--without-gossip",
                "--without-mingle",
            ],
        ),
        ProcessSpec(
            "beat",
            [
                python,
                "-m",
                "celery",
                "-A",
                "modai",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                settings.CELERY_BEAT_SCHEDULE_FILENAME,
            ],
        ),
        ProcessSpec(
            "smtp",
            [
                python,
                "manage.py",
                "smtp_receive",
                "--host",
                settings.INBOUND_SMTP_HOST,
                "--port",
                str(settings.INBOUND_SMTP_PORT),
            ],
        ),
    ]
