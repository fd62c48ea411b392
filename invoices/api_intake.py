"""API endpoints for intake and settings: upload, documents and their files, inbound messages, the raw-MIME
endpoint for mail providers, an entity's forwarding address, invoice settings and coding rules."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from invoices.api_serializers import (
    CodingRuleSerializer,
    DocumentSerializer,
    ForwardingAddressSerializer,
    InboundMessageSerializer,
    InvoiceSettingsSerializer,
    UploadResultSerializer,
)
from invoices.configuration import coding_rule_create, coding_rule_delete, invoice_settings_update
from invoices.intake.addresses import forwarding_address, inbound_address_for_entity, inbound_address_rotate
from invoices.intake.email import UnknownRecipientError, inbound_message_receive
from invoices.intake.signatures import inbound_signature_problem
from invoices.intake.storage import IncomingFile, upload_files_store
from invoices.matching.services import invoice_settings_get
from invoices.models import CodingRule, Document, InboundMessage, IntakeSource
from invoices.selectors import document_get_for_user, document_list, inbound_message_list
from modai.api.base import TenantAPIView, TenantReadOnlyViewSet
from organizations.errors import NotFoundError
from organizations.permissions import Permission

logger = logging.getLogger(__name__)


class EntityDocumentsView(TenantAPIView):
    """``GET``: the entity's documents. ``POST`` (multipart, one or many ``file`` parts): upload invoices.
    The same file twice in an entity is linked to the first (``duplicate: true``), not stored again."""

    permissions_by_action = {"get": Permission.ENTITY_VIEW, "post": Permission.INVOICE_EDIT}
    parser_classes = [MultiPartParser, FormParser]
    serializer_class = DocumentSerializer

    def scoped_queryset(self) -> QuerySet[Document]:
        assert self.entity is not None
        return document_list(
            access=self.access,
            entity_ids=(self.entity.pk,),
            status=self.request.query_params.get("status", ""),
        )

    def get(self, request: Request, entity_id: int) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(DocumentSerializer(page, many=True).data)

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "Upload", {"file": serializers.ListField(child=serializers.FileField())}
            )
        },
        responses={201: UploadResultSerializer(many=True)},
    )
    def post(self, request: Request, entity_id: int) -> Response:
        assert self.entity is not None
        uploads = request.FILES.getlist("file") + request.FILES.getlist("files")
        if not uploads:
            return Response(
                {"file": ["Attach one or more files as multipart parts named 'file'."]}, status=400
            )
        stored = upload_files_store(
            entity=self.entity,
            files=[
                IncomingFile(upload.name or "upload.pdf", upload.content_type or "", upload.chunks())
                for upload in uploads
            ],
            uploaded_by=request.user,
            source=IntakeSource.API,
        )
        data = [
            {
                "document": DocumentSerializer(item.document).data,
                "arrival": item.arrival,
                "duplicate": not item.created,
            }
            for item in stored
        ]
        for item, row in zip(stored, data, strict=True):
            row["arrival"] = {
                "id": item.arrival.pk,
                "source": item.arrival.source,
                "filename": item.arrival.filename,
                "arrived_at": item.arrival.arrived_at,
            }
        return Response(data, status=status.HTTP_201_CREATED)


class DocumentViewSet(TenantReadOnlyViewSet):
    """Documents of the entities you can view (filter with ?entity= and ?status=)."""

    serializer_class = DocumentSerializer

    def scoped_queryset(self) -> QuerySet[Document]:
        entity = self.request.query_params.get("entity", "")
        return document_list(
            access=self.access,
            entity_ids=(int(entity),) if entity.isdigit() else (),
            status=self.request.query_params.get("status", ""),
        )


class DocumentFileView(TenantAPIView):
    """The stored file as received."""

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request: Request, document_id: int) -> Any:
        document = document_get_for_user(access=self.access, document_id=document_id)
        if not document.file:
            raise NotFoundError("file not kept")
        try:
            handle = document.file.open("rb")
        except OSError:
            raise NotFoundError("file missing") from None
        inline = document.status == Document.Status.PROCESSED
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=document.filename,
            content_type="application/pdf" if inline else "application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


class InboundMessageViewSet(TenantReadOnlyViewSet):
    """Email received for the entities you can view (filter with ?entity= and ?status=)."""

    serializer_class = InboundMessageSerializer

    def scoped_queryset(self) -> QuerySet[InboundMessage]:
        entity = self.request.query_params.get("entity", "")
        return inbound_message_list(
            access=self.access,
            entity_ids=(int(entity),) if entity.isdigit() else (),
            status=self.request.query_params.get("status", ""),
        )


class ForwardingAddressView(TenantAPIView):
    """``GET`` the entity's forwarding address; ``POST`` issues a new one (the old one stops accepting mail)."""

    permissions_by_action = {"get": Permission.ENTITY_VIEW, "post": Permission.ENTITY_SETTINGS}
    serializer_class = ForwardingAddressSerializer

    def get(self, request: Request, entity_id: int) -> Response:
        assert self.entity is not None
        return Response({"address": forwarding_address(inbound_address_for_entity(entity=self.entity))})

    @extend_schema(request=None)
    def post(self, request: Request, entity_id: int) -> Response:
        assert self.entity is not None
        address = inbound_address_rotate(entity=self.entity, actor=request.user)
        return Response({"address": forwarding_address(address)}, status=status.HTTP_201_CREATED)


