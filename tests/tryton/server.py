"""A live Tryton server for the connector tests: installed, initialised, started and stopped from Python.

Three layers, each cached under the git-ignored ``var/tryton/`` folder and keyed by a hash of the pinned
``requirements.txt``, the activated modules and the Python version:

1. ``environment_install``: a virtual environment with the pinned trytond packages (about 15 s, once).
2. ``template_build``: a pristine SQLite database with the modules activated (about 25 s, once).
3. ``TrytonServer``: a copy of the template for one test session and a ``trytond`` process on a free
   port of 127.0.0.1, stopped (and its files removed) by ``stop``.

Every step is bounded in time and raises ``TrytonServerError`` with the tail of the log when it fails.
Building is serialised with a file lock, so parallel sessions on one machine share the cache safely.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPOSITORY_ROOT = HERE.parents[1]
REQUIREMENTS_FILE = HERE / "requirements.txt"
VAR_ROOT = Path(os.environ.get("MODAI_TRYTON_HOME", REPOSITORY_ROOT / "var" / "tryton"))

# trytond-admin activates these and, with --activate-dependencies, what they need (account, stock,
# product, party, currency, country, bank, analytic_account, ...).
MODULES = (
    "company",
    "purchase",
    "account_invoice_stock",
    "analytic_purchase",
    "analytic_invoice",
    "account_payment",
    "account_statement",
)
ADMIN_LOGIN = "admin"
ADMIN_PASSWORD = "modai-admin-Secret-2026"
ADMIN_EMAIL = "admin@example.test"
TEMPLATE_DATABASE = "template"
DATABASE = "modai"

PR_SET_PDEATHSIG = 1
INSTALL_TIMEOUT = 900.0
TEMPLATE_TIMEOUT = 300.0
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


class TrytonServerError(RuntimeError):
    """The Tryton test server could not be installed, initialised or started."""


@dataclass
class SetupTimings:
    """Seconds spent on each setup step (0 where a cached result was reused)."""

    install: float = 0.0
    template: float = 0.0
    start: float = 0.0
    install_cached: bool = False
    template_cached: bool = False

    def describe(self) -> str:
        install = "cached" if self.install_cached else f"{self.install:.1f} s"
        template = "cached" if self.template_cached else f"{self.template:.1f} s"
        return f"install {install}, template database {template}, start {self.start:.1f} s"


def pin_key() -> str:
    """Hash of everything the cached environment and template depend on."""
    digest = hashlib.sha256()
    digest.update(REQUIREMENTS_FILE.read_bytes())
    digest.update(" ".join(MODULES).encode())
    digest.update(f"{sys.version_info.major}.{sys.version_info.minor}".encode())
    return digest.hexdigest()[:16]


def cache_root() -> Path:
    return VAR_ROOT / pin_key()


@contextlib.contextmanager
def _cache_lock(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _run(command: list[str], *, timeout: float, log_path: Path, env: dict[str, str] | None = None) -> None:
    with open(log_path, "ab") as log:
        try:
            completed = subprocess.run(
                command, stdout=log, stderr=subprocess.STDOUT, timeout=timeout, env=env, check=False
            )
        except subprocess.TimeoutExpired:
            raise TrytonServerError(
                f"{command[0]} did not finish within {timeout:.0f} s\n{_log_tail(log_path)}"
            ) from None
    if completed.returncode != 0:
        raise TrytonServerError(
            f"{' '.join(command[:3])} exited with {completed.returncode}\n{_log_tail(log_path)}"
        )


def _log_tail(log_path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _config_write(path: Path, *, database_folder: Path, attachment_folder: Path, port: int = 0) -> None:
    listen = f"127.0.0.1:{port}" if port else "127.0.0.1:0"
    path.write_text(
        f"[web]\nlisten = {listen}\n\n"
        f"[database]\nuri = sqlite://\npath = {database_folder}\n\n"
        f"[attachment]\npath = {attachment_folder}\n\n"
        # Long enough that no session expires during a test run; the stale-session test ends one itself.
        "[session]\ntimeout = 3600\n"
    )


def environment_install(root: Path, timings: SetupTimings) -> Path:
    """Create (once per pin set) the virtual environment holding trytond; return its bin folder."""
    venv = root / "venv"
    marker = root / "venv.ok"
    if marker.exists():
        timings.install_cached = True
        return venv / "bin"
    started = time.perf_counter()
    shutil.rmtree(venv, ignore_errors=True)
    log_path = root / "install.log"
    log_path.unlink(missing_ok=True)
    _run([sys.executable, "-m", "venv", str(venv)], timeout=120, log_path=log_path)
    _run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS_FILE)],
        timeout=INSTALL_TIMEOUT,
        log_path=log_path,
    )
    marker.write_text(REQUIREMENTS_FILE.read_text())
    timings.install = time.perf_counter() - started
    return venv / "bin"


def template_build(root: Path, bin_folder: Path, timings: SetupTimings) -> Path:
    """Create (once per pin set) the pristine SQLite database with the modules activated."""
    template_folder = root / "template"
    template_file = template_folder / f"{TEMPLATE_DATABASE}.sqlite"
    marker = root / "template.ok"
    if marker.exists() and template_file.exists():
        timings.template_cached = True
        return template_file
    started = time.perf_counter()
    shutil.rmtree(template_folder, ignore_errors=True)
    (template_folder / "attachments").mkdir(parents=True)
    config = template_folder / "trytond.conf"
    _config_write(config, database_folder=template_folder, attachment_folder=template_folder / "attachments")
    template_file.touch()
    password_file = template_folder / "admin-password"
    password_file.write_text(ADMIN_PASSWORD + "\n")
    log_path = root / "template.log"
    log_path.unlink(missing_ok=True)
    try:
        _run(
            [
                str(bin_folder / "trytond-admin"),
                "-c",
                str(config),
                "-d",
                TEMPLATE_DATABASE,
                "--email",
                ADMIN_EMAIL,
                "--activate-dependencies",
                "-u",
                *MODULES,
            ],
            timeout=TEMPLATE_TIMEOUT,
            log_path=log_path,
            env={**os.environ, "TRYTONPASSFILE": str(password_file)},
        )
    finally:
        password_file.unlink(missing_ok=True)
    marker.write_text(pin_key())
    timings.template = time.perf_counter() - started
    return template_file


def port_free() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class TrytonServer:
    """One running trytond with its own copy of the template database.

    Use ``TrytonServer.start()`` and ``stop()`` (or ``with TrytonServer.start() as server``). ``url`` is
    the server's base URL (``http://127.0.0.1:<port>``), ``database`` the database name and
    ``admin_login``/``admin_password`` the administrator's credentials.
    """

    url: str
    database: str
    session_folder: Path
    process: subprocess.Popen[bytes]
    timings: SetupTimings
    admin_login: str = ADMIN_LOGIN
    admin_password: str = ADMIN_PASSWORD
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.session_folder / "trytond.log"

    @classmethod
    def start(cls, *, attempts: int = 3, database_file: Path | None = None) -> TrytonServer:
        """Start on a copy of the template, or of ``database_file`` (a ``database_snapshot``)."""
        timings = SetupTimings()
        root = cache_root()
        with _cache_lock(root):
            bin_folder = environment_install(root, timings)
            template_file = template_build(root, bin_folder, timings)
        sessions = VAR_ROOT / "sessions"
        sessions.mkdir(parents=True, exist_ok=True)
        _stale_sessions_remove(sessions)
        session_folder = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=sessions))
        (session_folder / "attachments").mkdir()
        shutil.copyfile(database_file or template_file, session_folder / f"{DATABASE}.sqlite")
        started = time.perf_counter()
        last_error: TrytonServerError | None = None
        # A free port can be taken by someone else between probing and binding: try a few.
        for _attempt in range(attempts):
            try:
                server = cls._process_start(bin_folder, session_folder, timings)
            except TrytonServerError as error:
                last_error = error
                continue
            timings.start = time.perf_counter() - started
            return server
        shutil.rmtree(session_folder, ignore_errors=True)
        assert last_error is not None
        raise last_error

    @classmethod
    def _process_start(cls, bin_folder: Path, session_folder: Path, timings: SetupTimings) -> TrytonServer:
        port = port_free()
        config = session_folder / "trytond.conf"
        _config_write(
            config,
            database_folder=session_folder,
            attachment_folder=session_folder / "attachments",
            port=port,
        )
        log_path = session_folder / "trytond.log"
        with open(log_path, "ab") as log:
            # -d preloads the database: trytond 8.0 cannot open one lazily after start.
            process = subprocess.Popen(
                [str(bin_folder / "trytond"), "-c", str(config), "-d", DATABASE],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_stop_with_parent,
            )
        (session_folder / "trytond.pid").write_text(str(process.pid))
        server = cls(
            url=f"http://127.0.0.1:{port}",
            database=DATABASE,
            session_folder=session_folder,
            process=process,
            timings=timings,
        )
        try:
            server._wait_until_answering()
        except TrytonServerError:
            server._process_stop()
            raise
        return server

    def _wait_until_answering(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        body = json.dumps({"id": 0, "method": "common.server.version", "params": []}).encode()
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise TrytonServerError(
                    f"trytond exited with {self.process.returncode}\n{_log_tail(self.log_path)}"
                )
            request = urllib.request.Request(
                f"{self.url}/rpc/", data=body, headers={"Content-Type": "application/json"}
            )
            # Not listening yet: try again shortly.
            with (
                contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError),
                urllib.request.urlopen(request, timeout=2) as response,
            ):
                if response.status == 200:
                    return
            time.sleep(0.1)
        raise TrytonServerError(
            f"trytond did not answer within {START_TIMEOUT:.0f} s\n{_log_tail(self.log_path)}"
        )

    def _process_stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)

    def database_snapshot(self, name: str) -> Path:
        """A consistent copy of the database as it is now (SQLite's online backup), kept in the session
        folder until ``stop``; ``TrytonServer.start(database_file=...)`` serves a copy of it."""
        target_path = self.session_folder / f"{name}.sqlite"
        source = sqlite3.connect(self.session_folder / f"{DATABASE}.sqlite")
        target = sqlite3.connect(target_path)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return target_path

    def stop(self) -> None:
        """Stop the process and remove the session's files. Safe to call twice."""
        self._process_stop()
        shutil.rmtree(self.session_folder, ignore_errors=True)

    def log_tail(self, lines: int = 40) -> str:
        return _log_tail(self.log_path, lines)

    def __enter__(self) -> TrytonServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _stop_with_parent() -> None:
    """In the child before exec: ask Linux to send SIGTERM when the test process dies, however it dies."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _stale_sessions_remove(sessions: Path) -> None:
    """Clean up after test processes killed before their teardown: their trytond and session folder."""
    for folder in sessions.iterdir():
        owner = folder.name.split("-", 1)[0]
        if not owner.isdigit() or _process_alive(int(owner)):
            continue
        _orphan_stop(folder)
        shutil.rmtree(folder, ignore_errors=True)


def _orphan_stop(session_folder: Path) -> None:
    """Stop the trytond a dead test process left running, if it is still the one it started."""
    try:
        process_id = int((session_folder / "trytond.pid").read_text())
        command_line = Path(f"/proc/{process_id}/cmdline").read_bytes()
    except (OSError, ValueError):
        return
    if str(session_folder).encode() in command_line:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process_id, signal.SIGTERM)


def _process_alive(process_id: int) -> bool:
    try:
        os.kill(process_id, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
