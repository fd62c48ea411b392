"""Emailed decision links: signed, one-time, expiring, and checked again when used.

The token in the URL is signed with the site's key and carries the organization id, the link row id
and a random secret. The server checks the signature before touching the database, then enters that
organization's scope (row-level security needs it) and compares the secret's SHA-256 with the row.
Using the link decides as its recipient, through the same service as the web page, so the step must
still be waiting, the recipient must still hold invoice.approve on the entity and still be asked
(or act for someone asked), and separation of duties still applies.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from approvals.errors import ApprovalLinkError
from approvals.models import ApprovalAssignment, ApprovalLink
from approvals.services.delegations import delegates_active_for
from organizations.models import Organization
from organizations.tenancy import require_organization_id

LINK_VALID_FOR = datetime.timedelta(days=7)
_SALT = "approvals.email-link"


def approval_links_create(*, assignments: Iterable[ApprovalAssignment], purpose: str) -> list[ApprovalLink]:
    """One link per person to email (each assignee and whoever acts for them today); sent on commit."""
    assignments = list(assignments)
    delegates = delegates_active_for(user_ids={assignment.user_id for assignment in assignments})
    now = timezone.now()
    links = []
    for assignment in assignments:
        for recipient_id in [assignment.user_id, *sorted(delegates.get(assignment.user_id, ()))]:
            links.append(
                ApprovalLink.objects.create(
                    entity_id=assignment.entity_id,
                    assignment=assignment,
                    recipient_id=recipient_id,
                    purpose=purpose,
                    expires_at=now + LINK_VALID_FOR,
                )
            )
    if links:
        from approvals.tasks import approval_link_send

        organization_id = require_organization_id()
        link_ids = [link.pk for link in links]

        def queue() -> None:
            for link_id in link_ids:
                approval_link_send.delay(organization_id=organization_id, link_id=link_id)

        transaction.on_commit(queue)
    return links


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def approval_link_token(*, link: ApprovalLink, secret: str) -> str:
    return signing.dumps({"o": link.organization_id, "l": link.pk, "s": secret}, salt=_SALT)


def approval_link_url(*, token: str) -> str:
    return settings.PUBLIC_BASE_URL + reverse("approval_email_link", kwargs={"token": token})


def approval_link_send(*, link_id: int) -> bool:
    """Email one link (in the current organization's scope). Safe to run twice: a sent link is skipped.

    The secret is made here and only its hash is kept. The row stays locked while the mail is handed
    over, so a failed send rolls back and a retry sends a fresh link.
    """
    with transaction.atomic():
        link = (
            ApprovalLink.objects.select_for_update(of=("self",))
            .select_related("recipient", "assignment__step__request__invoice", "entity")
            .filter(pk=link_id)
            .first()
        )
        if link is None or link.sent_at is not None:
            return False
        assignment = link.assignment
        step = assignment.step
        if assignment.decision or step.status != "active" or not link.recipient.is_active:
            return False
        secret = secrets.token_urlsafe(32)
        link.secret_hash = _secret_hash(secret)
        link.sent_at = timezone.now()
        link.save(update_fields=["secret_hash", "sent_at"])
        invoice = step.request.invoice
        organization = Organization.objects.get(pk=link.organization_id)
        context = {
            "link": link,
            "recipient": link.recipient,
            "on_behalf_of": assignment.user if assignment.user_id != link.recipient_id else None,
            "invoice": invoice,
            "step": step,
            "entity": link.entity,
            "organization": organization,
            "decide_url": approval_link_url(token=approval_link_token(link=link, secret=secret)),
            "page_url": settings.PUBLIC_BASE_URL
            + reverse("approval_decide", kwargs={"assignment_id": assignment.pk}),
            "expires_at": link.expires_at,
        }
        subject = render_to_string("approvals/email_subject.txt", context).strip()
        body = render_to_string("approvals/email_body.txt", context)
        send_mail(subject, body, None, [link.recipient.email])
    return True


@dataclass(frozen=True)
class LinkToken:
    organization_id: int
    link_id: int
    secret: str


def approval_link_parse(*, token: str) -> LinkToken:
    """Check the signature (no database); raises :class:`ApprovalLinkError` for anything not ours."""
    try:
        data = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        raise ApprovalLinkError("This approval link is not valid.", status=404) from None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("o"), int)
        or not isinstance(data.get("l"), int)
        or not isinstance(data.get("s"), str)
    ):
        raise ApprovalLinkError("This approval link is not valid.", status=404)
    return LinkToken(organization_id=data["o"], link_id=data["l"], secret=data["s"])


def approval_link_get(*, parsed: LinkToken, for_update: bool = False) -> ApprovalLink:
    """The link row (inside ``parsed.organization_id``'s scope), if it is still usable."""
    queryset = ApprovalLink.objects.select_related(
        "recipient", "assignment__user", "assignment__step__request__invoice__vendor", "entity"
    )
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    link = queryset.filter(pk=parsed.link_id).first()
    if (
        link is None
        or not link.secret_hash
        or not hmac.compare_digest(link.secret_hash, _secret_hash(parsed.secret))
    ):
        raise ApprovalLinkError("This approval link is not valid.", status=404)
    if link.used_at is not None:
        raise ApprovalLinkError(
            f"This link was already used on {timezone.localtime(link.used_at):%Y-%m-%d at %H:%M}. "
            "Each emailed link works once; sign in to see the invoice."
        )
    if link.expires_at <= timezone.now():
        raise ApprovalLinkError("This link has expired. Sign in to decide on the invoice from My approvals.")
    return link


def approval_link_decide(*, parsed: LinkToken, decision: str, comment: str) -> ApprovalLink:
    """Decide through an emailed link, as its recipient. The link is spent only if the decision is made."""
    from approvals.services.decisions import approval_decide

    with transaction.atomic():
        link = approval_link_get(parsed=parsed, for_update=True)
        approval_decide(
            assignment_id=link.assignment_id,
            user=link.recipient,
            decision=decision,
            comment=comment,
            channel="email",
        )
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
    return link
