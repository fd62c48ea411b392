"""Approvals at scale: the pure router, submit and decide end to end, My approvals with a long queue,
and the audit trail's CSV export.

Prints per-operation times, queries per operation, and rows per second. On PostgreSQL (DATABASE_URL
set) every statement also carries the row-level-security prefix.
"""

from __future__ import annotations

import datetime
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "modai.settings")
if not os.environ.get("DATABASE_URL"):
    os.environ["MODAI_DATA_DIR"] = tempfile.mkdtemp(prefix="modai-bench-")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

ROUTES = 20_000
INVOICES = int(os.environ.get("BENCH_INVOICES", 300))
QUEUE = int(os.environ.get("BENCH_QUEUE", 500))
AUDIT_EVENTS = int(os.environ.get("BENCH_AUDIT_EVENTS", 30_000))


def _rules(count: int) -> list[dict]:
    rules = []
    for number in range(count - 1):
        rules.append(
            {
                "name": f"Vendor group {number}",
                "conditions": [
                    {"type": "amount", "operator": "gte", "value": str(1000 * number)},
                    {
                        "type": "dimension",
                        "dimension": "department",
                        "operator": "in",
                        "values": [f"D{number}"],
                    },
                ],
                "steps": [{"name": "Approver", "approvers": [{"type": "role", "role": "approver"}]}],
            }
        )
    rules.append(
        {
            "name": "Everything else",
            "conditions": [],
            "steps": [
                {"name": "First", "approvers": [{"type": "role", "role": "approver"}]},
                {"name": "Second", "approvers": [{"type": "role", "role": "controller"}]},
            ],
        }
    )
    return rules


def bench_router() -> None:
    from approvals.policy import InvoiceFacts, policy_parse, policy_route

    policy = policy_parse({"rules": _rules(30), "escalation_hours": 0})
    facts = [
        InvoiceFacts(
            total=Decimal(number % 50_000), dimensions={"department": frozenset({f"D{number % 40}"})}
        )
        for number in range(ROUTES)
    ]
    started = time.perf_counter()
    for item in facts:
        policy_route(policy, item)
    elapsed = time.perf_counter() - started
    print(f"router: {ROUTES} invoices through 30 rules in {elapsed:.2f} s = {ROUTES / elapsed:,.0f} routes/s")


