"""The Sandbox ERP's HTTP server (stdlib ``ThreadingHTTPServer``, HTTP/1.1 keep-alive).

``/api/v1/...`` is the ERP API a connector uses (bearer API key, fault knobs apply); ``/admin/...`` is the
control plane for tests and the demo (``X-Admin-Token``, never faulted). See API.md beside this file.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import re
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from erp_connectors.providers.sandbox import changes
from erp_connectors.providers.sandbox.changes import ChangeError
from erp_connectors.providers.sandbox.faults import FaultPlan, KnobError, Knobs
from erp_connectors.providers.sandbox.store import Company, Store
from erp_connectors.providers.sandbox.timestamps import microseconds_to_text, text_to_microseconds
from erp_connectors.providers.sandbox.webhooks import WebhookSender

logger = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 200
MAX_PAGE_SIZE = 1000
MAX_ID_PAGE_SIZE = 10_000
MAX_FETCH_IDS = 200
STREAMS = changes.STREAMS


class _Abort(Exception):
    """Stop handling a request without answering (the connection is closed)."""


class _Handled(Exception):
    """A fault answer was already sent; nothing more to do."""


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], store: Store, admin_token: str) -> None:
        super().__init__(address, SandboxHandler)
        self.store = store
        self.admin_token = admin_token
        self.webhooks = WebhookSender(store)
        self._fault_plans: dict[str, FaultPlan] = {}

    def fault_plan(self, company: Company) -> FaultPlan:
        plan = self._fault_plans.get(company.id)
        if plan is None:
            plan = self._fault_plans[company.id] = FaultPlan(Knobs.from_json(company.knobs))
        return plan

    def knobs_set(self, company_id: str, knobs: Knobs) -> None:
        self.store.company_knobs_set(company_id, knobs.to_json())
        self._fault_plans[company_id] = FaultPlan(knobs)

    def server_close(self) -> None:
        self.webhooks.stop()
        super().server_close()


def _token_encode(changed_at: int, record_id: str) -> str:
    return base64.urlsafe_b64encode(f"{changed_at}:{record_id}".encode()).decode()


def _token_decode(token: str) -> tuple[int, str]:
    try:
        changed_at, record_id = base64.urlsafe_b64decode(token.encode()).decode().split(":", 1)
        return int(changed_at), record_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ChangeError(400, "invalid_page_token", "page_token is not one this server issued") from None


Route = tuple[str, re.Pattern[str], Callable[..., None]]


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without TCP_NODELAY, Nagle plus delayed ACKs add ~40 ms.
    disable_nagle_algorithm = True
    server: SandboxServer

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    # Plumbing --------------------------------------------------------------------------------------

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), headers)

    def _error(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        self._json(status, {"error": {"code": code, "message": message}}, headers)

    def _body(self) -> Any:
        if not self.raw_body:
            return {}
        try:
            return json.loads(self.raw_body)
        except ValueError:
            raise ChangeError(400, "invalid_json", "the request body is not JSON") from None

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        # Read the body first: a faulted answer must not leave it in a kept-alive connection.
        self.raw_body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        try:
            for route_method, pattern, handler in ROUTES:
                match = pattern.fullmatch(parts.path)
                if match and route_method == method:
                    handler(self, *match.groups())
                    return
            self._error(404, "not_found", f"no route for {method} {parts.path}")
        except ChangeError as error:
            self._error(error.status, error.code, error.message)
        except _Handled:
            pass
        except _Abort:
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except ValueError as error:
            self._error(400, "invalid_request", str(error)[:200])
        except Exception:
            logger.exception("unexpected error on %s %s", method, parts.path)
            self._error(500, "internal_error", "unexpected server error")

    # Guards ----------------------------------------------------------------------------------------

    def _admin(self) -> None:
        token = self.headers.get("X-Admin-Token", "")
        if not hmac.compare_digest(token.encode(), self.server.admin_token.encode()):
            raise ChangeError(401, "unauthorized", "admin token required")

    def _admin_company(self, company_id: str) -> Company:
        self._admin()
        company = self.server.store.company_get(company_id)
        if company is None:
            raise ChangeError(404, "not_found", f"company {company_id} does not exist")
        return company

    def _api(self, stream: str) -> tuple[Company, FaultPlan]:
        """Authenticate an API call and apply the company's fault knobs to it."""
        authorization = self.headers.get("Authorization", "")
        api_key = authorization[7:] if authorization.startswith("Bearer ") else ""
        company = self.server.store.company_get_by_api_key(api_key) if api_key else None
        if company is None:
            raise ChangeError(401, "unauthorized", "invalid API key")
        plan = self.server.fault_plan(company)
        knobs = plan.knobs
        if knobs.latency_ms:
            time.sleep(knobs.latency_ms / 1000)
        if knobs.revoked:
            raise ChangeError(401, "unauthorized", "the API key was revoked")
        if stream in knobs.denied_streams:
            raise ChangeError(403, "forbidden", f"this API key may not access {stream}")
        if plan.rate_limited():
            retry_after = f"{knobs.retry_after:g}"
            self._error(429, "rate_limited", "too many requests", {"Retry-After": retry_after})
            raise _Handled
        if plan.server_error():
            self._error(knobs.error_status, "server_error", "the ERP is temporarily unavailable")
            raise _Handled
        if plan.hangs():
            time.sleep(knobs.hang_seconds)
            raise _Abort
        return company, plan

    # API -------------------------------------------------------------------------------------------

    def api_company(self) -> None:
        company, _ = self._api("company")
        self._json(200, {"id": company.id, "name": company.name})

    def api_records(self, stream: str) -> None:
        company, plan = self._api(stream)
        store = self.server.store
        if stream not in STREAMS:
            raise ChangeError(404, "not_found", f"unknown stream {stream}")
        if "ids" in self.query:
            ids = [value for value in self.query["ids"].split(",") if value][:MAX_FETCH_IDS]
            found = [row for row in store.record_get_many(company.id, stream, ids) if not row.deleted]
            found_ids = {row.id for row in found}
            missing = json.dumps([value for value in ids if value not in found_ids]).encode()
            body = (
                b'{"data":['
                + b",".join(row.data.encode() for row in found)
                + b'],"missing":'
                + missing
                + b"}"
            )
            self._send(200, body)
            return
        limit = max(1, min(int(self.query.get("limit", DEFAULT_PAGE_SIZE)), MAX_PAGE_SIZE))
        since_text = self.query.get("updated_since")
        try:
            since = text_to_microseconds(since_text) if since_text else None
        except ValueError:
            raise ChangeError(400, "invalid_request", "updated_since must be an ISO timestamp") from None
        token = self.query.get("page_token")
        include_deleted = self.query.get("include_deleted", "false").lower() == "true"
        rows = store.record_page(
            company.id,
            stream,
            since=since,
            after=_token_decode(token) if token else None,
            include_deleted=include_deleted,
            limit=limit,
        )
        items = []
        for row in rows:
            if row.deleted:
                stamp = microseconds_to_text(row.changed_at)
                items.append(f'{{"id":{json.dumps(row.id)},"deleted":true,"updated_at":"{stamp}"}}'.encode())
            else:
                items.append(row.data.encode())
        next_token = None
        if len(rows) == limit:
            next_token = (
                token
                if plan.knobs.repeat_page_token and token
                else _token_encode(rows[-1].changed_at, rows[-1].id)
            )
        body = (
            b'{"data":[' + b",".join(items) + b'],"next_page_token":' + json.dumps(next_token).encode() + b"}"
        )
        self._send(200, body)

    def api_record_ids(self, stream: str) -> None:
        company, _ = self._api(stream)
        if stream not in STREAMS:
            raise ChangeError(404, "not_found", f"unknown stream {stream}")
        limit = max(1, min(int(self.query.get("limit", MAX_ID_PAGE_SIZE)), MAX_ID_PAGE_SIZE))
        after = self.query.get("page_token", "")
        if after:
            after = base64.urlsafe_b64decode(after.encode()).decode()
        rows = self.server.store.record_id_page(company.id, stream, after=after, limit=limit)
        data = [{"id": record_id, "updated_at": microseconds_to_text(stamp)} for record_id, stamp in rows]
        next_token = base64.urlsafe_b64encode(rows[-1][0].encode()).decode() if len(rows) == limit else None
        self._json(200, {"data": data, "next_page_token": next_token})

    def _document_create(self, kind: str, stream: str) -> None:
        company, plan = self._api(stream)
        payload = self._body()
        if not isinstance(payload, dict):
            raise ChangeError(400, "invalid_request", "the body must be a JSON object")
        key = self.headers.get("Idempotency-Key", "")
        document, replayed = changes.document_create(
            self.server.store, company.id, kind, payload, idempotency_key=key, knobs=plan.knobs
        )
        if not replayed and plan.drops_after_commit():
            raise _Abort
        self._json(200 if replayed else 201, document, {"Idempotent-Replayed": "true"} if replayed else None)

    def api_bill_create(self) -> None:
        self._document_create("bill", "bills")

    def api_vendor_credit_create(self) -> None:
        self._document_create("vendor_credit", "vendor_credits")

    def api_documents(self) -> None:
        company, _ = self._api("documents")
        reference = self.query.get("reference", "")
        if not reference:
            raise ChangeError(400, "invalid_request", "reference is required")
        self._json(200, {"data": self.server.store.document_find(company.id, reference)})

    def api_payments(self) -> None:
        company, _ = self._api("payments")
        limit = max(1, min(int(self.query.get("limit", DEFAULT_PAGE_SIZE)), MAX_PAGE_SIZE))
        since_text = self.query.get("updated_since")
        token = self.query.get("page_token")
        rows = self.server.store.document_page(
            company.id,
            since=text_to_microseconds(since_text) if since_text else None,
            after=_token_decode(token) if token else None,
            limit=limit,
        )
        data = [changes.payment_status_json(json.loads(row.data)) for row in rows]
        next_token = _token_encode(rows[-1].changed_at, rows[-1].id) if len(rows) == limit else None
        self._json(200, {"data": data, "next_page_token": next_token})

    def api_webhook_set(self) -> None:
        company, _ = self._api("webhook")
        payload = self._body()
        self.server.store.company_webhook_set(
            company.id, str(payload.get("url", "")), str(payload.get("secret", ""))
        )
        self._json(200, {"url": payload.get("url", "")})

    # Admin -----------------------------------------------------------------------------------------

    def health(self) -> None:
        self._json(200, {"ok": True})

    def admin_company_create(self) -> None:
        self._admin()
        payload = self._body()
        scale = payload.get("scale", "small")
        if scale not in ("small", "medium", "full"):
            raise ChangeError(400, "invalid_request", "scale must be small, medium or full")
        company_id, api_key = self.server.store.company_create(
            name=str(payload.get("name", "Sandbox company")),
            scale=scale,
            seed=int(payload.get("seed", 1)),
            api_key=str(payload.get("api_key", "")),
        )
        self._json(
            201, {"id": company_id, "api_key": api_key, "name": payload.get("name", "Sandbox company")}
        )

    def admin_company_list(self) -> None:
        self._admin()
        companies = self.server.store.company_list()
        self._json(
            200, {"data": [{"id": item.id, "name": item.name, "scale": item.scale} for item in companies]}
        )

    def admin_knobs(self, company_id: str) -> None:
        company = self._admin_company(company_id)
        if self.command == "PUT":
            try:
                self.server.knobs_set(company.id, Knobs.from_json(self._body()))
            except KnobError as error:
                raise ChangeError(400, "invalid_knobs", str(error)) from None
        self._json(200, self.server.fault_plan(company).knobs.to_json())

    def admin_webhook(self, company_id: str) -> None:
        company = self._admin_company(company_id)
        payload = self._body()
        self.server.store.company_webhook_set(
            company.id, str(payload.get("url", "")), str(payload.get("secret", ""))
        )
        self._json(200, {"url": payload.get("url", "")})

    def admin_counts(self, company_id: str) -> None:
        company = self._admin_company(company_id)
        store = self.server.store
        counts = {
            stream: {
                "live": store.record_count(company.id, stream, deleted=False),
                "deleted": store.record_count(company.id, stream, deleted=True),
            }
            for stream in STREAMS
        }
        self._json(200, counts)

    def admin_record_ids(self, company_id: str, stream: str) -> None:
        company = self._admin_company(company_id)
        active_only = self.query.get("active") == "true"
        self._json(
            200, {"data": self.server.store.record_ids_sample(company.id, stream, active_only=active_only)}
        )

    def admin_record_get(self, company_id: str, stream: str, record_id: str) -> None:
        company = self._admin_company(company_id)
        record = self.server.store.record_get(company.id, stream, record_id)
        if record is None:
            raise ChangeError(404, "not_found", f"{stream} record {record_id} does not exist")
        self._json(200, record)

    def admin_record_action(self, company_id: str, stream: str, record_id: str, action: str) -> None:
        company = self._admin_company(company_id)
        store, notify = self.server.store, self.server.webhooks.notify
        if action == "update":
            record = changes.record_update(store, notify, company.id, stream, record_id, self._body())
        elif action in ("deactivate", "reactivate"):
            record = changes.record_active_set(
                store, notify, company.id, stream, record_id, action == "reactivate"
            )
        elif action == "delete":
            changes.record_delete(store, notify, company.id, stream, record_id)
            record = {"id": record_id, "deleted": True}
        elif action == "close" and stream == "purchase_orders":
            record = changes.purchase_order_close(store, notify, company.id, record_id)
        else:
            raise ChangeError(404, "not_found", f"unknown action {action} on {stream}")
        self._json(200, record)

    def admin_receipt_add(self, company_id: str) -> None:
        company = self._admin_company(company_id)
        payload = self._body()
        receipt = changes.receipt_add(
            self.server.store,
            self.server.webhooks.notify,
            company.id,
            str(payload.get("purchase_order_id", "")),
            payload.get("lines"),
        )
        self._json(201, receipt)

    def admin_random_changes(self, company_id: str) -> None:
        company = self._admin_company(company_id)
        payload = self._body()
        done = changes.random_changes(
            self.server.store,
            self.server.webhooks.notify,
            company.id,
            count=int(payload.get("count", 10)),
            seed=int(payload.get("seed", 1)),
        )
        self._json(200, {"data": done})

    def admin_document_action(self, company_id: str, document_id: str, action: str) -> None:
        company = self._admin_company(company_id)
        payload = self._body()
        if action not in ("pay", "apply", "void"):
            raise ChangeError(404, "not_found", f"unknown action {action}")
        document = changes.document_settle(
            self.server.store, company.id, document_id, amount=payload.get("amount"), void=action == "void"
        )
        self._json(200, document)


