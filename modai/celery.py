"""The Celery app and the beat schedule.

Every beat entry expires before its next run, so a backlog never piles up duplicate runs.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "modai.settings")

app = Celery("modai")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    result_serializer="json",
    task_ignore_result=True,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    timezone="UTC",
)
app.autodiscover_tasks()


def beat_entry(task: str, seconds: float, **kwargs: object) -> dict[str, object]:
    """A beat schedule entry that expires before its next run."""
    return {
        "task": task,
        "schedule": seconds,
        "kwargs": kwargs,
        "options": {"expires": max(seconds * 0.9, 1)},
    }


# Seconds between heartbeats; kept here (not imported from modai.tasks) so Celery loads without Django.
HEARTBEAT_SECONDS = 10
# How often waiting approval steps are checked for reminders and escalation (their delays are hours).
APPROVAL_SWEEP_SECONDS = 900
# How often the sync dispatcher looks for due integrations (each has its own interval, default 15 min).
SYNC_DISPATCH_SECONDS = float(os.environ.get("SYNC_DISPATCH_SECONDS") or 30)
# The push outbox sweeper and the payment status pulls (settings.PUSH_SWEEP_SECONDS, PAYMENT_PULL_SECONDS).
PUSH_SWEEP_SECONDS = float(os.environ.get("PUSH_SWEEP_SECONDS") or 60)
PAYMENT_DISPATCH_SECONDS = float(os.environ.get("PAYMENT_DISPATCH_SECONDS") or 60)

app.conf.beat_schedule = {
    "heartbeat": beat_entry("modai.heartbeat", HEARTBEAT_SECONDS),
    "sync-dispatch": beat_entry("sync.integrations_dispatch", SYNC_DISPATCH_SECONDS),
    # Does nothing unless INBOUND_IMAP_HOST is set.
    "invoices-imap-poll": beat_entry("invoices.imap_mailbox_poll", 60),
    "invoices-documents-requeue": beat_entry("invoices.documents_requeue", 300),
    "push-sweep": beat_entry("sync.push_deliveries_sweep", PUSH_SWEEP_SECONDS),
    "payments-dispatch": beat_entry("sync.payment_status_pulls_dispatch", PAYMENT_DISPATCH_SECONDS),
    "approvals-sweep": beat_entry("approvals.approval_steps_sweep_dispatch", APPROVAL_SWEEP_SECONDS),
}