class InvoiceSettingsView(TenantAPIView):
    """The entity's matching tolerances and straight-through submission."""

    permissions_by_action = {
        "get": Permission.ENTITY_VIEW,
        "patch": Permission.ENTITY_SETTINGS,
        "put": Permission.ENTITY_SETTINGS,
    }
    parser_classes = [JSONParser]
    serializer_class = InvoiceSettingsSerializer

    def get(self, request: Request, entity_id: int) -> Response:
        assert self.entity is not None
        return Response(InvoiceSettingsSerializer(invoice_settings_get(entity_id=self.entity.pk)).data)

    def patch(self, request: Request, entity_id: int) -> Response:
        assert self.entity is not None
        writable = set(InvoiceSettingsSerializer().fields) - {"updated_at"}
        unknown = set(request.data) - writable
        if unknown:
            raise serializers.ValidationError(
                {"detail": [f"Unknown settings: {', '.join(sorted(unknown))}."]}
            )
        updated = invoice_settings_update(entity=self.entity, actor=request.user, values=dict(request.data))
        return Response(InvoiceSettingsSerializer(updated).data)

    put = patch


class CodingRulesView(TenantAPIView):
    """``GET`` the entity's coding rules; ``POST`` adds one."""

    permissions_by_action = {"get": Permission.ENTITY_VIEW, "post": Permission.ENTITY_SETTINGS}
    parser_classes = [JSONParser]
    serializer_class = CodingRuleSerializer

    def scoped_queryset(self) -> QuerySet[CodingRule]:
        return CodingRule.objects.filter(entity=self.entity).order_by("priority", "id")

    def get(self, request: Request, entity_id: int) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CodingRuleSerializer(page, many=True).data)

    def post(self, request: Request, entity_id: int) -> Response:
        assert self.entity is not None
        data = request.data
        rule = coding_rule_create(
            entity=self.entity,
            actor=request.user,
            name=str(data.get("name", "")),
            vendor_id=data.get("vendor"),
            description_contains=str(data.get("description_contains", "")),
            gl_account_id=data.get("gl_account"),
            dimensions=data.get("dimensions") if isinstance(data.get("dimensions"), dict) else {},
            priority=data.get("priority", 100),
        )
        return Response(CodingRuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class CodingRuleView(TenantAPIView):
    permission = Permission.ENTITY_SETTINGS
    serializer_class = CodingRuleSerializer

    @extend_schema(responses={204: None})
    def delete(self, request: Request, entity_id: int, rule_id: int) -> Response:
        rule = CodingRule.objects.filter(entity=self.entity, pk=rule_id).first()
        if rule is None:
            raise NotFoundError("rule not found")
        coding_rule_delete(rule=rule, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@csrf_exempt
@require_POST
def inbound_email(request: HttpRequest) -> HttpResponse:
    """Mail providers post a raw MIME message here (body: the message, ``Content-Type: message/rfc822``),
    signed with ``X-Modai-Timestamp`` and ``X-Modai-Signature`` (see ``invoices.intake.signatures``).

    201: stored; 200: already received; 401: bad signature; 404: no forwarding address among the
    recipients; 413: over the size limit.
    """
    limit = settings.INBOUND_EMAIL_MAX_BYTES
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > limit:
        return JsonResponse({"detail": f"The message is over the {limit} byte limit."}, status=413)
    body = request.read(limit + 1)
    if len(body) > limit:
        return JsonResponse({"detail": f"The message is over the {limit} byte limit."}, status=413)
    problem = inbound_signature_problem(
        secret=settings.INBOUND_EMAIL_SECRET,
        timestamp=request.headers.get("X-Modai-Timestamp", ""),
        signature=request.headers.get("X-Modai-Signature", ""),
        body=body,
    )
    if problem:
        return JsonResponse({"detail": problem}, status=401)
    if not body.strip():
        return JsonResponse({"detail": "The body is empty: post the raw MIME message."}, status=400)
    recipient = request.GET.get("recipient") or request.headers.get("X-Modai-Recipient", "")
    try:
        received = inbound_message_receive(
            raw=body, channel="http", recipients=[recipient] if recipient else []
        )
    except UnknownRecipientError as error:
        return JsonResponse({"detail": str(error)}, status=404)
    created = any(item.created for item in received)
    return JsonResponse(
        {
            "messages": [
                {
                    "id": item.message.pk,
                    "status": item.message.status,
                    "failure_reason": item.message.failure_reason,
                    "documents_created": item.documents_created,
                    "duplicate": not item.created,
                }
                for item in received
            ]
        },
        status=201 if created else 200,
    )
