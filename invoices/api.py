"""API endpoints for invoices: list with filters, detail, field and line edits, coding, notices,
re-check, submit, archive, activity."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.dateparse import parse_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from invoices.api_serializers import (
    InvoiceDetailSerializer,
    InvoiceFieldsSerializer,
    InvoiceSerializer,
    LineSerializer,
    LineWriteSerializer,
    NoticeSerializer,
    ReasonSerializer,
    TimelineEntrySerializer,
)
from invoices.models import Invoice, InvoiceStatus
from invoices.notices import invoice_notice_dismiss
from invoices.selectors import (
    InvoiceFilters,
    invoice_activity,
    invoice_get_for_user,
    invoice_line_get,
    invoice_lines,
    invoice_list,
    invoice_notice_get,
    invoice_notices,
)
from invoices.services import (
    invoice_archive,
    invoice_fields_update,
    invoice_line_add,
    invoice_line_delete,
    invoice_line_update,
    invoice_refresh,
)
from invoices.submission import InvoiceSubmitError, invoice_submit
from modai.api.base import TenantViewSet
from organizations.permissions import Permission

_FILTER_PARAMETERS = [
    OpenApiParameter(
        "entity", OpenApiTypes.INT, description="entity id (default: every entity you can view)"
    ),
    OpenApiParameter("status", OpenApiTypes.STR, enum=InvoiceStatus.values),
    OpenApiParameter("vendor", OpenApiTypes.INT, description="vendor id"),
    OpenApiParameter("date_from", OpenApiTypes.DATE),
    OpenApiParameter("date_to", OpenApiTypes.DATE),
    OpenApiParameter("amount_min", OpenApiTypes.NUMBER),
    OpenApiParameter("amount_max", OpenApiTypes.NUMBER),
    OpenApiParameter("q", OpenApiTypes.STR, description="search number, vendor, PO, file name, memo"),
]


def _filters(params: Any) -> InvoiceFilters:
    def number(name: str) -> Any:
        from decimal import Decimal, InvalidOperation

        value = params.get(name)
        if not value:
            return None
        try:
            return Decimal(value)
        except InvalidOperation:
            raise serializers.ValidationError({name: ["Enter a number."]}) from None

    def day(name: str) -> Any:
        value = params.get(name)
        if not value:
            return None
        parsed = parse_date(value) if len(value) == 10 else None
        if parsed is None:
            raise serializers.ValidationError({name: ["Enter a date as YYYY-MM-DD."]})
        return parsed

    def identifier(name: str) -> int | None:
        value = params.get(name)
        if not value:
            return None
        if not str(value).isdigit():
            raise serializers.ValidationError({name: ["Enter an id."]})
        return int(value)

    status_value = params.get("status", "")
    if status_value and status_value not in InvoiceStatus.values:
        raise serializers.ValidationError({"status": [f"One of: {', '.join(InvoiceStatus.values)}."]})
    entity = identifier("entity")
    return InvoiceFilters(
        entity_ids=(entity,) if entity else (),
        status=status_value,
        vendor_id=identifier("vendor"),
        date_from=day("date_from"),
        date_to=day("date_to"),
        amount_min=number("amount_min"),
        amount_max=number("amount_max"),
        search=params.get("q", ""),
    )


class InvoiceViewSet(TenantViewSet):
    """Invoices and credit memos of the entities you can view. Changes need invoice.edit on the invoice's entity."""

    serializer_class = InvoiceSerializer
    permission = Permission.ENTITY_VIEW

    def scoped_queryset(self) -> QuerySet[Invoice]:
        if self.action == "list":
            return invoice_list(access=self.access, filters=_filters(self.request.query_params))
        return invoice_list(access=self.access)

    def _invoice(self, pk: str, permission: Permission = Permission.ENTITY_VIEW) -> Invoice:
        return invoice_get_for_user(access=self.access, invoice_id=pk, permission=permission)

    def _detail(self, invoice: Invoice, status_code: int = 200) -> Response:
        invoice.refresh_from_db()
        context = {"lines": invoice_lines(invoice=invoice), "notices": invoice_notices(invoice=invoice)}
        return Response(InvoiceDetailSerializer(invoice, context=context).data, status=status_code)

    @extend_schema(parameters=_FILTER_PARAMETERS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=InvoiceDetailSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        return self._detail(self._invoice(pk))

    @extend_schema(request=InvoiceFieldsSerializer, responses=InvoiceDetailSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        invoice = self._invoice(pk, Permission.INVOICE_EDIT)
        unknown = set(request.data) - set(InvoiceFieldsSerializer().fields)
        if unknown:
            raise serializers.ValidationError({"detail": [f"Unknown fields: {', '.join(sorted(unknown))}."]})
        fields = InvoiceFieldsSerializer(data=request.data, partial=True)
        fields.is_valid(raise_exception=True)
        invoice_fields_update(invoice=invoice, actor=request.user, changes=fields.validated_data)
        return self._detail(invoice)

    @extend_schema(request=LineWriteSerializer, responses={201: LineSerializer})
    @action(detail=True, methods=["post"], url_path="lines")
    def line_add(self, request: Request, pk: str) -> Response:
        invoice = self._invoice(pk, Permission.INVOICE_EDIT)
        values = LineWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        line = invoice_line_add(invoice=invoice, actor=request.user, values=values.validated_data)
        return Response(LineSerializer(line).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=LineWriteSerializer, responses=LineSerializer)
    @action(detail=True, methods=["patch", "delete"], url_path=r"lines/(?P<line_id>\d+)")
    def line(self, request: Request, pk: str, line_id: str) -> Response:
        invoice = self._invoice(pk, Permission.INVOICE_EDIT)
        line = invoice_line_get(invoice=invoice, line_id=line_id)
        if request.method == "DELETE":
            invoice_line_delete(invoice=invoice, line=line, actor=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        unknown = set(request.data) - set(LineWriteSerializer().fields)
        if unknown:
            raise serializers.ValidationError({"detail": [f"Unknown fields: {', '.join(sorted(unknown))}."]})
        values = LineWriteSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        line = invoice_line_update(
            invoice=invoice, line=line, actor=request.user, changes=values.validated_data
        )
        return Response(LineSerializer(line).data)

    @extend_schema(request=ReasonSerializer, responses=NoticeSerializer)
    @action(detail=True, methods=["post"], url_path=r"notices/(?P<notice_id>\d+)/dismiss")
    def notice_dismiss(self, request: Request, pk: str, notice_id: str) -> Response:
        invoice = self._invoice(pk, Permission.INVOICE_EDIT)
        notice = invoice_notice_get(invoice=invoice, notice_id=notice_id)
        notice = invoice_notice_dismiss(
            invoice=invoice, notice=notice, actor=request.user, reason=str(request.data.get("reason", ""))
        )
        return Response(NoticeSerializer(notice).data)

    @extend_schema(request=None, responses=InvoiceDetailSerializer)
    @action(detail=True, methods=["post"])
    def recheck(self, request: Request, pk: str) -> Response:
        invoice = self._invoice(pk, Permission.INVOICE_EDIT)
        invoice_refresh(invoice=invoice, actor=request.user)
        return self._detail(invoice)

    @extend_schema(request=None, responses=InvoiceDetailSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        """Needs review -> Pending approval. 400 with every reason when it cannot be submitted yet."""
        invoice = self._invoice(pk, Permission.INVOICE_EDIT)
        try:
            invoice_submit(invoice=invoice, actor=request.user)
        except InvoiceSubmitError as error:
            return Response({"detail": error.problems}, status=status.HTTP_400_BAD_REQUEST)
        return self._detail(invoice)

    @extend_schema(request=ReasonSerializer, responses=InvoiceDetailSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request: Request, pk: str) -> Response:
        invoice = self._invoice(pk, Permission.INVOICE_EDIT)
        invoice_archive(invoice=invoice, actor=request.user, reason=str(request.data.get("reason", "")))
        return self._detail(invoice)

    @extend_schema(responses=TimelineEntrySerializer(many=True))
    @action(detail=True, methods=["get"])
    def activity(self, request: Request, pk: str) -> Response:
        invoice = self._invoice(pk)
        entries = invoice_activity(invoice=invoice)
        return Response(TimelineEntrySerializer(entries, many=True).data)
