"""Keeping what arrives: files stored by content (SHA-256), one Document per entity and content.

Every path in (upload, API, email) calls :func:`document_store`. The bytes are written first, under a
path named by their hash (so writing the same content twice writes the same file), then the row; the
unique (entity, sha256) constraint, not a check beforehand, decides whether this is a new document or
another arrival of a known one. New documents are queued for processing when the transaction commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from invoices.models import Document, DocumentArrival, InboundMessage, IntakeSource
from organizations.audit import audit_record
from organizations.models import Entity, User

MEBIBYTE = 1024 * 1024


@dataclass(frozen=True)
class StoredDocument:
    document: Document
    arrival: DocumentArrival
    created: bool  # False: the same file was already known in this entity (linked, not duplicated)


@dataclass(frozen=True)
class IncomingFile:
    """A file's bytes as chunks (an upload streams; an attachment is one chunk), with what was said of it."""

    filename: str
    content_type: str
    chunks: Iterable[bytes]


def _megabytes(size: int) -> str:
    if size < MEBIBYTE:
        return f"{max(1, round(size / 1024))} KB"
    value = size / MEBIBYTE
    return f"{value:.1f} MB" if value < 10 else f"{value:.0f} MB"


def _document_path(organization_id: int, entity_id: int, sha256: str) -> str:
    return f"documents/{organization_id}/{entity_id}/{sha256[:2]}/{sha256}.bin"


def _content_read(incoming: IncomingFile, limit: int) -> tuple[bytes | None, str, int]:
    """(bytes, or None when over ``limit``; sha256; size). Over the limit, hashing goes on but bytes are dropped."""
    digest = hashlib.sha256()
    size = 0
    kept: list[bytes] | None = []
    for chunk in incoming.chunks:
        digest.update(chunk)
        size += len(chunk)
        if kept is not None:
            kept.append(chunk)
            if size > limit:
                kept = None
    return (b"".join(kept) if kept is not None else None), digest.hexdigest(), size


def document_store(
    *,
    entity: Entity,
    incoming: IncomingFile,
    source: str,
    uploaded_by: User | None = None,
    message: InboundMessage | None = None,
    actor_label: str = "",
) -> StoredDocument:
    """Store a file for ``entity`` (or link another arrival of the same file). Never raises on bad content:
    a file over the size limit is kept as a rejected document with its name, size and hash."""
    limit = settings.INVOICE_MAX_FILE_BYTES
    data, sha256, size = _content_read(incoming, limit)
    filename = (incoming.filename or "document.pdf").replace("/", "_").replace("\\", "_")[:300]
    path = ""
    if data is not None:
        path = _document_path(entity.organization_id, entity.pk, sha256)
        if not default_storage.exists(path):
            default_storage.save(path, ContentFile(data))
    with transaction.atomic():
        created = False
        document = Document.objects.filter(entity=entity, sha256=sha256).first()
        if document is None:
            try:
                with transaction.atomic():
                    document = _document_create(entity, incoming, filename, sha256, size, path, limit)
                created = True
            except IntegrityError:  # the same file arrived at the same moment by another path
                document = Document.objects.get(entity=entity, sha256=sha256)
        arrival = DocumentArrival.objects.create(
            entity=entity,
            document=document,
            source=source,
            message=message,
            uploaded_by=uploaded_by,
            filename=filename,
        )
        audit_record(
            action="document.received" if created else "document.received_again",
            actor=uploaded_by,
            actor_label=actor_label,
            target=document,
            entity=entity,
            after={"filename": filename, "size": size, "sha256": sha256},
            metadata={
                "source": source,
                "message_id": message.pk if message is not None else None,
                **({"rejected": document.failure_reason} if created and document.failure_reason else {}),
            },
        )
        if created and document.status == Document.Status.RECEIVED:
            document_processing_queue(document=document)
    return StoredDocument(document=document, arrival=arrival, created=created)


def _document_create(
    entity: Entity, incoming: IncomingFile, filename: str, sha256: str, size: int, path: str, limit: int
) -> Document:
    document = Document(
        entity=entity,
        sha256=sha256,
        filename=filename,
        content_type=(incoming.content_type or "")[:100],
        size=size,
    )
    document.file.name = path
    if not path:
        document.status = Document.Status.REJECTED
        document.problem = "oversize"
        document.failure_reason = f"The file is {_megabytes(size)}, over the {_megabytes(limit)} limit."
    document.save()
    return document


def document_processing_queue(*, document: Document) -> None:
    """Queue extraction and checks for ``document`` once the current transaction commits."""
    from invoices.tasks import invoice_document_process

    organization_id, document_id = document.organization_id, document.pk
    transaction.on_commit(
        lambda: invoice_document_process.delay(organization_id=organization_id, document_id=document_id)
    )


def upload_files_store(
    *,
    entity: Entity,
    files: Iterable[IncomingFile],
    uploaded_by: User | None,
    source: str = IntakeSource.UPLOAD,
) -> list[StoredDocument]:
    """Store several uploaded files, each in its own transaction (one bad file never loses the others)."""
    return [
        document_store(entity=entity, incoming=incoming, source=source, uploaded_by=uploaded_by)
        for incoming in files
    ]
