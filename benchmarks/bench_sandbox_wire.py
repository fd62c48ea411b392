"""Wire floor: how fast can every page of every stream of a full-scale Sandbox be downloaded?

A plain httpx loop with no mapping and no database, the lower bound a full sync is compared against.
Starts its own Sandbox on 127.0.0.1 (stopped at the end), creates a full-scale company, then pages
through each stream with the largest page size.

    python benchmarks/bench_sandbox_wire.py [--scale full] [--page-size 1000] [--time-limit 600]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from erp_connectors.providers.sandbox.process import sandbox_running

STREAMS = ("vendors", "purchase_orders", "accounts", "employees", "items", "receipts", "dimensions")


def stream_download(
    client: httpx.Client, stream: str, page_size: int, deadline: float
) -> tuple[int, int, int]:
    """Return (records, pages, bytes) after following every page of one stream."""
    records = pages = size = 0
    token = None
    while True:
        if time.monotonic() > deadline:
            raise TimeoutError(f"time limit reached while downloading {stream}")
        params = {"limit": page_size, "include_deleted": "true"}
        if token:
            params["page_token"] = token
        response = client.get(f"/api/v1/{stream}", params=params)
        response.raise_for_status()
        body = response.json()
        records += len(body["data"])
        pages += 1
        size += len(response.content)
        token = body["next_page_token"]
        if not token:
            return records, pages, size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="full", choices=("small", "medium", "full"))
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds for the whole run")
    arguments = parser.parse_args()
    deadline = time.monotonic() + arguments.time_limit
    with sandbox_running() as sandbox:
        started = time.monotonic()
        company = sandbox.company_create("Wire floor", scale=arguments.scale, seed=1)
        print(f"company at scale {arguments.scale} created in {time.monotonic() - started:.1f} s")
        headers = {"Authorization": f"Bearer {company.api_key}"}
        total_records = 0
        total_started = time.monotonic()
        print(f"{'stream':<16}{'records':>10}{'pages':>8}{'MB':>8}{'seconds':>10}{'records/s':>12}")
        with httpx.Client(base_url=company.base_url, headers=headers, timeout=60) as client:
            for stream in STREAMS:
                stream_started = time.monotonic()
                records, pages, size = stream_download(client, stream, arguments.page_size, deadline)
                seconds = time.monotonic() - stream_started
                total_records += records
                print(
                    f"{stream:<16}{records:>10}{pages:>8}{size / 1e6:>8.1f}{seconds:>10.2f}"
                    f"{records / seconds:>12.0f}"
                )
        total_seconds = time.monotonic() - total_started
        rate = total_records / total_seconds
        print(f"{'total':<16}{total_records:>10}{'':>16}{total_seconds:>10.2f}{rate:>12.0f}")


if __name__ == "__main__":
    main()
