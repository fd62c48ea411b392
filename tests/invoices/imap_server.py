"""A small IMAP4rev1 server for the tests: one user, one mailbox, messages in memory.

Enough of RFC 3501 for a poller on stdlib imaplib: CAPABILITY, LOGIN, SELECT, SEARCH (ALL / UNSEEN /
SEEN / FLAGGED), FETCH (RFC822, FLAGS), STORE (+FLAGS / -FLAGS / FLAGS), NOOP, LOGOUT. It listens on
127.0.0.1 on a free port and stops when the context manager exits.
"""

from __future__ import annotations

import re
import socketserver
import threading
from dataclasses import dataclass, field


@dataclass
class StoredMail:
    raw: bytes
    flags: set[str] = field(default_factory=set)


class Mailbox:
    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user, password
        self.messages: list[StoredMail] = []
        self.lock = threading.Lock()
        self.commands: list[str] = []

    def add(self, raw: bytes) -> None:
        with self.lock:
            self.messages.append(StoredMail(raw))

    def flags(self) -> list[set[str]]:
        with self.lock:
            return [set(message.flags) for message in self.messages]


_COMMAND = re.compile(rb"^(\S+) (\S+)(?: (.*))?$")


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def send(self, line: str | bytes) -> None:
        data = line if isinstance(line, bytes) else line.encode()
        self.wfile.write(data + b"\r\n")

    def handle(self) -> None:
        mailbox = self.server.mailbox
        authenticated = selected = False
        self.send("* OK IMAP4rev1 test server ready")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            match = _COMMAND.match(line.rstrip(b"\r\n"))
            if match is None:
                self.send("* BAD malformed command")
                continue
            tag, command, arguments = (
                match.group(1).decode(),
                match.group(2).decode().upper(),
                (match.group(3) or b"").decode(),
            )
            mailbox.commands.append(command)
            if command == "UID":
                self.send(f"{tag} NO UID commands are not supported by this test server")
            elif command == "CAPABILITY":
                self.send("* CAPABILITY IMAP4rev1 AUTH=PLAIN")
                self.send(f"{tag} OK CAPABILITY completed")
            elif command == "NOOP":
                self.send(f"{tag} OK NOOP completed")
            elif command == "LOGIN":
                user, password = [part.strip('"') for part in arguments.split(" ", 1)]
                if (user, password) == (mailbox.user, mailbox.password):
                    authenticated = True
                    self.send(f"{tag} OK LOGIN completed")
                else:
                    self.send(f"{tag} NO [AUTHENTICATIONFAILED] invalid credentials")
            elif command == "LOGOUT":
                self.send("* BYE logging out")
                self.send(f"{tag} OK LOGOUT completed")
                return
            elif not authenticated:
                self.send(f"{tag} NO log in first")
            elif command in ("SELECT", "EXAMINE"):
                if arguments.strip('"').upper() != "INBOX":
                    self.send(f"{tag} NO no such mailbox")
                    continue
                selected = True
                with mailbox.lock:
                    count = len(mailbox.messages)
                    unseen = sum(1 for message in mailbox.messages if "\\Seen" not in message.flags)
                self.send(f"* {count} EXISTS")
                self.send("* 0 RECENT")
                self.send(f"* OK [UNSEEN {unseen}] unseen")
                self.send(r"* FLAGS (\Seen \Flagged \Deleted \Answered \Draft)")
                self.send(f"{tag} OK [READ-WRITE] SELECT completed")
            elif not selected:
                self.send(f"{tag} NO select a mailbox first")
            elif command == "SEARCH":
                self.send(
                    f"* SEARCH {' '.join(str(number) for number in self._search(arguments.upper()))}".rstrip()
                )
                self.send(f"{tag} OK SEARCH completed")
            elif command == "FETCH":
                self._fetch(tag, arguments)
            elif command == "STORE":
                self._store(tag, arguments)
            else:
                self.send(f"{tag} BAD unknown command {command}")

    def _search(self, criteria: str) -> list[int]:
        mailbox = self.server.mailbox
        with mailbox.lock:
            numbered = list(enumerate(mailbox.messages, start=1))
        if criteria in ("ALL", ""):
            return [number for number, _ in numbered]
        if criteria == "UNSEEN":
            return [number for number, message in numbered if "\\Seen" not in message.flags]
        if criteria == "SEEN":
            return [number for number, message in numbered if "\\Seen" in message.flags]
        if criteria == "FLAGGED":
            return [number for number, message in numbered if "\\Flagged" in message.flags]
        return []

    def _message(self, tag: str, number_text: str) -> tuple[int, StoredMail] | None:
        mailbox = self.server.mailbox
        if not number_text.isdigit() or not 1 <= int(number_text) <= len(mailbox.messages):
            self.send(f"{tag} BAD no such message {number_text}")
            return None
        return int(number_text), mailbox.messages[int(number_text) - 1]

    def _fetch(self, tag: str, arguments: str) -> None:
        number_text, _, items = arguments.partition(" ")
        found = self._message(tag, number_text)
        if found is None:
            return
        number, message = found
        items = items.upper()
        if "RFC822" in items or "BODY[]" in items or "BODY.PEEK[]" in items:
            if "PEEK" not in items:
                message.flags.add("\\Seen")
            flags = " ".join(sorted(message.flags))
            self.send(f"* {number} FETCH (FLAGS ({flags}) BODY[] {{{len(message.raw)}}}".encode())
            self.wfile.write(message.raw)
            self.send(")")
        elif "FLAGS" in items:
            self.send(f"* {number} FETCH (FLAGS ({' '.join(sorted(message.flags))}))")
        self.send(f"{tag} OK FETCH completed")

    def _store(self, tag: str, arguments: str) -> None:
        number_text, _, rest = arguments.partition(" ")
        found = self._message(tag, number_text)
        if found is None:
            return
        number, message = found
        mode, _, flag_text = rest.partition(" ")
        flags = set(flag_text.strip("()").split())
        mode = mode.upper()
        if mode.startswith("+"):
            message.flags |= flags
        elif mode.startswith("-"):
            message.flags -= flags
        else:
            message.flags = flags
        self.send(f"* {number} FETCH (FLAGS ({' '.join(sorted(message.flags))}))")
        self.send(f"{tag} OK STORE completed")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    mailbox: Mailbox


class ImapTestServer:
    """``with ImapTestServer(user, password) as server:`` -> server.port, server.mailbox."""

    def __init__(self, user: str = "ap-inbox", password: str = "imap-secret") -> None:
        self.mailbox = Mailbox(user, password)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.mailbox = self.mailbox
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> ImapTestServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
