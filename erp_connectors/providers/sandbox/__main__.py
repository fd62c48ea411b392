"""Command line of the Sandbox ERP.

    python -m erp_connectors.providers.sandbox serve --db PATH --port N [--host 127.0.0.1]
        [--scale small|medium|full] [--seed N] [--admin-token T] [--api-key K] [--no-default-company]
        [--parent-pid PID]
    python -m erp_connectors.providers.sandbox generate --db PATH [--scale S] [--seed N] [--api-key K]

``serve`` prints one JSON line ``{"event": "ready", "url": ..., "port": ...}`` once it accepts requests.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import sys
import threading
import time

from erp_connectors.providers.sandbox.generator import SCALES
from erp_connectors.providers.sandbox.server import SandboxServer
from erp_connectors.providers.sandbox.store import Store


def _print(payload: dict) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


def _company_default(store: Store, arguments: argparse.Namespace) -> None:
    started = time.monotonic()
    company_id, api_key = store.company_create(
        name="Demo company",
        scale=arguments.scale,
        seed=arguments.seed,
        api_key=arguments.api_key or f"sbx_demo_{arguments.seed}",
    )
    _print(
        {
            "event": "company_created",
            "company_id": company_id,
            "api_key": api_key,
            "scale": arguments.scale,
            "seconds": round(time.monotonic() - started, 2),
        }
    )


def _parent_watch(server: SandboxServer, parent_pid: int) -> None:
    # The test or demo process that started us is gone: stop rather than linger.
    while True:
        time.sleep(0.5)
        try:
            os.kill(parent_pid, 0)
        except OSError:
            server.shutdown()
            return


def command_serve(arguments: argparse.Namespace) -> None:
    store = Store(arguments.db)
    if not store.company_list() and not arguments.no_default_company:
        _company_default(store, arguments)
    admin_token = arguments.admin_token or os.environ.get("SANDBOX_ADMIN_TOKEN") or secrets.token_urlsafe(16)
    server = SandboxServer((arguments.host, arguments.port), store, admin_token)
    host, port = str(server.server_address[0]), server.server_address[1]
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    if arguments.parent_pid:
        threading.Thread(target=_parent_watch, args=(server, arguments.parent_pid), daemon=True).start()
    ready = {"event": "ready", "url": f"http://{host}:{port}", "port": port}
    if not (arguments.admin_token or os.environ.get("SANDBOX_ADMIN_TOKEN")):
        ready["admin_token"] = admin_token
    _print(ready)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def command_generate(arguments: argparse.Namespace) -> None:
    _company_default(Store(arguments.db), arguments)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m erp_connectors.providers.sandbox")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("serve", "generate"):
        command = commands.add_parser(name)
        command.add_argument("--db", required=True, help="SQLite file (created when missing)")
        command.add_argument("--scale", choices=sorted(SCALES), default="small")
        command.add_argument("--seed", type=int, default=1)
        command.add_argument("--api-key", default="", help="API key of the default company")
        if name == "serve":
            command.add_argument("--host", default="127.0.0.1")
            command.add_argument("--port", type=int, default=8765, help="0 picks a free port")
            command.add_argument("--admin-token", default="", help="default: $SANDBOX_ADMIN_TOKEN or random")
            command.add_argument("--no-default-company", action="store_true")
            command.add_argument("--parent-pid", type=int, default=0, help="stop when this process ends")
    arguments = parser.parse_args(argv)
    {"serve": command_serve, "generate": command_generate}[arguments.command](arguments)


if __name__ == "__main__":
    main()
