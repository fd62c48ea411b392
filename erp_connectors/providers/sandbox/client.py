"""HTTP calls to the Sandbox ERP API; JSON in, JSON out. No mapping, no paging decisions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import orjson

from erp_connectors.http import HttpClient


def _body(response: httpx.Response) -> Any:
    """The response's JSON (orjson: a 1,000-record page decodes several times faster than with ``json``;
    a malformed body still raises ``ValueError``)."""
    return orjson.loads(response.content)


class SandboxClient:
    def __init__(self, http: HttpClient) -> None:
        self.http = http

    def __repr__(self) -> str:
        return f"SandboxClient({self.http!r})"

    def close(self) -> None:
        self.http.close()

    def company_get(self) -> dict[str, Any]:
        return self.http.request("GET", "/api/v1/company").json()

    def record_page_get(
        self,
        stream: str,
        *,
        updated_since: str | None,
        page_token: str | None,
        include_deleted: bool,
        limit: int,
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit, "include_deleted": "true" if include_deleted else "false"}
        if updated_since:
            params["updated_since"] = updated_since
        if page_token:
            params["page_token"] = page_token
        return _body(self.http.request("GET", f"/api/v1/{stream}", stream=stream, params=params))

    def record_fetch(self, stream: str, ids: Sequence[str]) -> dict[str, Any]:
        return _body(
            self.http.request("GET", f"/api/v1/{stream}", stream=stream, params={"ids": ",".join(ids)})
        )

    def record_id_page_get(self, stream: str, *, page_token: str | None) -> dict[str, Any]:
        params = {"page_token": page_token} if page_token else None
        return _body(self.http.request("GET", f"/api/v1/{stream}/ids", stream=stream, params=params))

    def document_create(self, path: str, payload: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        return self.http.request(
            "POST", f"/api/v1/{path}", stream=path, json=payload, idempotency_key=idempotency_key
        ).json()

    def document_find(self, reference: str) -> list[dict[str, Any]]:
        return self.http.request("GET", "/api/v1/documents", params={"reference": reference}).json()["data"]

    def payment_page_get(
        self, *, updated_since: str | None, page_token: str | None, limit: int
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit}
        if updated_since:
            params["updated_since"] = updated_since
        if page_token:
            params["page_token"] = page_token
        return self.http.request("GET", "/api/v1/payments", stream="payments", params=params).json()
