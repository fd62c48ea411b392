"""HTTP transport to one Tryton database (trytond 8.0): JSON-RPC with a session, or REST with a key.

Two ways in, one interface (``search_read``, ``read``, ``search``, ``create``, ``write``, ``delete``,
``button``):

- **User and password**: JSON-RPC on ``POST /<database>/rpc/``. ``common.db.login`` returns a session
  sent as ``Authorization: Session base64(login:user_id:key)``; the user's preferences (company,
  language) become the context of every call. A session Tryton no longer accepts (HTTP 401: expired,
  logged out, or not "fresh" enough for ``account.invoice.post``) is renewed by logging in again, once.
- **Application key** (``res.user.application`` for ``rest``): REST on ``/<database>/rest/model/...``
  with ``Authorization: bearer <key>``. REST loads no preferences, so the company travels in the
  ``X-Tryton-Context`` header.

Values travel as Tryton's typed JSON (``{"__class__": "date", ...}``); datetimes are naive UTC.

Errors: a refused login or key is ``AuthError``; ``UserError`` and ``UserWarning`` are
``RejectedError`` carrying Tryton's message; ``ConcurrencyException`` and database-lock failures are
``TransientError``; HTTP 403 (method not exposed, access denied) is ``PermissionDeniedError``; 429 is
``RateLimitedError``; timeouts, connection failures and 5xx are ``TransientError``.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import httpx

from erp_connectors.base import CallStats, RateLimit
from erp_connectors.errors import AuthError, ConnectorError, RejectedError, TransientError
from erp_connectors.http import HttpClient, RetryPolicy, Timeouts, http_client_build

Domain = Sequence[Any]
Record = dict[str, Any]
LANGUAGE = "en"
USER_ERROR = "user_error"  # RejectedError.code of a Tryton UserError
NOT_FOUND = "not_found"  # RejectedError.code of HTTP 404 (for a login: no such database)


def json_encode(value: Any) -> Any:
    """``value`` as plain JSON, with Tryton's typed objects for dates, decimals, bytes and durations."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return {
            "__class__": "datetime",
            "year": value.year,
            "month": value.month,
            "day": value.day,
            "hour": value.hour,
            "minute": value.minute,
            "second": value.second,
            "microsecond": value.microsecond,
        }
    if isinstance(value, dt.date):
        return {"__class__": "date", "year": value.year, "month": value.month, "day": value.day}
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, bytes):
        return {"__class__": "bytes", "base64": base64.b64encode(value).decode()}
    if isinstance(value, dt.timedelta):
        return {"__class__": "timedelta", "seconds": value.total_seconds()}
    if isinstance(value, Mapping):
        return {str(key): json_encode(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_encode(item) for item in value]
    return value


def json_object_decode(value: dict[str, Any]) -> Any:
    """``json.loads`` object hook turning Tryton's typed objects back into Python values."""
    kind = value.get("__class__")
    if kind == "datetime":
        return dt.datetime(
            value["year"],
            value["month"],
            value["day"],
            value["hour"],
            value["minute"],
            value["second"],
            value["microsecond"],
        )
    if kind == "date":
        return dt.date(value["year"], value["month"], value["day"])
    if kind == "time":
        return dt.time(value["hour"], value["minute"], value["second"], value["microsecond"])
    if kind == "timedelta":
        return dt.timedelta(seconds=value["seconds"])
    if kind == "Decimal":
        return Decimal(value["decimal"])
    if kind == "bytes":
        return base64.b64decode(value["base64"])
    return value


def _response_decode(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return json.loads(response.content, object_hook=json_object_decode)
    except ValueError:
        raise TransientError(
            f"Tryton answered HTTP {response.status_code} with a body that is not JSON"
        ) from None


def _b64_json(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(json_encode(value)).encode()).decode()


def _rest_record_normalize(record: Record) -> Record:
    """Give REST records the JSON-RPC shape: ``party`` holds the id and ``party.`` the nested values."""
    normalized: Record = {}
    for key, value in record.items():
        if key == "__name__":
            continue
        if isinstance(value, dict) and "__name__" in value:
            normalized[f"{key}."] = _rest_record_normalize(value)
            normalized[key] = value.get("id")
        elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            normalized[f"{key}."] = [_rest_record_normalize(item) for item in value]
            normalized[key] = [item.get("id") for item in value]
        else:
            normalized[key] = value
    return normalized


def error_message_extract(response: httpx.Response) -> tuple[str, str]:
    """Tryton's message (and description) from a REST error body; 404 gets the code ``not_found``."""
    code = NOT_FOUND if response.status_code == 404 else ""
    try:
        body = response.json()
    except ValueError:
        return "", code
    if isinstance(body, dict):
        parts = [str(body.get("message") or ""), str(body.get("description") or "")]
        return " ".join(part for part in parts if part)[:500], code
    return "", code


def http_build(
    credentials: Mapping[str, str],
    *,
    stats: CallStats,
    limiter_key: str,
    rate_limit: RateLimit,
    settings: Mapping[str, Any] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> HttpClient:
    """The project's HTTP client for one Tryton server. Settings (optional): ``connect_timeout``,
    ``read_timeout``, ``max_attempts``, ``retry_base_delay``, ``max_total_wait``."""
    settings = settings or {}
    return http_client_build(
        base_url=credentials.get("server_url", "").rstrip("/"),
        stats=stats,
        limiter_key=limiter_key,
        rate_limit=rate_limit,
        secrets=[credentials.get("password", ""), credentials.get("application_key", "")],
        timeouts=Timeouts(
            connect=float(settings.get("connect_timeout", 5.0)),
            # Posting an invoice with many lines can take a few seconds on a busy server.
            read=float(settings.get("read_timeout", 60.0)),
        ),
        retry_policy=RetryPolicy(
            max_attempts=int(settings.get("max_attempts", 4)),
            base_delay=float(settings.get("retry_base_delay", 0.5)),
            max_total_wait=float(settings.get("max_total_wait", 60.0)),
        ),
        message_extract=error_message_extract,
        transport=transport,
    )


_READ_METHODS = frozenset(
    {
        "search",
        "search_read",
        "search_count",
        "read",
        "fields_get",
        "default_get",
        "get_preferences",
        "version",
    }
)


def _rpc_error_raise(error: Any, method: str) -> None:
    """Raise the taxonomy error for the ``error`` member of a JSON-RPC reply."""
    kind = error[0] if isinstance(error, list | tuple) and error else ""
    payload = error[1] if isinstance(error, list | tuple) and len(error) > 1 else None
    details = list(payload) if isinstance(payload, list | tuple) else []
    if kind == "UserError":
        message, description = [*details, "", ""][:2]
        text = str(message) + (f" {description}" if description else "")
        raise RejectedError(text, code=USER_ERROR)
    if kind == "UserWarning":
        name, message = [*details, "", ""][:2]
        raise RejectedError(str(message), code=str(name).rsplit(".", 1)[-1], field="warning")
    if kind == "ConcurrencyException":
        raise TransientError(f"{method}: {payload or 'records were modified in the meanwhile'}")
    if kind == "LoginException":
        raise AuthError("Tryton asks for a further login step (for example a second factor)")
    text = str(kind)
    # An exception Tryton did not expect: a locked database can succeed later, anything else cannot.
    if "locked" in text.lower() or "OperationalError" in text:
        raise TransientError(f"{method}: {text.splitlines()[0][:300]}")
    raise RejectedError(
        f"Tryton failed on {method}: {text.splitlines()[0][:300] if text else 'unknown error'}"
    )


class TrytonClient:
    """An authenticated connection to one Tryton database. See the module docstring."""

    def __init__(
        self,
        http: HttpClient,
        *,
        database: str,
        login: str = "",
        password: str = "",
        application_key: str = "",
        company_id: int | None = None,
    ) -> None:
        self.http = http
        self.stats = http.stats
        self.database = database
        self.login_name = login
        self.password = password
        self.application_key = application_key if not (login and password) else ""
        self.company_id = company_id
        self.user_id: int | None = None
        self.context: dict[str, Any] = {}
        self._authorization = ""
        self._request_id = 0
        self.login_count = 0

    @classmethod
    def build(
        cls,
        credentials: Mapping[str, str],
        settings: Mapping[str, Any] | None = None,
        *,
        stats: CallStats | None = None,
        limiter_key: str = "tryton",
        rate_limit: RateLimit | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> TrytonClient:
        """A client from an integration's credentials (``server_url``, ``database``, ``username`` and
        ``password``, or ``application_key``) and settings (``company_id``, timeouts, retries)."""
        settings = settings or {}
        http = http_build(
            credentials,
            stats=stats or CallStats(),
            limiter_key=limiter_key,
            rate_limit=rate_limit or RateLimit(),
            settings=settings,
            transport=transport,
        )
        company = settings.get("company_id")
        return cls(
            http,
            database=credentials.get("database", ""),
            login=credentials.get("username", ""),
            password=credentials.get("password", ""),
            application_key=credentials.get("application_key", ""),
            company_id=int(company) if company else None,
        )

    @property
    def uses_rest(self) -> bool:
        return bool(self.application_key)

    # -- session ---------------------------------------------------------------------------------

    def login(self) -> None:
        """Open a session (JSON-RPC) or check the key (REST) and load the context. Raises AuthError."""
        if not (self.login_name and self.password) and not self.application_key:
            raise AuthError("Tryton needs a user and password or an application key")
        try:
            self._login()
        except RejectedError as error:
            if error.code == NOT_FOUND:
                raise AuthError(f"Tryton has no database {self.database!r}") from None
            raise

    def _login(self) -> None:
        if self.uses_rest:
            self._authorization = f"bearer {self.application_key}"
            self.context = {}
            if self.company_id is None:
                companies = self.search("company.company", [], limit=2)
                if len(companies) != 1:
                    raise RejectedError("this Tryton database has several companies: choose one in settings")
                self.company_id = companies[0]
            self.context = {"company": self.company_id}
            return
        try:
            result = self._rpc_send(
                "common.db.login", [self.login_name, {"password": self.password}, LANGUAGE]
            )
        except AuthError:
            raise AuthError(f"Tryton refused the login of user {self.login_name!r}") from None
        self.login_count += 1
        self.user_id, session_key = result[0], result[1]
        token = base64.b64encode(f"{self.login_name}:{self.user_id}:{session_key}".encode()).decode()
        self._authorization = f"Session {token}"
        preferences = self._rpc_send("model.res.user.get_preferences", [True, {}])
        self.context = dict(preferences)
        if self.company_id is not None:
            self.context["company"] = self.company_id
        else:
            self.company_id = self.context.get("company")

    def logout(self) -> None:
        if self._authorization and not self.uses_rest:
            with contextlib.suppress(ConnectorError):
                self._rpc_send("common.db.logout", [])
        self._authorization = ""

    def close(self) -> None:
        self.logout()
        self.http.close()

    # -- JSON-RPC --------------------------------------------------------------------------------

    def _rpc_send(self, method: str, params: list[Any], stream: str = "") -> Any:
        # JSON-RPC is always POST; reads are marked read-only so timeouts and 5xx are retried for them.
        read_only = method.rsplit(".", 1)[-1] in _READ_METHODS
        self._request_id += 1
        headers = {"Authorization": self._authorization} if self._authorization else {}
        response = self.http.request(
            "POST",
            f"/{self.database}/rpc/",
            stream=stream,
            json={"id": self._request_id, "method": method, "params": json_encode(params)},
            headers=headers,
            read_only=read_only,
        )
        reply = _response_decode(response)
        if not isinstance(reply, dict):
            raise TransientError(f"{method}: Tryton sent an unexpected reply")
        if reply.get("error"):
            _rpc_error_raise(reply["error"], method)
        return reply.get("result")

    def call(self, method: str, *params: Any, stream: str = "") -> Any:
        """Call any JSON-RPC method with a session, logging in first or again once when it went stale."""
        if self.uses_rest:
            raise RejectedError(f"{method} needs a user and password: the application key only opens REST")
        if not self._authorization:
            self.login()
        try:
            return self._rpc_send(method, list(params), stream)
        except AuthError:
            # Expired, logged out or not fresh enough (post, pay): one new session, then give up.
            self._authorization = ""
            self.login()
            return self._rpc_send(method, list(params), stream)

    def model_call(
        self, model: str, method: str, *args: Any, context: Mapping[str, Any] | None = None
    ) -> Any:
        """``model.<model>.<method>(*args, context)``: the context is always the last parameter."""
        if not self._authorization:
            self.login()
        return self.call(f"model.{model}.{method}", *args, {**self.context, **(context or {})}, stream=model)

    # -- REST ------------------------------------------------------------------------------------

    def _rest(
        self,
        method: str,
        path: str,
        *,
        model: str,
        params: list[tuple[str, str]] | None = None,
        body: Any = None,
        context: Mapping[str, Any] | None = None,
    ) -> Any:
        if not self._authorization:
            self.login()
        headers = {
            "Authorization": self._authorization,
            "X-Tryton-Context": _b64_json({**self.context, **(context or {})}),
        }
        response = self.http.request(
            method,
            f"/{self.database}/rest/model/{path}",
            stream=model,
            params=httpx.QueryParams(tuple(params)) if params else None,
            json=None if body is None and method in ("GET", "DELETE") else json_encode(body or {}),
            headers=headers,
        )
        return _response_decode(response)

    # -- ORM -------------------------------------------------------------------------------------

    def search_read(
        self,
        model: str,
        domain: Domain,
        fields: Sequence[str],
        *,
        order: Sequence[tuple[str, str]] | None = None,
        limit: int | None = None,
        offset: int = 0,
        context: Mapping[str, Any] | None = None,
    ) -> list[Record]:
        """Records matching ``domain`` with ``fields``; ``a.b`` fields come back under ``"a."``."""
        if not self.uses_rest:
            order_list = [list(item) for item in order] if order else None
            return self.model_call(
                model, "search_read", list(domain), offset, limit, order_list, list(fields), context=context
            )
        params = [("d", _b64_json(list(domain))), *(("f", name) for name in fields)]
        if order:
            params.append(("o", _b64_json([list(item) for item in order])))
        if limit is not None:
            params.append(("s", str(limit)))
        if offset:
            params.append(("p", str(offset)))
        records = self._rest("GET", model, model=model, params=params, context=context) or []
        return [_rest_record_normalize(record) for record in records]

    def read(
        self,
        model: str,
        ids: Sequence[int],
        fields: Sequence[str],
        *,
        context: Mapping[str, Any] | None = None,
    ) -> list[Record]:
        """Records by id, in the order of ``ids``; ids that do not exist (or are hidden) are left out."""
        if not ids:
            return []
        records = self.search_read(model, [("id", "in", list(ids))], fields, context=context)
        by_id = {record["id"]: record for record in records}
        return [by_id[record_id] for record_id in ids if record_id in by_id]

    def search(
        self,
        model: str,
        domain: Domain,
        *,
        order: Sequence[tuple[str, str]] | None = None,
        limit: int | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> list[int]:
        if not self.uses_rest:
            order_list = [list(item) for item in order] if order else None
            return self.model_call(model, "search", list(domain), 0, limit, order_list, context=context)
        return [record["id"] for record in self.search_read(model, domain, ["id"], order=order, limit=limit)]

    def create(self, model: str, values: Sequence[Mapping[str, Any]]) -> list[int]:
        if not self.uses_rest:
            return self.model_call(model, "create", [dict(item) for item in values])
        created = [self._rest("POST", model, model=model, params=[("f", "id")], body=item) for item in values]
        return [record["id"] for record in created]

    def write(self, model: str, ids: Sequence[int], values: Mapping[str, Any]) -> None:
        if not self.uses_rest:
            self.model_call(model, "write", list(ids), dict(values))
            return
        for record_id in ids:
            self._rest("PUT", f"{model}/{record_id}", model=model, params=[("f", "id")], body=values)

    def delete(self, model: str, ids: Sequence[int]) -> None:
        if not self.uses_rest:
            self.model_call(model, "delete", list(ids))
            return
        for record_id in ids:
            self._rest("DELETE", f"{model}/{record_id}", model=model)

    def button(self, model: str, name: str, ids: Sequence[int]) -> None:
        """Run a workflow button (``validate_invoice``, ``post``, ``confirm``...) on records."""
        if not self.uses_rest:
            self.model_call(model, name, list(ids))
            return
        for record_id in ids:
            self._rest("POST", f"{model}/{record_id}/{name}", model=model, params=[("f", "id")], body={})
