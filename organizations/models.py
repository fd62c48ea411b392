"""Organizations, entities, people and roles, API tokens and the append-only audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone

from organizations.tenancy import TenantManager, TenantModel, TenantQuerySet


class Organization(models.Model):
    """The customer: the tenant root. Global, so sign-in and routing can find it before any scope."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Entity(TenantModel):
    """A legal entity or subsidiary; each connects to one ERP company."""

    name = models.CharField(max_length=200)
    code = models.CharField(max_length=20, help_text="Short code shown in lists, e.g. US01.")
    legal_name = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    currency = models.CharField(max_length=3, default="USD", help_text="ISO 4217")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "entities"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "code"], name="entity_code_unique_per_organization"
            )
        ]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        if not email:
            raise ValueError("users need an email address")
        user = self.model(email=normalize_email(email), **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user


def normalize_email(email: str) -> str:
    return email.strip().lower()


class User(AbstractBaseUser):
    """A person who signs in with an email address. Belongs to exactly one organization.

    Global (not a TenantModel) because sign-in and password reset look users up by email before any
    organization is known; every selector that lists users filters by organization explicitly.
    """

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="users")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def initials(self) -> str:
        parts = [part for part in self.full_name.split() if part]
        if not parts:
            return self.email[:1].upper()
        return (parts[0][0] + (parts[-1][0] if len(parts) > 1 else "")).upper()


class OrganizationRole(models.TextChoices):
    ADMINISTRATOR = "administrator", "Administrator"
    MEMBER = "member", "Member"


class EntityRoleName(models.TextChoices):
    ADMINISTRATOR = "administrator", "Administrator"
    CONTROLLER = "controller", "Controller"
    AP_SPECIALIST = "ap_specialist", "AP Specialist"
    APPROVER = "approver", "Approver"
    AUDITOR = "auditor", "Auditor"


class Membership(TenantModel):
    """A user's place in their organization, with the organization role."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership")
    role = models.CharField(max_length=20, choices=OrganizationRole.choices, default=OrganizationRole.MEMBER)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class EntityRole(TenantModel):
    """One role a user holds on one entity; a user may hold several."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="entity_roles")
    role = models.CharField(max_length=20, choices=EntityRoleName.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entity", "user", "role"], name="entity_role_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.get_role_display()} of {self.entity}"


class ApiToken(TenantModel):
    """A personal API token. Only its SHA-256 is stored; the key is shown once, at creation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=24, help_text="The key's public start, shown to tell tokens apart.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ApiIdempotencyKey(TenantModel):
    """A creating API request sent with an ``Idempotency-Key``, and the answer it got.

    A repeat of the request with the same key (same user, same method, path and body) gets the stored
    answer instead of running again; the same key with a different request is refused. A row without
    ``status_code`` is a request still running. Rows older than a day are replaced on reuse.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(blank=True, default=b"")
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="api_idempotency_key_per_user")]
        indexes = [models.Index(fields=["user", "created_at"], name="api_idempotency_user_created")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"


class AuditEventQuerySet(TenantQuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AuditImmutableError("audit events cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditImmutableError("audit events cannot be deleted")


class AuditImmutableError(RuntimeError):
    pass


class AuditEvent(TenantModel):
    """One thing that happened, append-only. Written only through ``organizations.audit``.

    On PostgreSQL a trigger refuses UPDATE and DELETE of these rows.
    """

    entity = models.ForeignKey(Entity, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=200, help_text="Who acted, as shown (a user or 'System').")
    action = models.CharField(max_length=80, db_index=True)
    target_type = models.CharField(max_length=80, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = TenantManager.from_queryset(AuditEventQuerySet)()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "target_type", "target_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditImmutableError("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AuditImmutableError("audit events cannot be deleted")