def main() -> None:
    call_command("migrate", verbosity=0)
    bench_router()

    from approvals.audit_trail import AuditFilters, audit_event_list, audit_events_csv
    from approvals.models import ApprovalAssignment, Decision
    from approvals.selectors import approval_queue
    from approvals.services.decisions import approval_decide
    from approvals.services.policies import approval_policy_save
    from approvals.services.submit import approval_submit
    from invoices.models import Invoice, InvoiceLine, InvoiceStatus
    from masterdata.models import DimensionType, DimensionValue, GLAccount, Vendor
    from organizations.audit import audit_record
    from organizations.models import EntityRoleName, OrganizationRole
    from organizations.permissions import user_access_load
    from organizations.services import entity_create, organization_create, user_invite
    from organizations.tenancy import tenant_scope

    organization = organization_create(name="Bench Approvals")
    with tenant_scope(organization):
        entity = entity_create(actor=None, name="Bench Entity", code="BE1")
        people = {}
        for role in (EntityRoleName.AP_SPECIALIST, EntityRoleName.APPROVER, EntityRoleName.CONTROLLER):
            people[role] = user_invite(
                actor=None,
                email=f"{role}@bench.test",
                full_name=role.title(),
                organization_role=OrganizationRole.MEMBER,
                entity_roles={entity.pk: {role}},
                send_invitation=False,
            )
        department = DimensionType.objects.create(entity=entity, code="department", name="Department")
        DimensionValue.objects.bulk_create(
            DimensionValue(
                entity=entity, dimension_type=department, external_id=f"D{n}", code=f"D{n}", name=f"D{n}"
            )
            for n in range(30)
        )
        approval_policy_save(
            entity=entity, actor=None, definition={"rules": _rules(30), "escalation_hours": 0}
        )
        vendor = Vendor.objects.create(entity=entity, external_id="V1", name="Vendor")
        account = GLAccount.objects.create(entity=entity, external_id="GL1", number="6000", name="Expenses")
        clerk = people[EntityRoleName.AP_SPECIALIST]

        def invoice_new(number: int) -> Invoice:
            amount = Decimal(100 + number % 5000)
            invoice = Invoice.objects.create(
                entity=entity,
                status=InvoiceStatus.NEEDS_REVIEW,
                vendor=vendor,
                vendor_name=vendor.name,
                edited_fields=["vendor"],
                invoice_number=f"B-{number}",
                invoice_date=datetime.date(2026, 1, 1) + datetime.timedelta(days=number % 300),
                total=amount,
                currency="USD",
            )
            InvoiceLine.objects.create(
                entity=entity,
                invoice=invoice,
                line_number=1,
                description="Services",
                quantity=Decimal(1),
                unit_price=amount,
                amount=amount,
                gl_account=account,
                coded_by=clerk,
            )
            return invoice

        submit_times, decide_times, submit_queries, decide_queries = [], [], [], []
        for number in range(INVOICES):
            invoice = invoice_new(number)
            reset_queries()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                approval_submit(invoice=invoice, actor=people[EntityRoleName.AP_SPECIALIST])
                submit_times.append(time.perf_counter() - started)
            submit_queries.append(len(captured))
            for role in (EntityRoleName.APPROVER, EntityRoleName.CONTROLLER):
                assignment = ApprovalAssignment.objects.get(
                    step__request__invoice=invoice, user=people[role], step__status="active"
                )
                reset_queries()
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    approval_decide(assignment_id=assignment.pk, user=people[role], decision=Decision.APPROVE)
                    decide_times.append(time.perf_counter() - started)
                decide_queries.append(len(captured))
        print(
            "submit (the invoice's checks, then routing through 30 rules into 2 steps): "
            f"median {statistics.median(submit_times) * 1000:.1f} ms, "
            f"{statistics.median(submit_queries):.0f} queries"
        )
        print(
            f"decide (approve a step): median {statistics.median(decide_times) * 1000:.1f} ms, "
            f"{statistics.median(decide_queries):.0f} queries"
        )

        for number in range(QUEUE):
            approval_submit(invoice=invoice_new(10_000 + number), actor=people[EntityRoleName.AP_SPECIALIST])
        if connection.vendor == "postgresql":
            # Fresh tables: give the planner the statistics autovacuum would have gathered by now.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        approver = people[EntityRoleName.APPROVER]
        access = user_access_load(user=approver)
        samples = []
        for _ in range(5):
            reset_queries()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                rows = approval_queue(user=approver, access=access)
                samples.append(time.perf_counter() - started)
        print(
            f"My approvals with {len(rows)} waiting: median {statistics.median(samples) * 1000:.0f} ms, "
            f"{len(captured)} queries"
        )

        with transaction.atomic():
            for number in range(AUDIT_EVENTS):
                audit_record(
                    action="bench.event",
                    actor=None,
                    entity=entity,
                    target_label=f"n{number}",
                    after={"n": number},
                )
        events = audit_event_list(
            access=user_access_load(user=people[EntityRoleName.CONTROLLER]), filters=AuditFilters()
        )
        started = time.perf_counter()
        lines = (
            sum(
                chunk.count("\r\n")
                for chunk in audit_events_csv(organization_id=organization.pk, events=events)
            )
            - 1
        )
        elapsed = time.perf_counter() - started
        print(f"audit CSV export: {lines:,} rows in {elapsed:.2f} s = {lines / elapsed:,.0f} rows/s")
    print(f"database: {connection.vendor}")


if __name__ == "__main__":
    main()
