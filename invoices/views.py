"""The inbox pages: invoices with filters, documents, messages, upload, stored files."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from invoices.forms import InboxFilterForm
from invoices.intake.addresses import forwarding_address, inbound_address_for_entity
from invoices.intake.storage import IncomingFile, upload_files_store
from invoices.models import Document, DocumentArrival, InboundMessage, Invoice, InvoiceStatus
from invoices.selectors import (
    document_get_for_user,
    document_list,
    documents_waiting,
    inbound_message_get_for_user,
    inbound_message_list,
    invoice_list,
    invoice_status_counts,
)
from masterdata.models import Vendor
from modai.web.base import TenantView
from organizations.permissions import Permission

PAGE_SIZE = 50


class InboxPage(TenantView):
    """Base of the inbox tabs: the current entity's forwarding address and the upload box."""

    tab = ""
    template_name = ""

    def shared_context(self) -> dict[str, Any]:
        assert self.entity is not None
        can_upload = self.access.can(Permission.INVOICE_EDIT, entity_id=self.entity.pk)
        return {
            "tab": self.tab,
            "can_upload": can_upload,
            "forwarding_address": forwarding_address(inbound_address_for_entity(entity=self.entity)),
        }

    def entity_ids(self, request: HttpRequest) -> tuple[int, ...]:
        wanted = request.GET.get("entity", "")
        if wanted == "all":
            return ()
        if wanted.isdigit():
            return (int(wanted),)
        return (self.entity.pk,) if self.entity is not None else ()


