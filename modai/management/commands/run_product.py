"""Start web, worker and beat (and what later features add) and supervise them as one product.

Ctrl-C or SIGTERM stops every process; if one process dies, the others are stopped too and the
command exits non-zero, so a broken start is never half-running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from modai.processes import ProcessSpec, product_processes


class Command(BaseCommand):
    help = "Run web, worker and beat together (the embedded product)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--worker-concurrency", type=int, default=2)

    def handle(self, *args: Any, host: str, port: int, worker_concurrency: int, **options: Any) -> None:
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        specs = product_processes(host=host, port=port, worker_concurrency=worker_concurrency)
        children: list[tuple[ProcessSpec, subprocess.Popen[bytes]]] = []
        stopping = threading.Event()

        def stop(*_: object) -> None:
            stopping.set()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        for spec in specs:
            process = subprocess.Popen(
                spec.argv,
                cwd=settings.BASE_DIR,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=os.environ.copy(),
                start_new_session=True,
            )
            children.append((spec, process))
            threading.Thread(target=self._relay, args=(spec.name, process), daemon=True).start()
        self.stdout.write(
            self.style.SUCCESS(f"Modai AP is starting on http://{host}:{port}/ (Ctrl-C stops it)")
        )
        exit_code = 0
        try:
            while not stopping.is_set():
                for spec, process in children:
                    if process.poll() is not None:
                        self.stderr.write(
                            f"{spec.name} exited with code {process.returncode}; stopping everything"
                        )
                        exit_code = 1
                        stopping.set()
                        break
                stopping.wait(0.5)
        finally:
            self._stop_all(children)
        if exit_code:
            raise SystemExit(exit_code)

    def _relay(self, name: str, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for line in iter(process.stdout.readline, b""):
            self.stdout.write(f"[{name}] {line.decode(errors='replace').rstrip()}")

    def _stop_all(self, children: list[tuple[ProcessSpec, subprocess.Popen[bytes]]]) -> None:
        for _, process in children:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for _, process in children:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
