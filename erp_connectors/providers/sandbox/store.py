"""The Sandbox ERP's own SQLite file (WAL): companies, their records, posted documents and knobs.

Records of every stream share one table: the API serves each record's stored JSON as is, so a page is a
single indexed range scan. Every write goes through one process-wide lock, which also makes change times
strictly increasing, so a cursor on (change time, id) never misses a record committed later.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from erp_connectors.providers.sandbox.generator import SCALES, company_data_generate
from erp_connectors.providers.sandbox.timestamps import microseconds_to_text

SCHEMA = """
CREATE TABLE IF NOT EXISTS companies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    api_key_hash TEXT NOT NULL UNIQUE,
    scale TEXT NOT NULL,
    seed INTEGER NOT NULL,
    knobs TEXT NOT NULL DEFAULT '{}',
    webhook_url TEXT NOT NULL DEFAULT '',
    webhook_secret TEXT NOT NULL DEFAULT '',
    document_counter INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS records (
    company_id TEXT NOT NULL,
    stream TEXT NOT NULL,
    id TEXT NOT NULL,
    changed_at INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    data TEXT NOT NULL,
    PRIMARY KEY (company_id, stream, id)
);
CREATE INDEX IF NOT EXISTS records_changes ON records (company_id, stream, changed_at, id);
CREATE TABLE IF NOT EXISTS documents (
    company_id TEXT NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    reference TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    changed_at INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (company_id, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS documents_idempotency
    ON documents (company_id, idempotency_key) WHERE idempotency_key != '';
CREATE INDEX IF NOT EXISTS documents_reference ON documents (company_id, reference);
CREATE INDEX IF NOT EXISTS documents_changes ON documents (company_id, changed_at, id);
CREATE TABLE IF NOT EXISTS attachments (
    company_id TEXT NOT NULL,
    document_id TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL
);
"""


def api_key_hash(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Company:
    id: str
    name: str
    scale: str
    seed: int
    knobs: dict[str, Any]
    webhook_url: str
    webhook_secret: str


@dataclass(frozen=True, slots=True)
class StoredRecord:
    id: str
    changed_at: int
    deleted: bool
    data: str


class Store:
    """Thread-safe access to one Sandbox data file; one SQLite connection per thread."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self.write_lock = threading.RLock()
        connection = self._connection()
        connection.execute("PRAGMA journal_mode=WAL")
        connection.executescript(SCHEMA)
        row = connection.execute(
            "SELECT max(changed_at) FROM (SELECT max(changed_at) AS changed_at FROM records "
            "UNION ALL SELECT max(changed_at) FROM documents)"
        ).fetchone()
        self._last_stamp = row[0] or 0

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA busy_timeout=30000")
            self._local.connection = connection
        return connection

    def stamp_next(self) -> int:
        """A change time strictly after every earlier one (call with the write lock held)."""
        self._last_stamp = max(int(time.time() * 1_000_000), self._last_stamp + 1)
        return self._last_stamp

    # Companies -------------------------------------------------------------------------------------

    def company_create(self, *, name: str, scale: str, seed: int, api_key: str = "") -> tuple[str, str]:
        """Create a company with generated data; return its id and API key."""
        spec = SCALES[scale]
        api_key = api_key or f"sbx_{secrets.token_urlsafe(24)}"
        with self.write_lock:
            connection = self._connection()
            count = connection.execute("SELECT count(*) FROM companies").fetchone()[0]
            company_id = f"c{count + 1}"
            connection.execute("BEGIN")
            try:
                connection.execute(
                    "INSERT INTO companies (id, name, api_key_hash, scale, seed) VALUES (?, ?, ?, ?, ?)",
                    (company_id, name, api_key_hash(api_key), scale, seed),
                )
                connection.executemany(
                    "INSERT INTO records (company_id, stream, id, changed_at, deleted, active, data) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        (company_id, row.stream, row.id, row.changed_at, row.deleted, row.active, row.data)
                        for row in company_data_generate(spec, seed)
                    ),
                )
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        return company_id, api_key

    def _company_from_row(self, row: Sequence[Any]) -> Company:
        return Company(
            id=row[0],
            name=row[1],
            scale=row[2],
            seed=row[3],
            knobs=json.loads(row[4]),
            webhook_url=row[5],
            webhook_secret=row[6],
        )

    _COMPANY_COLUMNS = "id, name, scale, seed, knobs, webhook_url, webhook_secret"

    def company_get(self, company_id: str) -> Company | None:
        row = (
            self._connection()
            .execute(f"SELECT {self._COMPANY_COLUMNS} FROM companies WHERE id = ?", (company_id,))
            .fetchone()
        )
        return self._company_from_row(row) if row else None

    def company_get_by_api_key(self, api_key: str) -> Company | None:
        row = (
            self._connection()
            .execute(
                f"SELECT {self._COMPANY_COLUMNS} FROM companies WHERE api_key_hash = ?",
                (api_key_hash(api_key),),
            )
            .fetchone()
        )
        return self._company_from_row(row) if row else None

    def company_list(self) -> list[Company]:
        rows = self._connection().execute(f"SELECT {self._COMPANY_COLUMNS} FROM companies ORDER BY id")
        return [self._company_from_row(row) for row in rows]

    def company_knobs_set(self, company_id: str, knobs: dict[str, Any]) -> None:
        with self.write_lock:
            self._connection().execute(
                "UPDATE companies SET knobs = ? WHERE id = ?", (json.dumps(knobs), company_id)
            )

    def company_webhook_set(self, company_id: str, url: str, secret: str) -> None:
        with self.write_lock:
            self._connection().execute(
                "UPDATE companies SET webhook_url = ?, webhook_secret = ? WHERE id = ?",
                (url, secret, company_id),
            )

    def company_document_number_next(self, company_id: str) -> int:
        with self.write_lock:
            connection = self._connection()
            connection.execute(
                "UPDATE companies SET document_counter = document_counter + 1 WHERE id = ?", (company_id,)
            )
            return connection.execute(
                "SELECT document_counter FROM companies WHERE id = ?", (company_id,)
            ).fetchone()[0]

    # Records ---------------------------------------------------------------------------------------

    def record_page(
        self,
        company_id: str,
        stream: str,
        *,
        since: int | None,
        after: tuple[int, str] | None,
        include_deleted: bool,
        limit: int,
    ) -> list[StoredRecord]:
        """Records ordered by (change time, id), changed at or after ``since``, strictly after ``after``."""
        clauses = ["company_id = ?", "stream = ?"]
        parameters: list[Any] = [company_id, stream]
        if since is not None:
            clauses.append("changed_at >= ?")
            parameters.append(since)
        if after is not None:
            clauses.append("(changed_at, id) > (?, ?)")
            parameters.extend(after)
        if not include_deleted:
            clauses.append("deleted = 0")
        parameters.append(limit)
        rows = self._connection().execute(
            f"SELECT id, changed_at, deleted, data FROM records WHERE {' AND '.join(clauses)} "
            "ORDER BY changed_at, id LIMIT ?",
            parameters,
        )
        return [StoredRecord(row[0], row[1], bool(row[2]), row[3]) for row in rows]

    def record_get_many(self, company_id: str, stream: str, ids: Iterable[str]) -> list[StoredRecord]:
        ids = list(ids)
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self._connection().execute(
            f"SELECT id, changed_at, deleted, data FROM records "
            f"WHERE company_id = ? AND stream = ? AND id IN ({marks})",
            [company_id, stream, *ids],
        )
        return [StoredRecord(row[0], row[1], bool(row[2]), row[3]) for row in rows]

    def record_get(self, company_id: str, stream: str, record_id: str) -> dict[str, Any] | None:
        """The live record as a dict, or None when it is unknown or deleted."""
        found = self.record_get_many(company_id, stream, [record_id])
        if not found or found[0].deleted:
            return None
        return json.loads(found[0].data)

    def record_id_page(
        self, company_id: str, stream: str, *, after: str, limit: int
    ) -> list[tuple[str, int]]:
        rows = self._connection().execute(
            "SELECT id, changed_at FROM records WHERE company_id = ? AND stream = ? AND deleted = 0 "
            "AND id > ? ORDER BY id LIMIT ?",
            (company_id, stream, after, limit),
        )
        return [(row[0], row[1]) for row in rows]

    def record_ids_sample(self, company_id: str, stream: str, *, active_only: bool) -> list[str]:
        condition = " AND active = 1" if active_only else ""
        rows = self._connection().execute(
            f"SELECT id FROM records WHERE company_id = ? AND stream = ? AND deleted = 0{condition} "
            "ORDER BY id",
            (company_id, stream),
        )
        return [row[0] for row in rows]

    def record_save(
        self, company_id: str, stream: str, record: dict[str, Any], *, deleted: bool = False
    ) -> int:
        """Insert or replace one record with a fresh change time; return that time."""
        with self.write_lock:
            changed_at = self.stamp_next()
            record["updated_at"] = microseconds_to_text(changed_at)
            self._connection().execute(
                "INSERT INTO records (company_id, stream, id, changed_at, deleted, active, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (company_id, stream, id) DO UPDATE SET "
                "changed_at = excluded.changed_at, deleted = excluded.deleted, active = excluded.active, "
                "data = excluded.data",
                (
                    company_id,
                    stream,
                    record["id"],
                    changed_at,
                    int(deleted),
                    int(bool(record.get("active", True))),
                    json.dumps(record, separators=(",", ":")),
                ),
            )
            return changed_at

    def record_count(self, company_id: str, stream: str, *, deleted: bool) -> int:
        return (
            self._connection()
            .execute(
                "SELECT count(*) FROM records WHERE company_id = ? AND stream = ? AND deleted = ?",
                (company_id, stream, int(deleted)),
            )
            .fetchone()[0]
        )

    # Documents -------------------------------------------------------------------------------------

    def document_get_by_key(self, company_id: str, idempotency_key: str) -> tuple[str, dict[str, Any]] | None:
        row = (
            self._connection()
            .execute(
                "SELECT request_hash, data FROM documents WHERE company_id = ? AND idempotency_key = ?",
                (company_id, idempotency_key),
            )
            .fetchone()
        )
        return (row[0], json.loads(row[1])) if row else None

    def document_get(self, company_id: str, document_id: str) -> dict[str, Any] | None:
        row = (
            self._connection()
            .execute("SELECT data FROM documents WHERE company_id = ? AND id = ?", (company_id, document_id))
            .fetchone()
        )
        return json.loads(row[0]) if row else None

    def document_find(self, company_id: str, reference: str) -> list[dict[str, Any]]:
        rows = self._connection().execute(
            "SELECT data FROM documents WHERE company_id = ? AND reference = ? ORDER BY id",
            (company_id, reference),
        )
        return [json.loads(row[0]) for row in rows]

    def document_save(
        self, company_id: str, document: dict[str, Any], *, idempotency_key: str = "", request_hash: str = ""
    ) -> int:
        with self.write_lock:
            changed_at = self.stamp_next()
            document["updated_at"] = microseconds_to_text(changed_at)
            self._connection().execute(
                "INSERT INTO documents (company_id, id, kind, reference, idempotency_key, request_hash, "
                "changed_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (company_id, id) DO UPDATE SET "
                "changed_at = excluded.changed_at, data = excluded.data",
                (
                    company_id,
                    document["id"],
                    document["kind"],
                    document["reference"],
                    idempotency_key,
                    request_hash,
                    changed_at,
                    json.dumps(document, separators=(",", ":")),
                ),
            )
            return changed_at

    def document_page(
        self, company_id: str, *, since: int | None, after: tuple[int, str] | None, limit: int
    ) -> list[StoredRecord]:
        clauses = ["company_id = ?"]
        parameters: list[Any] = [company_id]
        if since is not None:
            clauses.append("changed_at >= ?")
            parameters.append(since)
        if after is not None:
            clauses.append("(changed_at, id) > (?, ?)")
            parameters.extend(after)
        parameters.append(limit)
        rows = self._connection().execute(
            f"SELECT id, changed_at, 0, data FROM documents WHERE {' AND '.join(clauses)} "
            "ORDER BY changed_at, id LIMIT ?",
            parameters,
        )
        return [StoredRecord(row[0], row[1], False, row[3]) for row in rows]

    def document_ids_open(self, company_id: str, kind: str) -> list[str]:
        """Ids of documents of ``kind`` still waiting for payment (or application)."""
        rows = self._connection().execute(
            "SELECT id FROM documents WHERE company_id = ? AND kind = ? "
            "AND json_extract(data, '$.state') IN ('unpaid', 'partially_paid') ORDER BY id",
            (company_id, kind),
        )
        return [row[0] for row in rows]

    def attachment_save(
        self, company_id: str, document_id: str, filename: str, content_type: str, content: bytes
    ) -> str:
        digest = hashlib.sha256(content).hexdigest()
        with self.write_lock:
            self._connection().execute(
                "INSERT INTO attachments (company_id, document_id, filename, content_type, sha256, content) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (company_id, document_id, filename, content_type, digest, content),
            )
        return digest
