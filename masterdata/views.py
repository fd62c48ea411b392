"""The data pages: the current entity's ERP records, read-only, each with when it was last synced."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from masterdata import selectors
from masterdata.models import DataType
from modai.web.base import TenantView

PAGE_SIZE = 50
ACTIVE_FILTERS = {"active": True, "inactive": False, "all": None}


class DataPage(TenantView):
    """A list of one data type with search, the active/inactive filter and pagination."""

    template_name: ClassVar[str] = ""
    data_type: ClassVar[str] = ""
    title: ClassVar[str] = ""
    has_active_filter: ClassVar[bool] = True
    # The selector listing the records (entity, active, search) and the page's order.
    selector: ClassVar[Callable[..., QuerySet]]
    ordering: ClassVar[tuple[str, ...]] = ("id",)

    def records(self, *, active: bool | None, search: str) -> QuerySet:
        return type(self).selector(entity=self.entity, active=active, search=search).order_by(*self.ordering)

    def get(self, request: HttpRequest) -> HttpResponse:
        assert self.entity is not None
        status = request.GET.get("status", "active")
        if status not in ACTIVE_FILTERS or not self.has_active_filter:
            status = "active" if self.has_active_filter else "all"
        search = request.GET.get("q", "").strip()[:100]
        records = self.records(active=ACTIVE_FILTERS[status], search=search)
        page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
        context = {
            "title": self.title,
            "page_obj": page,
            "records": page.object_list,
            "status": status,
            "search": search,
            "has_active_filter": self.has_active_filter,
            "as_of": selectors.mirror_as_of(entity=self.entity).get(self.data_type),
        }
        return render(request, self.template_name, context)


class VendorsView(DataPage):
    template_name = "masterdata/vendors.html"
    data_type = DataType.VENDORS
    title = "Vendors"
    selector = staticmethod(selectors.vendor_list)
    ordering = ("name", "id")


class PurchaseOrdersView(DataPage):
    template_name = "masterdata/purchase_orders.html"
    data_type = DataType.PURCHASE_ORDERS
    title = "Purchase orders"
    selector = staticmethod(selectors.purchase_order_list)
    ordering = ("-order_date", "number", "id")


class ReceiptsView(DataPage):
    template_name = "masterdata/receipts.html"
    data_type = DataType.RECEIPTS
    title = "Receipts"
    selector = staticmethod(selectors.receipt_list)
    ordering = ("-receipt_date", "number", "id")


class ItemsView(DataPage):
    template_name = "masterdata/items.html"
    data_type = DataType.ITEMS
    title = "Items"
    selector = staticmethod(selectors.item_list)
    ordering = ("code", "id")


class PeopleView(DataPage):
    template_name = "masterdata/people.html"
    data_type = DataType.EMPLOYEES
    title = "People"
    selector = staticmethod(selectors.employee_list)
    ordering = ("name", "id")


class AccountsView(TenantView):
    """The chart of accounts as a tree (parents before children)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        assert self.entity is not None
        status = request.GET.get("status", "active")
        if status not in ACTIVE_FILTERS:
            status = "active"
        nodes = selectors.account_tree(entity=self.entity, active=ACTIVE_FILTERS[status])
        return render(
            request,
            "masterdata/accounts.html",
            {
                "title": "Chart of accounts",
                "nodes": nodes,
                "status": status,
                "has_active_filter": True,
                "as_of": selectors.mirror_as_of(entity=self.entity).get(DataType.ACCOUNTS),
            },
        )


class FieldsView(TenantView):
    """Dimension values, one tab per dimension type."""

    def get(self, request: HttpRequest) -> HttpResponse:
        assert self.entity is not None
        types = list(selectors.dimension_type_list(entity=self.entity))
        current = next(
            (kind for kind in types if kind.code == request.GET.get("type")), types[0] if types else None
        )
        status = request.GET.get("status", "active")
        if status not in ACTIVE_FILTERS:
            status = "active"
        search = request.GET.get("q", "").strip()[:100]
        values = (
            selectors.dimension_value_list(
                entity=self.entity, dimension_type=current, active=ACTIVE_FILTERS[status], search=search
            ).order_by("code", "id")
            if current
            else []
        )
        page = Paginator(values, PAGE_SIZE).get_page(request.GET.get("page"))
        return render(
            request,
            "masterdata/fields.html",
            {
                "title": "Fields",
                "types": types,
                "current": current,
                "page_obj": page,
                "records": page.object_list,
                "status": status,
                "search": search,
                "has_active_filter": True,
                "as_of": selectors.mirror_as_of(entity=self.entity).get(DataType.DIMENSIONS),
            },
        )


class PurchaseOrderDetailView(TenantView):
    def get(self, request: HttpRequest, purchase_order_id: int) -> HttpResponse:
        assert self.entity is not None
        order = selectors.purchase_order_get(entity=self.entity, purchase_order_id=purchase_order_id)
        return render(
            request,
            "masterdata/purchase_order_detail.html",
            {
                "order": order,
                "lines": list(order.lines.all()),
                "receipts": list(order.receipts.order_by("-receipt_date", "number")),
                "as_of": selectors.mirror_as_of(entity=self.entity).get(DataType.PURCHASE_ORDERS),
            },
        )


class ReceiptDetailView(TenantView):
    def get(self, request: HttpRequest, receipt_id: int) -> HttpResponse:
        assert self.entity is not None
        receipt = selectors.receipt_get(entity=self.entity, receipt_id=receipt_id)
        return render(
            request,
            "masterdata/receipt_detail.html",
            {
                "receipt": receipt,
                "lines": list(receipt.lines.all()),
                "as_of": selectors.mirror_as_of(entity=self.entity).get(DataType.RECEIPTS),
            },
        )


class VendorDetailView(TenantView):
    def get(self, request: HttpRequest, vendor_id: int) -> HttpResponse:
        assert self.entity is not None
        vendor = selectors.vendor_get(entity=self.entity, vendor_id=vendor_id)
        orders = (
            selectors.purchase_order_list(entity=self.entity)
            .filter(vendor=vendor)
            .order_by("-order_date")[:20]
        )
        return render(
            request,
            "masterdata/vendor_detail.html",
            {
                "vendor": vendor,
                "orders": list(orders),
                "as_of": selectors.mirror_as_of(entity=self.entity).get(DataType.VENDORS),
            },
        )
