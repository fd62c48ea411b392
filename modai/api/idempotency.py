"""``Idempotency-Key`` on creating API requests: a retried POST gets the first answer, not a second effect.

A client that sends ``Idempotency-Key: <its own unique string>`` with a POST can resend the same request
after a timeout or a dropped connection and be sure it ran once. The first request records the key
before it runs and its answer after; a repeat with the same key gets that answer back with
``Idempotent-Replayed: true``. The same key with a different request is a 422; a repeat while the first is
still running is a 409. Server errors (5xx) are not kept, so the client may retry those. Keys are per
user and kept for a day.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from rest_framework import exceptions, status
from rest_framework.request import Request

from organizations.models import ApiIdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEEP_FOR = timedelta(hours=24)
ABANDONED_AFTER = timedelta(minutes=5)
MAX_KEY_LENGTH = 255


class IdempotencyConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A request with this Idempotency-Key is still being processed; retry shortly."
    default_code = "idempotency_in_progress"


class IdempotencyMismatch(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used for a different request."
    default_code = "idempotency_key_reused"


class IdempotentReplay(Exception):
    """Raised from the view's ``initial`` to answer with the stored response instead of running."""

    def __init__(self, record: ApiIdempotencyKey) -> None:
        super().__init__(record.key)
        self.record = record

    def response(self) -> HttpResponse:
        record = self.record
        response = HttpResponse(
            bytes(record.body), status=record.status_code, content_type=record.content_type or None
        )
        response[REPLAYED_HEADER] = "true"
        return response


def _update_with_value(digest: Any, value: Any) -> None:
    if isinstance(value, UploadedFile):
        digest.update(f"file:{value.name}:{value.size}:".encode())
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
    else:
        digest.update(json.dumps(value, sort_keys=True, default=str).encode())


def request_fingerprint(request: Request) -> str:
    """SHA-256 of the method, the full path and the parsed body (uploaded files by content)."""
    digest = hashlib.sha256(f"{request.method} {request.get_full_path()}\n".encode())
    data = request.data
    if hasattr(data, "lists"):
        for name, values in sorted(data.lists()):
            digest.update(f"{name}=".encode())
            for value in values:
                _update_with_value(digest, value)
    else:
        _update_with_value(digest, data)
    for name, files in sorted(request.FILES.lists()):
        if hasattr(data, "lists") and name in data:
            continue
        digest.update(f"{name}=".encode())
        for uploaded in files:
            _update_with_value(digest, uploaded)
    return digest.hexdigest()


def idempotency_begin(*, request: Request, key: str) -> ApiIdempotencyKey:
    """Record ``key`` for this request before it runs; raise to replay, refuse or ask to wait."""
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise exceptions.ValidationError(
            {"Idempotency-Key": [f"Must be 1 to {MAX_KEY_LENGTH} printable ASCII characters."]}
        )
    fingerprint = request_fingerprint(request)
    now = timezone.now()
    user = request.user
    ApiIdempotencyKey.objects.filter(user=user, created_at__lt=now - KEEP_FOR).delete()
    for _ in range(2):
        try:
            with transaction.atomic():
                return ApiIdempotencyKey.objects.create(
                    user=user,
                    key=key,
                    fingerprint=fingerprint,
                    method=request.method,
                    path=request.get_full_path()[:500],
                    created_at=now,
                )
        except IntegrityError:
            existing = ApiIdempotencyKey.objects.filter(user=user, key=key).first()
            if existing is None:
                continue  # removed in between: try to take the key again
            if existing.fingerprint != fingerprint:
                raise IdempotencyMismatch() from None
            if existing.status_code is not None:
                raise IdempotentReplay(existing) from None
            if existing.created_at > now - ABANDONED_AFTER:
                raise IdempotencyConflict() from None
            # The first attempt died without an answer: it did not finish, so this one may run.
            ApiIdempotencyKey.objects.filter(pk=existing.pk, status_code__isnull=True).delete()
    raise IdempotencyConflict()


def idempotency_finish(*, record: ApiIdempotencyKey, response: Any) -> None:
    """Keep the answer of a request that ran; forget the key when it failed on our side (5xx)."""
    if response.status_code >= 500:
        idempotency_abandon(record=record)
        return
    ApiIdempotencyKey.objects.filter(pk=record.pk).update(
        status_code=response.status_code,
        content_type=response.get("Content-Type", ""),
        body=bytes(response.content),
        completed_at=timezone.now(),
    )


def idempotency_abandon(*, record: ApiIdempotencyKey) -> None:
    ApiIdempotencyKey.objects.filter(pk=record.pk, status_code__isnull=True).delete()