SEGMENT = r"([A-Za-z0-9_.\-]+)"
ROUTES: list[Route] = [
    ("GET", re.compile(r"/health"), SandboxHandler.health),
    ("GET", re.compile(r"/api/v1/company"), SandboxHandler.api_company),
    ("GET", re.compile(r"/api/v1/documents"), SandboxHandler.api_documents),
    ("GET", re.compile(r"/api/v1/payments"), SandboxHandler.api_payments),
    ("POST", re.compile(r"/api/v1/bills"), SandboxHandler.api_bill_create),
    ("POST", re.compile(r"/api/v1/vendor_credits"), SandboxHandler.api_vendor_credit_create),
    ("PUT", re.compile(r"/api/v1/webhook"), SandboxHandler.api_webhook_set),
    ("GET", re.compile(rf"/api/v1/{SEGMENT}/ids"), SandboxHandler.api_record_ids),
    ("GET", re.compile(rf"/api/v1/{SEGMENT}"), SandboxHandler.api_records),
    ("POST", re.compile(r"/admin/companies"), SandboxHandler.admin_company_create),
    ("GET", re.compile(r"/admin/companies"), SandboxHandler.admin_company_list),
    ("GET", re.compile(rf"/admin/companies/{SEGMENT}/knobs"), SandboxHandler.admin_knobs),
    ("PUT", re.compile(rf"/admin/companies/{SEGMENT}/knobs"), SandboxHandler.admin_knobs),
    ("PUT", re.compile(rf"/admin/companies/{SEGMENT}/webhook"), SandboxHandler.admin_webhook),
    ("GET", re.compile(rf"/admin/companies/{SEGMENT}/counts"), SandboxHandler.admin_counts),
    ("POST", re.compile(rf"/admin/companies/{SEGMENT}/receipts"), SandboxHandler.admin_receipt_add),
    ("POST", re.compile(rf"/admin/companies/{SEGMENT}/changes/random"), SandboxHandler.admin_random_changes),
    ("GET", re.compile(rf"/admin/companies/{SEGMENT}/records/{SEGMENT}"), SandboxHandler.admin_record_ids),
    (
        "GET",
        re.compile(rf"/admin/companies/{SEGMENT}/records/{SEGMENT}/{SEGMENT}"),
        SandboxHandler.admin_record_get,
    ),
    (
        "POST",
        re.compile(rf"/admin/companies/{SEGMENT}/records/{SEGMENT}/{SEGMENT}/{SEGMENT}"),
        SandboxHandler.admin_record_action,
    ),
    (
        "POST",
        re.compile(rf"/admin/companies/{SEGMENT}/documents/{SEGMENT}/{SEGMENT}"),
        SandboxHandler.admin_document_action,
    ),
]
