"""Push pages: the Sync errors queue of the current entity, and Retry (from the queue or the invoice)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from modai.web.base import TenantView
from organizations.errors import ServiceValidationError
from organizations.permissions import Permission
from sync.models import Integration
from sync.push import push_delivery_retry
from sync.push_selectors import push_delivery_get_for_user, push_sync_errors


class SyncErrorsView(TenantView):
    """Invoices and credits the ERP refused (or that gave up), with the ERP's reason and Retry."""

    permission = Permission.ENTITY_VIEW

    def get(self, request: HttpRequest) -> HttpResponse:
        page = Paginator(push_sync_errors(entity=self.entity), 50).get_page(request.GET.get("page"))
        return render(
            request,
            "sync/sync_errors.html",
            {
                "deliveries": page.object_list,
                "page_obj": page,
                "integration": Integration.objects.filter(entity=self.entity).first(),
                "can_retry": self.access.can(Permission.INVOICE_POST, entity_id=self.entity.pk),
            },
        )


class PushRetryView(TenantView):
    """Send a rejected or failed push again (a new idempotency key, the same reference)."""

    needs_entity = False
    permission = None
    http_method_names = ["post"]

    def post(self, request: HttpRequest, delivery_id: int) -> HttpResponse:
        delivery = push_delivery_get_for_user(
            access=self.access, delivery_id=delivery_id, permission=Permission.INVOICE_POST
        )
        try:
            push_delivery_retry(delivery=delivery, actor=request.user)
        except ServiceValidationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{delivery.invoice} is queued for the ERP again.")
        target = request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            return HttpResponseRedirect(target)
        return redirect("sync_errors")
