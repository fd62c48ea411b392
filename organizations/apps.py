from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _apply_row_level_security(sender: AppConfig, using: str = "default", **kwargs: object) -> None:
    from organizations.rls import row_level_security_apply

    row_level_security_apply(using=using)


class OrganizationsConfig(AppConfig):
    name = "organizations"
    verbose_name = "Organizations"

    def ready(self) -> None:
        # Schema upkeep, not a business side effect: every migrate re-applies RLS to tenant tables.
        post_migrate.connect(_apply_row_level_security, sender=self, dispatch_uid="modai_rls")
