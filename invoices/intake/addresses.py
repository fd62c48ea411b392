"""Per-entity forwarding addresses: ``<entity code>-<8 random characters>@<INBOUND_EMAIL_DOMAIN>``.

An address resolves through the global ``InboundAddress`` table, which is readable before any
organization is in scope (PostgreSQL row-level security hides every tenant table until then). The
random part makes addresses unguessable; rotating an entity's address retires the old one, and mail to
a retired or unknown address is refused (SMTP 550), so the sender learns of it.
"""

from __future__ import annotations

import secrets
from email.utils import getaddresses

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from invoices.models import InboundAddress
from organizations.audit import audit_record
from organizations.models import Entity, User

_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: addresses get read aloud and retyped


def forwarding_address(address: InboundAddress) -> str:
    return f"{address.local_part}@{settings.INBOUND_EMAIL_DOMAIN}"


def _local_part_new(entity: Entity) -> str:
    code = slugify(entity.code)[:20] or "ap"
    return f"{code}-{''.join(secrets.choice(_ALPHABET) for _ in range(8))}"


def inbound_address_for_entity(*, entity: Entity) -> InboundAddress:
    """The entity's active forwarding address, created on first use."""
    address = InboundAddress.objects.filter(entity_id=entity.pk, active=True).first()
    if address is not None:
        return address
    return _address_create(entity)


def _address_create(entity: Entity) -> InboundAddress:
    for _ in range(5):
        try:
            with transaction.atomic():
                return InboundAddress.objects.create(
                    local_part=_local_part_new(entity),
                    organization_id=entity.organization_id,
                    entity_id=entity.pk,
                )
        except IntegrityError:  # a random collision: draw again
            continue
    raise RuntimeError("could not draw a unique forwarding address")


def inbound_address_rotate(*, entity: Entity, actor: User) -> InboundAddress:
    """Give the entity a new forwarding address; the old one stops accepting mail."""
    with transaction.atomic():
        old = list(InboundAddress.objects.select_for_update().filter(entity_id=entity.pk, active=True))
        InboundAddress.objects.filter(pk__in=[address.pk for address in old]).update(
            active=False, retired_at=timezone.now()
        )
        address = _address_create(entity)
        audit_record(
            action="entity.forwarding_address_changed",
            actor=actor,
            target=entity,
            before={"address": [forwarding_address(item) for item in old]},
            after={"address": forwarding_address(address)},
        )
    return address


def inbound_address_resolve(*, recipient: str) -> InboundAddress | None:
    """The active address ``recipient`` names (``+tag`` suffixes and case ignored), or None.

    Reads only the global routing table: safe to call with no organization in scope.
    """
    _, parsed = getaddresses([recipient or ""])[0] if recipient else ("", "")
    local, _, domain = (parsed or recipient or "").strip().strip("<>").rpartition("@")
    if not local or domain.lower().rstrip(".") != settings.INBOUND_EMAIL_DOMAIN:
        return None
    local = local.split("+", 1)[0].lower()
    return InboundAddress.objects.filter(local_part=local, active=True).first()
