"""Cost of tenant scoping: a scoped ORM read against the same ORM read filtered by hand (no scope
machinery), with raw SQL as the floor.

On PostgreSQL (DATABASE_URL set) the scoped read also carries the row-level-security prefix.
Prints per-query microseconds and the ratios.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "modai.settings")
if not os.environ.get("DATABASE_URL"):
    os.environ["MODAI_DATA_DIR"] = tempfile.mkdtemp(prefix="modai-bench-")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

ROUNDS = 2000


def main() -> None:
    call_command("migrate", verbosity=0)
    from organizations.models import Entity
    from organizations.services import entity_create, organization_create
    from organizations.tenancy import tenant_scope

    organization = organization_create(name="Bench Org")
    with tenant_scope(organization):
        for number in range(20):
            entity_create(actor=None, name=f"Entity {number}", code=f"E{number}")
    table = Entity._meta.db_table

    def scoped() -> None:
        with tenant_scope(organization):
            list(Entity.objects.filter(code="E7").values_list("id", flat=True))

    def orm_by_hand() -> None:
        # The base manager skips the tenant filter; this is the same query with the filter written out.
        list(
            Entity._base_manager.filter(organization_id=organization.pk, code="E7").values_list(
                "id", flat=True
            )
        )

    def raw_sql() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM {table} WHERE organization_id = %s AND code = %s", [organization.pk, "E7"]
            )
            cursor.fetchall()

    results = {}
    cases = (("scoped ORM query", scoped), ("ORM, filter by hand", orm_by_hand), ("raw SQL", raw_sql))
    for name, function in cases:
        for _ in range(200):
            function()
        samples = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            function()
            samples.append(time.perf_counter() - started)
        results[name] = statistics.median(samples) * 1e6
    print(f"database: {connection.vendor}, {ROUNDS} queries each")
    for name, micros in results.items():
        print(f"  {name:<20} median {micros:8.1f} µs/query")
    scoped_cost = results["scoped ORM query"]
    print(f"  ratio scoped / ORM by hand: {scoped_cost / results['ORM, filter by hand']:.2f}x")
    print(f"  ratio scoped / raw SQL:     {scoped_cost / results['raw SQL']:.2f}x")


if __name__ == "__main__":
    main()