class InboxView(InboxPage):
    tab = "invoices"

    def get(self, request: HttpRequest) -> HttpResponse:
        assert self.entity is not None
        entities = getattr(request, "entities", [])
        visible = [entity.pk for entity in entities]
        vendors = list(
            Vendor.objects.filter(
                pk__in=Invoice.objects.filter(entity_id__in=visible, vendor__isnull=False).values("vendor_id")
            ).order_by("name")[:500]
        )
        form = InboxFilterForm(
            request.GET or None, entities=entities, vendors=vendors, current_entity_id=self.entity.pk
        )
        filters = form.filters()
        page = Paginator(invoice_list(access=self.access, filters=filters), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        query = request.GET.copy()
        query.pop("page", None)
        counts = invoice_status_counts(entity_ids=filters.entity_ids or visible)
        waiting = documents_waiting(access=self.access, entity_ids=filters.entity_ids)
        # Documents not yet made into invoices are "processing" too.
        counts[InvoiceStatus.PROCESSING] += len(waiting["processing"])
        return render(
            request,
            "invoices/inbox.html",
            {
                **self.shared_context(),
                "form": form,
                "page": page,
                "query": query.urlencode(),
                "counts": counts,
                "status_tabs": [
                    (status, InvoiceStatus(status).label, counts[status])
                    for status in (
                        InvoiceStatus.PROCESSING,
                        InvoiceStatus.NEEDS_REVIEW,
                        InvoiceStatus.PENDING_APPROVAL,
                        InvoiceStatus.APPROVED,
                        InvoiceStatus.SYNC_ERROR,
                    )
                ],
                "waiting": waiting,
                "filters_active": any(
                    request.GET.get(name)
                    for name in ("q", "status", "vendor", "date_from", "date_to", "amount_min", "amount_max")
                ),
            },
        )


class DocumentsView(InboxPage):
    tab = "documents"

    def get(self, request: HttpRequest) -> HttpResponse:
        status = request.GET.get("status", "")
        documents = document_list(
            access=self.access,
            entity_ids=self.entity_ids(request),
            status=status if status in Document.Status.values else "",
        )
        page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
        return render(
            request,
            "invoices/documents.html",
            {**self.shared_context(), "page": page, "status": status, "statuses": Document.Status.choices},
        )


class MessagesView(InboxPage):
    tab = "messages"

    def get(self, request: HttpRequest) -> HttpResponse:
        status = request.GET.get("status", "")
        inbound = inbound_message_list(
            access=self.access,
            entity_ids=self.entity_ids(request),
            status=status if status in InboundMessage.Status.values else "",
        )
        page = Paginator(inbound, PAGE_SIZE).get_page(request.GET.get("page"))
        return render(
            request,
            "invoices/messages.html",
            {
                **self.shared_context(),
                "page": page,
                "status": status,
                "statuses": InboundMessage.Status.choices,
            },
        )


class UploadView(TenantView):
    """POST one or many files (field ``files``) for the current entity; htmx gets the result list."""

    http_method_names = ["post"]
    permission = Permission.INVOICE_EDIT

    def post(self, request: HttpRequest) -> HttpResponse:
        assert self.entity is not None
        uploads = request.FILES.getlist("files")
        stored = upload_files_store(
            entity=self.entity,
            files=[
                IncomingFile(upload.name or "upload.pdf", upload.content_type or "", upload.chunks())
                for upload in uploads
            ],
            uploaded_by=request.user,
        )
        if request.htmx:  # type: ignore[attr-defined]
            return render(
                request,
                "invoices/_upload_results.html",
                {"results": stored, "empty": not uploads},
            )
        if not uploads:
            messages.error(request, "Choose one or more PDF files to upload.")
        for item in stored:
            if not item.created:
                messages.info(
                    request, f"{item.arrival.filename} was already received; linked, not duplicated."
                )
            elif item.document.status == Document.Status.REJECTED:
                messages.error(request, f"{item.arrival.filename}: {item.document.failure_reason}")
            else:
                messages.success(request, f"{item.arrival.filename} was received and is being processed.")
        return redirect("invoice_inbox")


class ArrivalStatusView(TenantView):
    """htmx: one upload's line in the results list, polled until its document is processed."""

    needs_entity = False

    def get(self, request: HttpRequest, arrival_id: int) -> HttpResponse:
        arrival = DocumentArrival.objects.select_related("document").filter(pk=arrival_id).first()
        if arrival is None or not self.access.can(Permission.ENTITY_VIEW, entity_id=arrival.entity_id):
            raise Http404
        return render(
            request,
            "invoices/_upload_result.html",
            {"arrival": arrival, "document": arrival.document, "created": True},
        )


class DocumentFileView(TenantView):
    """The stored file. Served inline only when it passed as a PDF; anything else downloads."""

    needs_entity = False

    def get(self, request: HttpRequest, document_id: int) -> HttpResponse:
        document = document_get_for_user(access=self.access, document_id=document_id)
        if not document.file:
            raise Http404("The file was not kept (over the size limit).")
        try:
            handle = document.file.open("rb")
        except OSError:
            raise Http404("The stored file is missing.") from None
        inline = document.status == Document.Status.PROCESSED
        response = FileResponse(
            handle,
            as_attachment=not inline,
            filename=document.filename,
            content_type="application/pdf" if inline else "application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, max-age=300"
        return response


class MessageRawView(TenantView):
    """The raw message as received (.eml), for a person to check what arrived."""

    needs_entity = False
    permission = Permission.ENTITY_VIEW

    def get(self, request: HttpRequest, message_id: int) -> HttpResponse:
        message = inbound_message_get_for_user(access=self.access, message_id=message_id)
        if not self.access.can(Permission.INVOICE_EDIT, entity_id=message.entity_id) and not self.access.can(
            Permission.AUDIT_VIEW, entity_id=message.entity_id
        ):
            raise PermissionDenied
        try:
            handle = message.raw.open("rb")
        except (OSError, ValueError):
            raise Http404("The stored message is missing.") from None
        response = FileResponse(
            handle, as_attachment=True, filename=f"message-{message.pk}.eml", content_type="message/rfc822"
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


class VendorOptionsView(TenantView):
    """htmx: ``<option>``s of an entity's vendors whose name contains ``q`` (for the vendor picker)."""

    needs_entity = False

    def get(self, request: HttpRequest) -> HttpResponse:
        entity_id = request.GET.get("entity", "")
        if not entity_id.isdigit() or not self.access.can(Permission.ENTITY_VIEW, entity_id=int(entity_id)):
            raise Http404
        term = request.GET.get("q", "").strip()
        vendors = Vendor.objects.filter(entity_id=int(entity_id), active=True)
        if term:
            vendors = vendors.filter(name__icontains=term)
        return render(
            request,
            "invoices/_vendor_options.html",
            {"vendors": vendors.order_by("name")[:25], "selected": request.GET.get("selected", "")},
        )


def invoices_card(view: Any) -> dict[str, Any] | None:
    """Dashboard card: the current entity's invoices per status."""
    entity = getattr(view, "entity", None)
    if entity is None:
        return None
    counts = invoice_status_counts(entity_ids=[entity.pk])
    waiting = Document.objects.filter(entity=entity, status=Document.Status.RECEIVED).count()
    rejected = Document.objects.filter(entity=entity, status=Document.Status.REJECTED).count()
    rows = [
        (InvoiceStatus(status).label, counts[status], status)
        for status in (
            InvoiceStatus.NEEDS_REVIEW,
            InvoiceStatus.PENDING_APPROVAL,
            InvoiceStatus.APPROVED,
            InvoiceStatus.SYNC_ERROR,
            InvoiceStatus.POSTED,
            InvoiceStatus.PAID,
        )
    ]
    return {
        "template": "invoices/card_invoices.html",
        "rows": rows,
        "processing": counts[InvoiceStatus.PROCESSING] + waiting,
        "rejected_documents": rejected,
    }
