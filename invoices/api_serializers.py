"""API representations of documents, messages, invoices, lines and notices (read side only: writes are
validated by the services)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from invoices.models import (
    CodingRule,
    Document,
    DocumentArrival,
    InboundMessage,
    Invoice,
    InvoiceLine,
    InvoiceNotice,
    InvoiceSettings,
)


class DocumentSerializer(serializers.ModelSerializer):
    file_url = serializers.SerializerMethodField()
    invoice_id = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id", "entity", "filename", "content_type", "size", "sha256", "page_count", "status", "problem",
            "failure_reason", "created_at", "file_url", "invoice_id",
        ]  # fmt: skip

    def get_file_url(self, document: Document) -> str | None:
        return reverse("api_document_file", args=[document.pk]) if document.file else None

    def get_invoice_id(self, document: Document) -> int | None:
        invoice = next(iter(document.invoices.all()), None)
        return invoice.pk if invoice is not None else None


class ArrivalSerializer(serializers.ModelSerializer):
    class Meta:
        model = DocumentArrival
        fields = ["id", "source", "filename", "arrived_at", "message", "uploaded_by"]


class UploadResultSerializer(serializers.Serializer):
    document = DocumentSerializer()
    arrival = ArrivalSerializer()
    duplicate = serializers.BooleanField(help_text="The same file was already received in this entity.")


class InboundMessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = InboundMessage
        fields = [
            "id", "entity", "channel", "message_id", "sender", "recipients", "recipient", "subject", "body_text",
            "status", "failure_reason", "attachments", "received_at",
        ]  # fmt: skip


class NoticeSerializer(serializers.ModelSerializer):
    line_number = serializers.IntegerField(source="line.line_number", default=None, read_only=True)
    dismissed_by = serializers.StringRelatedField()
    blocking = serializers.BooleanField(source="is_blocking", read_only=True)

    class Meta:
        model = InvoiceNotice
        fields = [
            "id", "code", "severity", "message", "line_number", "data", "blocking", "dismissed_at", "dismissed_by",
            "dismissal_reason",
        ]  # fmt: skip


class LineSerializer(serializers.ModelSerializer):
    gl_account = serializers.SerializerMethodField()
    item = serializers.SerializerMethodField()
    coded_by = serializers.StringRelatedField()

    class Meta:
        model = InvoiceLine
        fields = [
            "id", "line_number", "description", "quantity", "unit_price", "amount", "tax_amount", "gl_account",
            "dimensions", "item", "coding_suggestions", "coded_by", "coded_at", "purchase_order_line", "match",
        ]  # fmt: skip

    def get_gl_account(self, line: InvoiceLine) -> dict[str, Any] | None:
        account = line.gl_account
        if account is None:
            return None
        return {
            "id": account.pk,
            "number": account.number,
            "name": account.name,
            "external_id": account.external_id,
        }

    def get_item(self, line: InvoiceLine) -> dict[str, Any] | None:
        item = line.item
        return {"id": item.pk, "code": item.code, "external_id": item.external_id} if item else None


class InvoiceSerializer(serializers.ModelSerializer):
    vendor = serializers.SerializerMethodField()
    purchase_order = serializers.SerializerMethodField()
    submitted_by = serializers.StringRelatedField()

    class Meta:
        model = Invoice
        fields = [
            "id", "entity", "document", "kind", "status", "vendor", "vendor_name", "vendor_match_reason",
            "vendor_match_confidence", "invoice_number", "invoice_date", "due_date", "currency", "subtotal", "tax",
            "total", "po_number", "purchase_order", "payment_terms", "match_status", "needs_manual_entry",
            "submitted_by", "created_at", "updated_at",
        ]  # fmt: skip

    def get_vendor(self, invoice: Invoice) -> dict[str, Any] | None:
        vendor = invoice.vendor
        return {"id": vendor.pk, "name": vendor.name, "external_id": vendor.external_id} if vendor else None

    def get_purchase_order(self, invoice: Invoice) -> dict[str, Any] | None:
        order = invoice.purchase_order
        return {"id": order.pk, "number": order.number, "status": order.status} if order else None


class InvoiceDetailSerializer(InvoiceSerializer):
    lines = serializers.SerializerMethodField()
    notices = serializers.SerializerMethodField()

    class Meta(InvoiceSerializer.Meta):
        fields = [
            *InvoiceSerializer.Meta.fields,
            "memo",
            "edited_fields",
            "extraction",
            "extractor_version",
            "lines",
            "notices",
        ]

    def get_lines(self, invoice: Invoice) -> list[dict[str, Any]]:
        return LineSerializer(self.context["lines"], many=True).data  # type: ignore[return-value]

    def get_notices(self, invoice: Invoice) -> list[dict[str, Any]]:
        return NoticeSerializer(self.context["notices"], many=True).data  # type: ignore[return-value]


class InvoiceFieldsSerializer(serializers.Serializer):
    """The header fields a clerk may change (all optional; only the ones sent change)."""

    kind = serializers.ChoiceField(choices=["invoice", "credit_memo"], required=False)
    vendor = serializers.IntegerField(required=False, allow_null=True, help_text="vendor id")
    invoice_number = serializers.CharField(required=False, allow_blank=True)
    invoice_date = serializers.DateField(required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)
    currency = serializers.CharField(required=False, allow_blank=True)
    subtotal = serializers.DecimalField(max_digits=18, decimal_places=2, required=False, allow_null=True)
    tax = serializers.DecimalField(max_digits=18, decimal_places=2, required=False, allow_null=True)
    total = serializers.DecimalField(max_digits=18, decimal_places=2, required=False, allow_null=True)
    po_number = serializers.CharField(required=False, allow_blank=True)
    payment_terms = serializers.CharField(required=False, allow_blank=True)
    memo = serializers.CharField(required=False, allow_blank=True)


class LineWriteSerializer(serializers.Serializer):
    description = serializers.CharField(required=False, allow_blank=True)
    quantity = serializers.DecimalField(max_digits=18, decimal_places=4, required=False, allow_null=True)
    unit_price = serializers.DecimalField(max_digits=18, decimal_places=6, required=False, allow_null=True)
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, required=False)
    gl_account = serializers.IntegerField(required=False, allow_null=True, help_text="GL account id")
    dimensions = serializers.DictField(
        child=serializers.CharField(), required=False, help_text="type code -> value external id"
    )
    item = serializers.IntegerField(required=False, allow_null=True)
    purchase_order_line = serializers.IntegerField(required=False, allow_null=True)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class TimelineEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    actor = serializers.CharField()
    action = serializers.CharField()
    title = serializers.CharField()
    changes = serializers.ListField(child=serializers.ListField())
    note = serializers.CharField()


class InvoiceSettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceSettings
        fields = [
            "quantity_tolerance_percent", "price_tolerance_percent", "amount_tolerance", "three_way_matching",
            "auto_submit", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["updated_at"]


class CodingRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = CodingRule
        fields = [
            "id",
            "name",
            "priority",
            "vendor",
            "description_contains",
            "gl_account",
            "dimensions",
            "active",
            "created_at",
        ]
        read_only_fields = ["id", "active", "created_at"]


class ForwardingAddressSerializer(serializers.Serializer):
    address = serializers.CharField(help_text="<entity code>-<random>@INBOUND_EMAIL_DOMAIN")
