"""Read-only API of the mirrored ERP records, per entity: ``/api/v1/entities/<entity_id>/<data type>/``.

Every list takes ``active`` (true/false; both when absent), ``updated_since`` (ISO 8601: records whose
copy here changed at or after it) and ``search``, and pages with an opaque cursor (newest first).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from django.db.models import Prefetch, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.timezone import is_naive, make_aware
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from masterdata import selectors
from masterdata.models import (
    DimensionValue,
    Employee,
    GLAccount,
    Item,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    Vendor,
)
from modai.api.base import TenantReadOnlyViewSet

ENTITY_PARAMETER = OpenApiParameter(
    "entity_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Entity id"
)
ID_PARAMETER = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Record id (ours)")
FILTER_PARAMETERS = [
    OpenApiParameter(
        "active", OpenApiTypes.BOOL, description="Only active (true) or inactive (false) records."
    ),
    OpenApiParameter(
        "updated_since",
        OpenApiTypes.DATETIME,
        description="Only records whose copy here changed at or after this time (ISO 8601).",
    ),
    OpenApiParameter(
        "search", OpenApiTypes.STR, description="Case-insensitive match on names, numbers and codes."
    ),
]
_MIRROR_FIELDS = ["active", "deleted_in_erp_at", "erp_updated_at", "synced_at", "custom_fields"]


class VendorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Vendor
        fields = [
            "id",
            "external_id",
            "name",
            "code",
            "email",
            "phone",
            "contact_name",
            "tax_id",
            "bank_account",
            "payment_terms",
            "currency",
            "address_line1",
            "address_line2",
            "city",
            "postal_code",
            "region",
            "country",
            "default_account_external_id",
            "default_dimensions",
            *_MIRROR_FIELDS,
        ]


class PurchaseOrderLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = PurchaseOrderLine
        fields = [
            "id",
            "external_id",
            "line_number",
            "description",
            "item_external_id",
            "account_external_id",
            "quantity_ordered",
            "quantity_received",
            "quantity_billed",
            "quantity_billed_pending",
            "unit_price",
            "amount",
            "dimensions",
            "custom_fields",
        ]


class PurchaseOrderSerializer(serializers.ModelSerializer):
    lines = PurchaseOrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = PurchaseOrder
        fields = [
            "id",
            "external_id",
            "number",
            "vendor",
            "vendor_external_id",
            "status",
            "currency",
            "order_date",
            "total",
            "lines",
            *_MIRROR_FIELDS,
        ]


class ReceiptLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReceiptLine
        fields = [
            "id",
            "external_id",
            "purchase_order_line",
            "purchase_order_line_external_id",
            "item_external_id",
            "description",
            "quantity",
        ]


class ReceiptSerializer(serializers.ModelSerializer):
    lines = ReceiptLineSerializer(many=True, read_only=True)

    class Meta:
        model = Receipt
        fields = [
            "id",
            "external_id",
            "number",
            "purchase_order",
            "purchase_order_external_id",
            "vendor_external_id",
            "receipt_date",
            "lines",
            *_MIRROR_FIELDS,
        ]


class GLAccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = GLAccount
        fields = [
            "id",
            "external_id",
            "number",
            "name",
            "account_type",
            "parent",
            "parent_external_id",
            "postable",
            *_MIRROR_FIELDS,
        ]


class EmployeeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Employee
        fields = [
            "id",
            "external_id",
            "name",
            "email",
            "department",
            "manager",
            "manager_external_id",
            "user",
            *_MIRROR_FIELDS,
        ]


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = [
            "id",
            "external_id",
            "code",
            "name",
            "description",
            "unit_price",
            "unit_of_measure",
            "expense_account_external_id",
            *_MIRROR_FIELDS,
        ]


class DimensionValueSerializer(serializers.ModelSerializer):
    dimension_type = serializers.CharField(source="dimension_type.code", read_only=True)
    dimension_type_name = serializers.CharField(source="dimension_type.name", read_only=True)

    class Meta:
        model = DimensionValue
        fields = [
            "id",
            "external_id",
            "dimension_type",
            "dimension_type_name",
            "code",
            "name",
            "parent_external_id",
            *_MIRROR_FIELDS,
        ]


def _boolean(value: str | None) -> bool | None:
    if value in (None, ""):
        return None
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise ValidationError({"active": ["Use true or false."]})


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = parse_datetime(value.replace(" ", "+"))
    if moment is None:
        raise ValidationError({"updated_since": ["Use an ISO 8601 date and time."]})
    return make_aware(moment) if is_naive(moment) else moment


class MirrorViewSet(TenantReadOnlyViewSet):
    """Base of the record endpoints: the entity from the URL, the three filters, read only."""

    selector: ClassVar[Callable[..., QuerySet]]
    lookup_value_regex = "[0-9]+"

    def scoped_queryset(self) -> QuerySet:
        params = self.request.query_params
        return type(self).selector(
            entity=self.entity,
            active=_boolean(params.get("active")),
            updated_since=_moment(params.get("updated_since")),
            search=params.get("search", "")[:100],
        )


def _documented(name: str) -> Callable[[type], type]:
    return extend_schema_view(
        list=extend_schema(parameters=[ENTITY_PARAMETER, *FILTER_PARAMETERS], summary=f"List {name}"),
        retrieve=extend_schema(parameters=[ENTITY_PARAMETER, ID_PARAMETER], summary=f"One of the {name}"),
    )


@_documented("vendors")
class VendorViewSet(MirrorViewSet):
    serializer_class = VendorSerializer
    selector = staticmethod(selectors.vendor_list)


@_documented("purchase orders with their lines")
class PurchaseOrderViewSet(MirrorViewSet):
    serializer_class = PurchaseOrderSerializer

    @staticmethod
    def selector(**filters: Any) -> QuerySet:
        return selectors.purchase_order_list(**filters).prefetch_related(
            Prefetch("lines", queryset=PurchaseOrderLine.objects.order_by("line_number", "id"))
        )


@_documented("receipts with their lines")
class ReceiptViewSet(MirrorViewSet):
    serializer_class = ReceiptSerializer

    @staticmethod
    def selector(**filters: Any) -> QuerySet:
        return selectors.receipt_list(**filters).prefetch_related(
            Prefetch("lines", queryset=ReceiptLine.objects.order_by("id"))
        )


@_documented("GL accounts")
class GLAccountViewSet(MirrorViewSet):
    serializer_class = GLAccountSerializer
    selector = staticmethod(selectors.account_list)


@_documented("employees")
class EmployeeViewSet(MirrorViewSet):
    serializer_class = EmployeeSerializer
    selector = staticmethod(selectors.employee_list)


@_documented("items")
class ItemViewSet(MirrorViewSet):
    serializer_class = ItemSerializer
    selector = staticmethod(selectors.item_list)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            ENTITY_PARAMETER,
            *FILTER_PARAMETERS,
            OpenApiParameter(
                "dimension_type", OpenApiTypes.STR, description="Only values of this type (its code)."
            ),
        ],
        summary="List dimension values",
    ),
    retrieve=extend_schema(parameters=[ENTITY_PARAMETER, ID_PARAMETER], summary="One dimension value"),
)
class DimensionValueViewSet(MirrorViewSet):
    serializer_class = DimensionValueSerializer
    selector = staticmethod(selectors.dimension_value_list)

    def scoped_queryset(self) -> QuerySet:
        queryset = super().scoped_queryset()
        type_code = self.request.query_params.get("dimension_type")
        return queryset.filter(dimension_type__code=type_code) if type_code else queryset


ROUTES: list[tuple[str, type, str]] = [
    ("vendors", VendorViewSet, "vendor"),
    ("purchase-orders", PurchaseOrderViewSet, "purchase-order"),
    ("receipts", ReceiptViewSet, "receipt"),
    ("accounts", GLAccountViewSet, "gl-account"),
    ("employees", EmployeeViewSet, "employee"),
    ("items", ItemViewSet, "item"),
    ("dimension-values", DimensionValueViewSet, "dimension-value"),
]
